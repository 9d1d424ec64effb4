"""Signing a petition.

A campaign may require signatures to be confirmed by mail (``confirm_signatures``, by default
``WIDGET_CONFIRM_SIGNATURES``): a new signature is then stored ``pending``, uncounted, and the
mail subpackage mails its signer a link (``events.signature_pending``). Only the mailbox's owner
makes it count. So neither the form's answer nor the count tells anybody whether an address had
signed: they are the same for a new address, a pending one and a counted one.
"""
import logging
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select

from . import events, protection
from .counting import counted, insert_counted
from .errors import CampaignClosed, ValidationFailed
from .extensions import db, insert_unless_present
from .models import Signature, Subscription
from .ratelimits import keyed_hash
from .subscriptions import record_subscription
from .validation import clean_origin, clean_signature

log = logging.getLogger(__name__)


def sign_petition(campaign, form, meta):
    """Validate ``form`` and store it as a signature of ``campaign``.

    ``meta`` carries what the request says about the signer rather than what they typed:
    ``ip``, ``origin`` (the embedding page) and ``widget`` (true for the widget's own form,
    which always carries a form token). Returns nothing on purpose: a new signature, a
    duplicate, a trapped bot and a mailbox over its limit must look the same to the caller, so
    the form reveals nobody's signature and teaches a bot nothing.
    """
    if not campaign.is_open():
        raise CampaignClosed()
    clean, errors = clean_signature(form)
    if errors:
        raise ValidationFailed(errors=errors)
    check = protection.check_form(
        "petition", campaign, form, clean["email_canonical"], token_required=meta.get("widget", False)
    )
    if check.verdict == protection.DROP:
        return
    state = Signature.SUSPECT if check.verdict == protection.SUSPECT else Signature.COUNTED
    if state == Signature.COUNTED and confirmation_required(campaign):
        state = Signature.PENDING
    values = dict(
        clean,
        campaign_id=campaign.id,
        state=state,
        ip_hash=keyed_hash("ip-hash", meta.get("ip")),
        source_origin=clean_origin(meta.get("origin")),
    )
    campaign_id = campaign.id  # read before the commit expires it (that would cost a query)
    reported = None  # the shard's new value, reported to the live count once committed
    try:
        if state == Signature.PENDING:
            store_pending(values)
            db.session.commit()
        elif state not in Signature.COUNTED_STATES:
            insert_unless_present(Signature, values)  # a suspect row; the index ignores those
            db.session.commit()
        elif clean["opt_in"]:  # in the signature's transaction: both are stored, or neither
            reported = insert_counted(values)  # None: this mailbox has signed already
            if reported is not None:
                record_subscription(
                    campaign_id, clean["email"], clean["email_canonical"], clean["name"], clean["lang"],
                    Subscription.PETITION, ref=clean["ref"],
                )
            db.session.commit()
        else:
            reported = insert_counted(values, commit=True)
    except Exception as error:
        check.failed(error)
        raise
    if reported is not None:
        counted(campaign_id, *reported)
    elif state in Signature.COUNTED_STATES:
        log.info("duplicate signature ignored")


def confirmation_required(campaign):
    """Whether ``campaign``'s signatures count only once confirmed by mail."""
    return bool(campaign.setting("confirm_signatures", current_app.config["CONFIRM_SIGNATURES"]))


def store_pending(values):
    """Store a signature waiting for its mailbox's confirmation, in the caller's transaction,
    and have it mailed; a mailbox that has a pending signature already is mailed again (the mail
    subpackage sends that at most once an hour), one whose signature counts gets nothing."""
    new_id = insert_unless_present(Signature, values)
    again = new_id is None
    if again:
        new_id = db.session.scalar(select(Signature.id).where(
            Signature.campaign_id == values["campaign_id"], Signature.email_canonical == values["email_canonical"],
            Signature.state == Signature.PENDING,
        ))
    if new_id is not None:
        row = SimpleNamespace(id=new_id, **{name: values[name] for name in ("campaign_id", "email", "email_canonical", "lang")})
        events.signature_pending.send(current_app._get_current_object(), session=db.session, row=row, again=again)
