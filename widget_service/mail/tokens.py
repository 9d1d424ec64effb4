"""The tokens in the links of confirmation mails: ``/supporters/confirm/<token>`` and
``/supporters/not-me/<token>``.

A token names one row (a signature or a coordinator offer) and is bound to its mailbox and
creation time by a keyed fingerprint, so it can never name another row (SQLite may reuse a
deleted row's id), and reveals no address. It does not expire: the row does (``flask mail
expire``), and with it every link to it.
"""
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..ratelimits import keyed_hash

KINDS = {}  # the token's first element -> the model it names


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="msp-supporter-confirm")


def _fingerprint(tag, row):
    return keyed_hash("supporter-confirm", f"{tag}:{row.campaign_id}:{row.email_canonical}:{row.created_at.isoformat()}")[:16]


def token(tag, row):
    return _serializer().dumps([tag, row.id, _fingerprint(tag, row)])


def links(tag, row, base_url, lang):
    """The confirm and not-me links of ``row``."""
    value = token(tag, row)
    return (f"{base_url.rstrip('/')}/supporters/confirm/{value}?lang={lang}",
            f"{base_url.rstrip('/')}/supporters/not-me/{value}?lang={lang}")


def find(value):
    """``(tag, row)`` a token names, or None for a broken, forged or stale one."""
    try:
        payload = _serializer().loads(value)
    except (BadSignature, UnicodeError, ValueError):
        return None
    if not (isinstance(payload, list) and len(payload) == 3 and payload[0] in KINDS
            and type(payload[1]) is int and abs(payload[1]) < 2**31 and isinstance(payload[2], str)):
        return None
    tag, row_id, fingerprint = payload
    row = db.session.get(KINDS[tag], row_id)
    if row is None or _fingerprint(tag, row) != fingerprint:
        return None
    return tag, row
