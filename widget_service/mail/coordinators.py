"""Offers to coordinate, confirmed by mail before MSP sees them.

The mailbox's owner confirms one offer from its mail, and that offer stands: it becomes the
mailbox's received offer for the campaign, replacing an earlier one (only the owner can press
the button, so an offer somebody made with their address can no longer be the one MSP calls).
"This was not me" deletes a pending offer. Unconfirmed offers expire (``flask mail expire``).
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Campaign, Coordinator, utcnow
from . import tokens, views
from .messages import Draft, builder
from .outbox import enqueue, forget

KIND = "coordinator_confirm"
TAG = "c"
tokens.KINDS[TAG] = Coordinator


def on_pending(app, session, row):
    enqueue(session, KIND, row)


@builder(KIND)
def confirm_mail(mail):
    offer = db.session.get(Coordinator, mail.ref_id)
    if offer is None or offer.state != Coordinator.PENDING:
        return None
    title = db.session.get(Campaign, offer.campaign_id).text(mail.lang).title
    confirm, not_me = tokens.links(TAG, offer, mail.base_url, mail.lang)
    return Draft(
        _("Please confirm your offer to coordinate: “%(title)s”", title=title), "coordinator_confirm",
        {"title": title, "name": offer.name, "phone": offer.phone, "confirm_url": confirm, "not_me_url": not_me,
         "days": current_app.config["PENDING_EXPIRY_DAYS"]},
    )


def confirm(offer):
    """Make a pending offer the mailbox's received one (True); False if it was not pending."""
    for _attempt in range(3):  # two offers of one mailbox confirmed at the same moment: one wins
        try:
            changed = db.session.execute(
                update(Coordinator).where(Coordinator.id == offer.id, Coordinator.state == Coordinator.PENDING)
                .values(state=Coordinator.PENDING), execution_options={"synchronize_session": False},
            ).rowcount  # locks the row, so a second click waits here and then finds it received
            if changed != 1:
                db.session.rollback()
                return False
            db.session.execute(delete(Coordinator).where(
                Coordinator.campaign_id == offer.campaign_id, Coordinator.email_canonical == offer.email_canonical,
                Coordinator.state == Coordinator.RECEIVED, Coordinator.id != offer.id,
            ), execution_options={"synchronize_session": False})
            db.session.execute(update(Coordinator).where(Coordinator.id == offer.id).values(state=Coordinator.RECEIVED),
                               execution_options={"synchronize_session": False})
            db.session.commit()
            return True
        except IntegrityError:
            db.session.rollback()
    return False


def disown(offer):
    deleted = db.session.execute(
        delete(Coordinator).where(Coordinator.id == offer.id, Coordinator.state == Coordinator.PENDING),
        execution_options={"synchronize_session": False},
    ).rowcount
    if deleted == 1:
        forget(db.session, KIND, [offer.id])
    db.session.commit()
    return deleted == 1


def expire(days):
    deleted = db.session.scalars(
        delete(Coordinator).where(Coordinator.state == Coordinator.PENDING,
                                  Coordinator.created_at < utcnow() - timedelta(days=days))
        .returning(Coordinator.id),
        execution_options={"synchronize_session": False},
    ).all()
    forget(db.session, KIND, deleted)
    db.session.commit()
    return len(deleted)


views.ACTIONS[TAG] = (confirm, disown, lambda offer: offer.state == Coordinator.PENDING)
