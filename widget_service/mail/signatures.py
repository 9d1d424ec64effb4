"""Confirmed signatures: the mail asking to confirm, and what its two links do.

Confirming turns a ``pending`` signature into a counted one through the shared counter, in one
conditional ``UPDATE`` (``state = 'pending'``): two clicks at once, or a click after the
signature expired, count it once or not at all. "This was not me" deletes a pending signature.
The pages behind the links show a button: a GET never acts, since mail scanners follow links.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from .. import events
from ..counting import add_to_count, counted
from ..extensions import db
from ..models import Campaign, Signature, Subscription, utcnow
from ..subscriptions import record_subscription
from . import tokens, views
from .messages import Draft, builder
from .outbox import enqueue, forget, last_queued

KIND = "signature_confirm"
TAG = "s"
RESEND_AFTER = timedelta(hours=1)
tokens.KINDS[TAG] = Signature


def on_pending(app, session, row, again):
    """Queue the mail asking to confirm; for a second signing, at most once an hour."""
    if again:
        latest = last_queued(session, KIND, row.id)
        if latest is not None and utcnow() - latest < RESEND_AFTER:
            return
    enqueue(session, KIND, row)


@builder(KIND)
def confirm_mail(mail):
    signature = db.session.get(Signature, mail.ref_id)
    if signature is None or signature.state != Signature.PENDING:
        return None
    title = db.session.get(Campaign, signature.campaign_id).text(mail.lang).title
    confirm, not_me = tokens.links(TAG, signature, mail.base_url, mail.lang)
    return Draft(
        _("Please confirm your signature: “%(title)s”", title=title), "signature_confirm",
        {"title": title, "name": signature.name, "confirm_url": confirm, "not_me_url": not_me,
         "days": current_app.config["PENDING_EXPIRY_DAYS"]},
    )


def confirm(signature):
    """Count a pending signature (True), once; False when it was not pending any more."""
    campaign_id, created = signature.campaign_id, signature.created_at
    changed = db.session.execute(
        update(Signature).where(Signature.id == signature.id, Signature.state == Signature.PENDING)
        .values(state=Signature.COUNTED),
        execution_options={"synchronize_session": False},
    ).rowcount
    if changed != 1:
        db.session.rollback()
        return False
    reported = add_to_count(campaign_id)
    if signature.opt_in:  # the opt-in on the form; the mailbox is proven now
        record_subscription(campaign_id, signature.email, signature.email_canonical, signature.name, signature.lang,
                            Subscription.PETITION, confirmed=True, ref=signature.ref)
    db.session.commit()
    counted(campaign_id, *reported)
    events.changed_signatures(campaign_id, created)  # its hour may be rolled up already
    return True


def disown(signature):
    """"This was not me": delete a pending signature; a counted one stays (its owner confirmed it)."""
    campaign_id, created = signature.campaign_id, signature.created_at  # read before the row is gone
    deleted = db.session.execute(
        delete(Signature).where(Signature.id == signature.id, Signature.state == Signature.PENDING),
        execution_options={"synchronize_session": False},
    ).rowcount
    if deleted == 1:
        forget(db.session, KIND, [signature.id])
    db.session.commit()
    if deleted == 1:
        events.changed_signatures(campaign_id, created)
    return deleted == 1


def expire(days):
    """Delete pending signatures older than ``days``; how many."""
    ranges = db.session.execute(  # per campaign, the times of those about to go
        select(Signature.campaign_id, func.min(Signature.created_at), func.max(Signature.created_at))
        .where(Signature.state == Signature.PENDING, Signature.created_at < utcnow() - timedelta(days=days))
        .group_by(Signature.campaign_id)
    ).all()
    deleted = db.session.scalars(
        delete(Signature).where(Signature.state == Signature.PENDING, Signature.created_at < utcnow() - timedelta(days=days))
        .returning(Signature.id),
        execution_options={"synchronize_session": False},
    ).all()
    forget(db.session, KIND, deleted)
    db.session.commit()
    for campaign_id, since, until in ranges:
        events.changed_signatures(campaign_id, since, until)
    return len(deleted)


views.ACTIONS[TAG] = (confirm, disown, lambda signature: signature.state == Signature.PENDING)
