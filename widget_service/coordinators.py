"""Supporters offering to coordinate a campaign in their region."""
import logging

from flask_babel import lazy_gettext as _l

from . import protection
from .errors import CampaignClosed, ValidationFailed
from .extensions import db, insert_unless_present
from .models import Coordinator
from .ratelimits import keyed_hash
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
    values = dict(
        clean,
        campaign_id=campaign.id,
        state=Coordinator.SUSPECT if check.verdict == protection.SUSPECT else Coordinator.RECEIVED,
        ip_hash=keyed_hash("ip-hash", meta.get("ip")),
        source_origin=clean_origin(meta.get("origin")),
    )
    try:
        _insert_unless_offered(values)
        db.session.commit()
    except Exception as error:
        check.failed(error)
        raise


def _insert_unless_offered(values):
    """Insert an offer; False when this mailbox has offered for this campaign already."""
    inserted = insert_unless_present(Coordinator, values)
    if not inserted:
        log.info("second coordinator offer from one mailbox ignored")
    return inserted
