"""``flask mail work`` and ``flask mail status``."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..extensions import db
from ..models import utcnow
from . import coordinators, outbox, signatures, transport, worker
from .models import OutboxMail

mail_cli = AppGroup("mail", help="Deliver the outbox's mails and see how it stands.")


@mail_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (for cron or a test).")
@click.option("--interval", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help="Seconds to wait when nothing is due.")
@click.option("--batch", type=click.IntRange(min=1, max=worker.BATCH), default=worker.BATCH, show_default=True,
              help="Mails claimed at a time.")
def work_command(once, interval, batch):
    """Deliver queued mails through WIDGET_SMTP_URL; run as many side by side as you like."""
    mailer = transport.parse(current_app.config["SMTP_URL"])
    if mailer is None:
        raise click.ClickException("set WIDGET_SMTP_URL (such as smtp://user:password@host:587?tls=starttls, or file:instance/mail)")
    worker.run(mailer, interval=interval, once=once, batch=batch)


@mail_cli.command("status")
def status_command():
    """How many mails are waiting, being retried, sent and failed; the latest failures."""
    now = utcnow()
    counts = dict(db.session.execute(select(OutboxMail.state, func.count()).group_by(OutboxMail.state)).all())
    waiting = OutboxMail.state == OutboxMail.QUEUED
    retrying = db.session.scalar(select(func.count()).where(waiting, OutboxMail.attempts > 0))
    oldest = db.session.scalar(select(func.min(OutboxMail.created_at)).where(waiting))
    click.echo(f"queued\t{counts.get(OutboxMail.QUEUED, 0)}\t(of which retrying after a temporary failure: {retrying})")
    if oldest is not None:
        click.echo(f"oldest queued\t{int((now - oldest).total_seconds())} s ago")
    for state in (OutboxMail.SENT, OutboxMail.FAILED, OutboxMail.CANCELLED):
        click.echo(f"{state}\t{counts.get(state, 0)}")
    failures = db.session.execute(
        select(OutboxMail.id, OutboxMail.kind, OutboxMail.state, OutboxMail.attempts, OutboxMail.last_error)
        .where(OutboxMail.last_error.is_not(None)).order_by(OutboxMail.id.desc()).limit(5)
    ).all()
    for row in failures:
        click.echo(f"  #{row.id} {row.kind} {row.state} after {row.attempts} tries: {row.last_error}")


@mail_cli.command("expire")
def expire_command():
    """Delete what waited for a confirmation longer than WIDGET_PENDING_EXPIRY_DAYS, and mails
    done more than a day ago (run it daily from cron)."""
    days = current_app.config["PENDING_EXPIRY_DAYS"]
    click.echo(f"pending signatures deleted: {signatures.expire(days)}")
    click.echo(f"pending offers to coordinate deleted: {coordinators.expire(days)}")
    purged = outbox.purge(db.session)
    db.session.commit()
    click.echo(f"mails sent, cancelled or failed over a day ago deleted: {purged}")
