"""The audit log: who did what, when. Append-only: this module only ever inserts.

Every part of the console calls ``record`` for its own actions (sign-in, set-up, account
changes, exports, changes to campaigns, moderation). The staff member's email is kept (staff,
not supporters); the client's address never is, only its keyed hash.
"""
import getpass

from flask import has_request_context, request
from sqlalchemy import func, select

from ..extensions import db
from ..models import utcnow
from ..ratelimits import client_network, keyed_hash
from .models import AuditEntry


def actor():
    """Who acts: the signed-in staff member's email, ``cli:<user>`` from a command, else ``system``."""
    if has_request_context():
        from .auth import current_staff

        staff = current_staff()
        if staff is not None:
            return staff.email
        return "system"
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:?"


def record(action, target="", details=None, who=None, commit=True):
    """Append one entry: ``action`` (a short verb such as ``export.signatures``) on ``target``
    (a campaign slug, an email...), with ``details`` (JSON-able, no supporter's personal data).
    ``who`` overrides the actor (a failed sign-in names the account tried). Commits unless told
    not to (then it is part of the caller's transaction)."""
    ip_hash = None
    if has_request_context():
        ip_hash = keyed_hash("ip-hash", client_network(request.remote_addr))
    entry = AuditEntry(
        at=utcnow(), actor=(who or actor())[:254], action=action[:64], target=str(target or "")[:300],
        details=details or None, ip_hash=ip_hash,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def page(number, per_page=50):
    """Entries newest first: the ``number``-th page (from 1) and the number of pages."""
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    pages = max(1, -(-total // per_page))
    number = min(max(1, number), pages)
    entries = db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).offset((number - 1) * per_page).limit(per_page)
    ).all()
    return entries, number, pages


def tail(count):
    """The last ``count`` entries, oldest first."""
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(count)).all()
    return list(reversed(entries))
