"""Putting mails into the outbox, in the caller's transaction.

``enqueue`` adds a row to the session it is given and never commits: the caller's commit stores
the mail with its cause, and a rollback of the cause drops the mail too. Every mail to one
address counts against ``WIDGET_MAIL_DAILY_LIMIT``, whatever asks for it: a form that anybody can
fill in with anybody's address must not become a way to flood a mailbox.

A mail's row is personal data (an address, and what it was about): it is deleted with its cause
when that is disowned or expires (``forget``), and ``purge`` (``flask mail expire``) deletes the
rows that are done once the daily limit, which counts a day of rows, no longer needs them.
"""
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, literal, select

from ..models import utcnow
from ..ratelimits import keyed_hash
from ..sharing import public_base
from .models import OutboxMail

log = logging.getLogger(__name__)

DAY = timedelta(days=1)
# A held mail's next try (a paused alert's): far enough to be never, until it is released.
PAUSED_UNTIL = datetime(3000, 1, 1)


def address_hash(email_canonical):
    return keyed_hash("mail-to", email_canonical)


def enqueue(session, kind, row):
    """Queue a mail of ``kind`` about ``row`` (its ``id``, ``campaign_id``, ``email``,
    ``email_canonical``, ``lang``) to its address, in ``session``'s transaction; False when the
    address has had its day's mails.

    One statement, the limit's count inside it (``INSERT ... SELECT ... WHERE``): a form that
    causes a mail costs its transaction one more round trip, not two.
    """
    now = utcnow()
    to_hash = address_hash(row.email_canonical)
    values = {
        "kind": kind, "campaign_id": row.campaign_id, "ref_id": row.id, "to_email": row.email, "to_hash": to_hash,
        "lang": row.lang, "base_url": public_base(), "state": OutboxMail.QUEUED, "attempts": 0,
        "next_attempt_at": now, "created_at": now,
    }
    today = select(func.count()).select_from(OutboxMail).where(OutboxMail.to_hash == to_hash, OutboxMail.created_at > now - DAY)
    source = select(*(literal(value, OutboxMail.__table__.c[name].type) for name, value in values.items()))
    statement = insert(OutboxMail).from_select(list(values), source.where(today.scalar_subquery() < current_app.config["MAIL_DAILY_LIMIT"]))
    # RETURNING, not rowcount: psycopg reported -1 for this INSERT ... SELECT through the ORM
    # session (from the CLI and the worker), which read as "over the limit" though it was stored.
    if session.execute(statement.returning(OutboxMail.id)).first() is not None:
        return True
    log.info("a %s mail was not queued: its address has had its mails for today", kind)
    return False


def last_queued(session, kind, ref_id):
    """When the latest mail of ``kind`` about ``ref_id`` was queued (None: never)."""
    return session.scalar(
        select(func.max(OutboxMail.created_at)).where(OutboxMail.kind == kind, OutboxMail.ref_id == ref_id)
    )


def forget(session, kind, ref_ids):
    """Delete the mails of ``kind`` about the rows ``ref_ids`` (their cause is gone), in
    ``session``'s transaction."""
    if ref_ids:
        session.execute(delete(OutboxMail).where(OutboxMail.kind == kind, OutboxMail.ref_id.in_(ref_ids)),
                        execution_options={"synchronize_session": False})


def purge(session, older_than=DAY):
    """Delete sent, cancelled and failed mails queued more than ``older_than`` ago (the daily
    limit reads one ``DAY`` of rows); how many. Queued mails stay: they are still being tried."""
    return session.execute(
        delete(OutboxMail).where(OutboxMail.state != OutboxMail.QUEUED, OutboxMail.created_at < utcnow() - older_than),
        execution_options={"synchronize_session": False},
    ).rowcount
