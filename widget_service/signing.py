"""Signing a petition."""
import logging

from sqlalchemy.exc import IntegrityError

from .counting import add_to_count, forget_cached_count
from .errors import CampaignClosed, ValidationFailed
from .extensions import db
from .models import Signature
from .protection import email_limited, keyed_hash, passes_captcha, screen
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
    screening = screen("petition", form, token_required=meta.get("widget", False))
    clean, errors = clean_signature(form)
    if errors:
        raise ValidationFailed(errors=errors)
    state = Signature.COUNTED
    if screening.suspect:
        log.info("petition form for %s trapped: %s", campaign.slug, screening.suspect)
        state = Signature.SUSPECT
    elif not passes_captcha(campaign, form):
        state = Signature.SUSPECT  # captcha unverifiable; kept uncounted for review
    if email_limited("petition", campaign.id, clean["email_canonical"]):
        return
    signature = Signature(
        campaign_id=campaign.id,
        state=state,
        ip_hash=keyed_hash("ip-hash", meta.get("ip")),
        source_origin=clean_origin(meta.get("origin")),
        **clean,
    )
    db.session.add(signature)
    try:
        db.session.flush()
    except IntegrityError:
        # The unique index on (campaign, canonical email) is the backstop for concurrent
        # double submits: this mailbox has signed already. Nothing else was written yet.
        db.session.rollback()
        log.info("duplicate signature for campaign %s ignored", campaign.slug)
        return
    if signature.state in Signature.COUNTED_STATES:
        add_to_count(campaign.id)
    db.session.commit()
    forget_cached_count(campaign.id)
