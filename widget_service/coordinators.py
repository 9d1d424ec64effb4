"""Supporters offering to coordinate a campaign in their region.

Where a campaign confirms by mail (``signing.confirmation_required``), a new offer waits as
``pending``, unseen by MSP, and the mailbox's owner is mailed a link to confirm it
(``events.coordinator_pending``). Pending offers are left out of the one-offer-per-mailbox
rule, so an offer somebody else made with a person's address can never shadow theirs; the
mailbox's owner decides which offer stands by confirming it (the mail subpackage).
"""
import logging
from types import SimpleNamespace

from flask import current_app
from flask_babel import lazy_gettext as _l

from . import events, protection
from .errors import CampaignClosed, ValidationFailed
from .extensions import db, insert, insert_unless_present
from .models import Coordinator
from .ratelimits import keyed_hash
from .signing import confirmation_required
from .supporter_validation import clean_coordinator
from .validation import clean_origin

log = logging.getLogger(__name__)

CLOSED = _l("This campaign is closed and no longer takes new coordinators. Thank you for offering.")


def enlist_coordinator(campaign, form, meta):
    """Validate ``form`` and store it as an offer to coordinate ``campaign``.

    ``meta`` as for ``signing.sign_petition``. Returns nothing on purpose: a new offer, a
    second one from the same mailbox, a trapped bot and a mailbox over its limit all get the
    same answer. A second offer never replaces the first: the form needs no login, so letting
    it overwrite would let anybody who knows a coordinator's address put their own phone
    number in its place. A coordinator who needs to correct their details tells MSP when MSP
    contacts them.
    """
    if not campaign.is_open():
        raise CampaignClosed(CLOSED)
    clean, errors = clean_coordinator(form)
    if errors:
        raise ValidationFailed(errors=errors)
    check = protection.check_form(
        "coordinator", campaign, form, clean["email_canonical"], token_required=meta.get("widget", False)
    )
    if check.verdict == protection.DROP:
        return
    state = Coordinator.SUSPECT if check.verdict == protection.SUSPECT else Coordinator.RECEIVED
    if state == Coordinator.RECEIVED and confirmation_required(campaign):
        state = Coordinator.PENDING
    values = dict(
        clean,
        campaign_id=campaign.id,
        state=state,
        ip_hash=keyed_hash("ip-hash", meta.get("ip")),
        source_origin=clean_origin(meta.get("origin")),
    )
    try:
        if state == Coordinator.RECEIVED:
            _insert_unless_offered(values)
        else:  # pending and suspect offers are outside the unique index: they always insert
            new_id = db.session.execute(insert(Coordinator).values(values).returning(Coordinator.id)).scalar()
            if state == Coordinator.PENDING:
                row = SimpleNamespace(id=new_id, **{name: values[name] for name in ("campaign_id", "email", "email_canonical", "lang")})
                events.coordinator_pending.send(current_app._get_current_object(), session=db.session, row=row)
        db.session.commit()
    except Exception as error:
        check.failed(error)
        raise


def _insert_unless_offered(values):
    """Insert a received offer; False when this mailbox has one for this campaign already."""
    inserted = insert_unless_present(Coordinator, values) is not None
    if not inserted:
        log.info("second coordinator offer from one mailbox ignored")
    return inserted
