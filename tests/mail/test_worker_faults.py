"""The worker against what it cannot send: a mail it cannot build is retried, then given up,
and holds up no other; a DKIM key is read and checked once, at start; a poll reads the rows it
claims by their key, not the whole outbox."""
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import event, insert, select

from widget_service.config import ConfigError
from widget_service.extensions import db
from widget_service.mail.models import OutboxMail
from widget_service.models import utcnow

from ..builders import make_campaign
from .conftest import work
from .test_subscription_mail import subscribe


def add_mail(app, kind, n=1, **values):
    """Rows put straight into the outbox (``kind`` may be one this version has no builder for:
    a row queued by a newer version during a rolling upgrade)."""
    now = utcnow()
    rows = [{"kind": kind, "to_email": f"row{i}@example.org", "to_hash": f"hash{i}", "lang": "en",
             "base_url": "http://127.0.0.1", "state": OutboxMail.QUEUED, "attempts": 0, "next_attempt_at": now,
             "created_at": now, **values} for i in range(n)]
    with app.app_context():
        db.session.execute(insert(OutboxMail), rows)
        db.session.commit()


def rows(app):
    with app.app_context():
        return db.session.execute(select(OutboxMail.kind, OutboxMail.state, OutboxMail.attempts, OutboxMail.lease_until,
                                         OutboxMail.last_error).order_by(OutboxMail.id)).all()


def make_due(app, created_ago=timedelta(0)):
    """Every row due now (instead of waiting for its retry), created ``created_ago`` earlier."""
    with app.app_context():
        for mail in db.session.scalars(select(OutboxMail)):
            mail.next_attempt_at = utcnow() - timedelta(seconds=1)
            mail.created_at -= created_ago
        db.session.commit()


def test_a_mail_that_cannot_be_built_holds_up_no_other_and_is_given_up(app, client, runner, smtp, campaign):
    add_mail(app, "from_a_newer_version")  # first in the batch
    subscribe(client, campaign, "waiting.behind@example.org")
    work(runner)
    [sent] = smtp.wait_for(1)
    assert sent["To"] == "waiting.behind@example.org"
    [bad, good] = rows(app)
    assert good.state == "sent"
    assert (bad.state, bad.attempts, bad.lease_until) == ("queued", 1, None)  # not left leased
    assert bad.last_error.startswith("could not build the mail: KeyError") and "row0@" not in bad.last_error
    make_due(app)
    work(runner)
    assert rows(app)[0].attempts == 2  # tried again, with the same backing off as a 4xx
    make_due(app, created_ago=timedelta(days=4))
    work(runner)
    assert rows(app)[0].state == "failed" and "could not build the mail" in runner.invoke(args=["mail", "status"]).output
    assert len(smtp.received) == 1


def rsa_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.mark.parametrize("content", [None, b"", b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"])
def test_a_dkim_key_that_cannot_sign_stops_the_start(make_app, smtp, tmp_path, content):
    key_file = tmp_path / "dkim.pem"
    if content is not None:  # None: no such file
        key_file.write_bytes(content)
    with pytest.raises(ConfigError, match="WIDGET_DKIM_KEY_FILE"):
        make_app(SMTP_URL=smtp.url, DKIM_KEY_FILE=str(key_file), DKIM_SELECTOR="mail2026")


def test_the_dkim_key_is_read_once_at_start(make_app, smtp, tmp_path):
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(rsa_pem())
    app = make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP <campaigns@msp.example>", DKIM_KEY_FILE=str(key_file),
                   DKIM_SELECTOR="mail2026")
    key_file.unlink()  # no file read per mail: the worker signs with what it read at start
    with app.app_context():
        slug = make_campaign().slug
    subscribe(app.test_client(), slug, "signed@example.org")
    work(app.test_cli_runner())
    smtp.wait_for(1)
    [(_, _, raw)] = smtp.received
    assert raw.startswith(b"DKIM-Signature:") and b"s=mail2026" in raw


def removed_by_filter(plan):
    """Rows a plan read and threw away, over all its nodes."""
    return plan.get("Rows Removed by Filter", 0) + sum(removed_by_filter(child) for child in plan.get("Plans", []))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # it reads PostgreSQL's plans
def test_a_poll_reads_only_the_rows_it_claims(app, client, runner, smtp, campaign):
    add_mail(app, "subscription_confirm", n=400, state=OutboxMail.SENT)  # a day's sent mails
    subscribe(client, campaign, "due@example.org")
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "outbox_mail" in statement:
            statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        work(runner)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    smtp.wait_for(1)
    assert statements
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")  # use an index wherever one applies
        for statement, parameters in statements:
            [[plan]] = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).one()
            plan = plan if isinstance(plan, dict) else json.loads(plan)[0]
            assert removed_by_filter(plan["Plan"]) < 20, statement
        connection.rollback()
