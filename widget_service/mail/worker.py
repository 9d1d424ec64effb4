"""Delivering the outbox: ``flask mail work``, any number side by side.

A worker claims a batch of due rows with one conditional ``UPDATE`` that sets its claim and a
lease (on PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so workers never wait on
each other; SQLite runs the statement under its write lock), commits, sends, and records each
outcome against its claim. A worker that dies mid-batch leaves its rows to be claimed again when
the lease ends. The lease is far longer than a batch can take (``BATCH`` mails, each bounded by
``WIDGET_SMTP_TIMEOUT_SECONDS``), so no two workers hold a row at once.

Temporary failures (4xx, a server down or cutting the line), and a mail that could not be built
(its builder or template failed), are tried again after
``WIDGET_MAIL_RETRY_SECONDS``, doubling up to ``MAX_RETRY_SECONDS``, for ``GIVE_UP_AFTER``; a
permanent one (5xx) is recorded and never tried again. Nothing is lost while the server is down.
"""
import logging
import secrets
import signal
import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..log_privacy import mask
from ..models import utcnow
from . import fanout, messages, transport
from .models import OutboxMail

log = logging.getLogger(__name__)

BATCH = 10
MAX_RETRY_SECONDS = 600
GIVE_UP_AFTER = timedelta(days=3)


def lease():
    return timedelta(seconds=BATCH * current_app.config["SMTP_TIMEOUT_SECONDS"] * 3 + 60)


def claim(batch=BATCH):
    """Claim up to ``batch`` due mails for this worker; returns them (committed)."""
    now, token = utcnow(), secrets.token_hex(16)
    due = (
        OutboxMail.state == OutboxMail.QUEUED,
        OutboxMail.next_attempt_at <= now,
        (OutboxMail.lease_until.is_(None)) | (OutboxMail.lease_until < now),
    )
    chosen = select(OutboxMail.id).where(*due).order_by(OutboxMail.id).limit(batch).with_for_update(skip_locked=True)
    claimed = db.session.scalars(
        update(OutboxMail).where(OutboxMail.id.in_(chosen), *due).values(claim=token, lease_until=now + lease())
        .returning(OutboxMail.id),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    if not claimed:
        return []
    # By primary key: ``claim`` has no index, and a poll must not read the whole outbox.
    return db.session.scalars(select(OutboxMail).where(OutboxMail.id.in_(claimed), OutboxMail.claim == token)
                              .order_by(OutboxMail.id)).all()


def _record(mail, **values):
    """Record an outcome, unless the claim was lost (the lease ended: another worker has it)."""
    db.session.execute(
        update(OutboxMail).where(OutboxMail.id == mail.id, OutboxMail.claim == mail.claim)
        .values(claim=None, lease_until=None, **values),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def _retry_later(mail, reason):
    attempts = mail.attempts + 1
    if utcnow() - mail.created_at > GIVE_UP_AFTER:
        log.warning("outbox mail %s failed for good after %s tries: %s", mail.id, attempts, reason)
        _record(mail, state=OutboxMail.FAILED, attempts=attempts, last_error=reason)
        return
    delay = min(current_app.config["MAIL_RETRY_SECONDS"] * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
    log.info("outbox mail %s: temporary failure, try %s again in %.0f s: %s", mail.id, attempts, delay, reason)
    _record(mail, attempts=attempts, next_attempt_at=utcnow() + timedelta(seconds=delay), last_error=reason)


def deliver(mails, mailer):
    """Send claimed ``mails`` over one connection; the number sent."""
    sent, connection = 0, None
    try:
        for mail in mails:
            try:
                data = messages.render(mail)
            except messages.Held as held:  # not this mail's time (its alert is paused): no try spent
                db.session.rollback()
                _record(mail, next_attempt_at=held.until)
                continue
            except Exception as error:  # a mail that cannot be built must not hold up the others
                db.session.rollback()
                _retry_later(mail, "could not build the mail: " + mask(f"{error.__class__.__name__}: {error}")[:160])
                continue
            if data is None:
                _record(mail, state=OutboxMail.CANCELLED)
                continue
            try:
                if connection is None or not connection.usable():
                    connection = mailer.open(current_app.config["SMTP_TIMEOUT_SECONDS"])
                connection.send(messages.sender(), mail.to_email, data, f"outbox-{mail.id}")
            except transport.Permanent as error:
                log.warning("outbox mail %s refused for good: %s", mail.id, error)
                _record(mail, state=OutboxMail.FAILED, attempts=mail.attempts + 1, last_error=str(error)[:200])
                continue
            except transport.Temporary as error:
                _retry_later(mail, str(error)[:200])
                continue
            _record(mail, state=OutboxMail.SENT, attempts=mail.attempts + 1, sent_at=utcnow(), last_error=None)
            sent += 1
    finally:
        if connection is not None:
            connection.close()
    return sent


def work_once(mailer, batch=BATCH):
    """Queue what alerts may queue now, then claim and send one batch; the number of mails claimed."""
    fanout.pump()
    mails = claim(batch)
    if mails:
        deliver(mails, mailer)
    return len(mails)


def run(mailer, interval=2.0, once=False, batch=BATCH):
    """Send due mails until stopped (SIGTERM or SIGINT end it after the mail in hand), or, with
    ``once``, until nothing is due."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
    while not stop.is_set():
        try:
            claimed = work_once(mailer, batch)
        except Exception:  # the database went away: say so, wait, try again
            log.exception("mail worker: a batch failed")
            db.session.rollback()
            claimed = 0
        if once and not claimed:
            return
        if not claimed:
            stop.wait(interval)
