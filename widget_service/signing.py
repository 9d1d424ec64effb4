"""Signing a petition."""
import hashlib
import hmac
import logging

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .counting import add_to_count, forget_cached_count
from .errors import CampaignClosed, ValidationFailed
from .extensions import db
from .models import Signature
from .validation import clean_origin, clean_signature

log = logging.getLogger(__name__)


def ip_hash(ip):
    """A keyed hash of the client IP: groups abuse without storing who connected from where."""
    if not ip:
        return None
    key = hashlib.sha256(b"msp-ip-hash:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def sign_petition(campaign, form, meta):
    """Validate ``form`` and store it as a signature of ``campaign``.

    ``meta`` carries what the request says about the signer rather than what they typed:
    ``ip`` and ``origin`` (the embedding page). Returns nothing on purpose: a new signature and
    a duplicate must look the same to the caller, so the form reveals nobody's signature.
    """
    if not campaign.is_open():
        raise CampaignClosed()
    clean, errors = clean_signature(form)
    if errors:
        raise ValidationFailed(errors=errors)
    signature = Signature(
        campaign_id=campaign.id,
        state=Signature.COUNTED,
        ip_hash=ip_hash(meta.get("ip")),
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
