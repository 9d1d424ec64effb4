"""Putting mails into the outbox, in the caller's transaction.

``enqueue`` adds a row to the session it is given and never commits: the caller's commit stores
the mail with its cause, and a rollback of the cause drops the mail too. Every mail to one
address counts against ``WIDGET_MAIL_DAILY_LIMIT``, whatever asks for it: a form that anybody can
fill in with anybody's address must not become a way to flood a mailbox.
"""
import logging
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import func, select

from ..models import utcnow
from ..ratelimits import keyed_hash
from .models import OutboxMail

log = logging.getLogger(__name__)

DAY = timedelta(days=1)


def address_hash(email_canonical):
    return keyed_hash("mail-to", email_canonical)


def links_base():
    """Where a mail's links point: ``WIDGET_PUBLIC_URL`` (required in production), else the
    address the request came to (development and tests), else ``make run``'s."""
    if current_app.config["PUBLIC_URL"]:
        return current_app.config["PUBLIC_URL"]
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


def sent_today(session, to_hash, now=None):
    """Mails queued for an address (by its hash) in the last 24 hours."""
    since = (now or utcnow()) - DAY
    return session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.to_hash == to_hash, OutboxMail.created_at > since)
    )


def enqueue(session, kind, to_email, email_canonical, lang, campaign_id=None, ref_id=None):
    """Queue a mail in ``session``'s transaction; None when the address has had its day's mails."""
    to_hash = address_hash(email_canonical)
    if sent_today(session, to_hash) >= current_app.config["MAIL_DAILY_LIMIT"]:
        log.info("a %s mail was not queued: its address has had its mails for today", kind)
        return None
    mail = OutboxMail(
        kind=kind, campaign_id=campaign_id, ref_id=ref_id, to_email=to_email, to_hash=to_hash, lang=lang,
        base_url=links_base(), state=OutboxMail.QUEUED, attempts=0, next_attempt_at=utcnow(), created_at=utcnow(),
    )
    session.add(mail)
    return mail


def last_queued(session, kind, ref_id):
    """When the latest mail of ``kind`` about ``ref_id`` was queued (None: never)."""
    return session.scalar(
        select(func.max(OutboxMail.created_at)).where(OutboxMail.kind == kind, OutboxMail.ref_id == ref_id)
    )
