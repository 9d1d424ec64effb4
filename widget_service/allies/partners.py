"""The partners' domain verbs: register an ally, its origins, its statistics link, its status.

A partner's key follows ``validation.partner_key`` (the rule its snippets' ``data-partner`` is
credited under) and holds no ``~``: a share's ref is ``key~channel``, and the part before the
``~`` names the partner. Rows are credited by that key when they are read (``key_of``), so a ref
no partner holds yet is kept as it came and shown as unknown, and a partner registered later
gets the credit of everything its key brought before.
"""
import hashlib
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import ValidationFailed
from ..extensions import db
from ..validation import clean_email, clean_origin, clean_text, partner_key
from .models import Partner, PartnerOrigin

NAME_MAX = 200


def key_of(ref):
    """The partner key a stored ref credits (``key~channel`` -> ``key``), or None."""
    return ref.split("~", 1)[0] or None if ref else None


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def check_key(text):
    """``(key, error)``: a new partner's key, which must already follow the rule."""
    text = (text or "").strip()
    if not text:
        return None, _l("Enter a key, such as quetta-solidarity.")
    key = partner_key(text)
    if key != text or "~" in text:
        suggestion = (key or "").split("~")[0]
        return None, _l(
            "Use up to 64 letters, digits and . _ -, starting with a letter or digit (such as %(key)s).",
            key=suggestion or "quetta-solidarity",
        )
    return key, None


def check_origin(text):
    origin = clean_origin((text or "").strip().rstrip("/"))
    if origin is None:
        return None, _l("Enter an origin such as https://www.example.org (no path).")
    return origin, None


def create(key, name, contact_email, origins=()):
    """A new, active partner; raises ``ValidationFailed`` (nothing stored) for a bad field or a
    key that is taken."""
    errors = {}
    key, errors["key"] = check_key(key)
    name, error = clean_text(name if isinstance(name, str) else "", NAME_MAX)  # no control characters (NUL)
    errors["name"] = _l("Enter the organisation's name (at most 200 characters).") if error else None
    contact_email, errors["contact_email"] = clean_email(contact_email)
    cleaned = []
    for text in origins:
        origin, error = check_origin(text)
        errors["origins"] = errors.get("origins") or error
        cleaned.append(origin)
    errors = {field: str(error) for field, error in errors.items() if error}
    if errors:
        raise ValidationFailed(errors=errors)
    partner = Partner(key=key, name=name, contact_email=contact_email, status=Partner.ACTIVE)
    partner.origins = [PartnerOrigin(origin=origin) for origin in dict.fromkeys(cleaned)]
    db.session.add(partner)
    try:
        db.session.flush()
    except IntegrityError:
        # The unique index is the backstop: two admins creating the same key at once.
        db.session.rollback()
        raise ValidationFailed(errors={"key": str(_l("A partner already has this key."))}) from None
    return partner


def _origins_changed():
    """Forget this instance's cached embed policies (others see the change within seconds)."""
    cache = current_app.extensions.get("msp_embed_policy")
    if cache is not None:
        cache.clear()


def find(key):
    return db.session.scalar(select(Partner).where(Partner.key == key))


def by_stats_token(token):
    """The active partner whose statistics link holds ``token``, or None."""
    if not token or len(token) > 100:
        return None
    partner = db.session.scalar(select(Partner).where(Partner.stats_token_hash == hash_token(token)))
    return partner if partner is not None and partner.active else None


def allow_origin(partner, text):
    """Add an origin the partner embeds from; returns it. Raises ``ValidationFailed``."""
    origin, error = check_origin(text)
    if error:
        raise ValidationFailed(errors={"origin": str(error)})
    if origin not in {row.origin for row in partner.origins}:
        partner.origins.append(PartnerOrigin(origin=origin))
    _origins_changed()
    return origin


def remove_origin(partner, origin):
    partner.origins = [row for row in partner.origins if row.origin != origin]
    _origins_changed()


def rotate_stats_link(partner):
    """A new statistics token (the old link stops working); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    partner.stats_token_hash = hash_token(token)
    return token


def revoke_stats_link(partner):
    partner.stats_token_hash = None


def set_status(partner, status):
    if status not in Partner.STATUSES:
        raise ValidationFailed(errors={"status": str(_l("Choose active or disabled."))})
    partner.status = status
    _origins_changed()


def all_partners():
    return db.session.scalars(select(Partner).order_by(Partner.name, Partner.key)).all()


def embedding_origins():
    """The registered origins of active partners, sorted: where a ``partners`` campaign may be
    embedded."""
    return sorted(
        db.session.scalars(
            select(PartnerOrigin.origin).join(Partner).where(Partner.status == Partner.ACTIVE).distinct()
        )
    )
