"""The outbox's worker against a real SMTP server: retries, permanent refusals, an outage in the
middle of a batch, two workers on one outbox, ``flask mail status``, DKIM."""
import base64
import email
import email.policy
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from widget_service.extensions import db
from widget_service.mail.models import OutboxMail

from ..builders import make_campaign
from .conftest import work
from .test_subscription_mail import subscribe

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def outbox(app):
    with app.app_context():
        return db.session.execute(select(OutboxMail.state, OutboxMail.attempts, OutboxMail.last_error)).all()


def recipients(smtp):
    return Counter(rcpt for _, rcpts, _ in smtp.received for rcpt in rcpts)


def test_a_temporary_refusal_is_tried_again_and_delivered_once(app, client, runner, smtp, campaign):
    subscribe(client, campaign, "bilal@example.org")
    smtp.refuse = "451 4.3.0 try again later"
    work(runner)
    assert smtp.received == []
    [(state, attempts, error)] = outbox(app)
    assert (state, attempts, error) == ("queued", 1, "451 4.3.0 try again later")
    assert "of which retrying after a temporary failure: 1" in runner.invoke(args=["mail", "status"]).output
    smtp.refuse = None
    work(runner)
    assert smtp.received == []  # not due yet: it waits for its retry time
    time.sleep(0.3)
    work(runner)
    smtp.wait_for(1)
    assert outbox(app) == [("sent", 2, None)]


def test_a_permanent_refusal_is_recorded_never_retried_and_logged_without_the_address(app, client, runner, smtp, campaign, caplog):
    caplog.set_level(logging.INFO)
    subscribe(client, campaign, "nobody.here@example.org")
    smtp.refuse = "550 5.1.1 <nobody.here@example.org>: no such user"
    work(runner)
    smtp.refuse = None
    time.sleep(0.3)
    work(runner)
    assert smtp.received == []
    [(state, attempts, error)] = outbox(app)
    assert (state, attempts) == ("failed", 1) and error.startswith("550 5.1.1") and "nobody.here" not in error
    status = runner.invoke(args=["mail", "status"]).output
    assert "failed\t1" in status and "550 5.1.1" in status and "nobody.here" not in status
    assert "nobody.here" not in caplog.text and "550" in caplog.text


def test_a_server_that_is_down_loses_nothing(app, client, runner, smtp, campaign):
    subscribe(client, campaign, "hina@example.org")
    smtp.stop()
    work(runner)
    [(state, attempts, error)] = outbox(app)
    assert (state, attempts) == ("queued", 1) and "ConnectionRefused" in error
    smtp.start()
    time.sleep(0.3)
    work(runner)
    smtp.wait_for(1)
    assert outbox(app) == [("sent", 2, None)]


def subprocess_env(database_url, smtp, **extra):
    url, options = database_url
    search_path = options.get("connect_args", {}).get("options")
    if search_path:  # this test's PostgreSQL schema, as the app's engine options name it
        url = f"{url}?options={quote(search_path)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIDGET_", "FLASK_"))}
    env.update(
        FLASK_APP="wsgi", WIDGET_ENV="testing", WIDGET_DATABASE_URL=url, WIDGET_SMTP_URL=smtp.url,
        WIDGET_SECRET_KEY="test-secret-key-that-is-long-enough-0123456789", WIDGET_MAIL_RETRY_SECONDS="0.2",
        WIDGET_MAIL_FROM="MSP Campaigns <campaigns@msp.example>", **extra,
    )
    return env


def start_worker(env, *args):
    return subprocess.Popen([FLASK, "mail", "work", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def queue_many(client, campaign, n, prefix):
    addresses = [f"{prefix}{i}@example.org" for i in range(n)]
    for address in addresses:
        subscribe(client, campaign, address)
    return addresses


def test_the_server_stopped_and_restarted_mid_batch_every_mail_arrives_exactly_once(app, client, smtp, campaign, database_url):
    addresses = queue_many(client, campaign, 40, "outage")
    smtp.delay = 0.02
    worker = start_worker(subprocess_env(database_url, smtp), "--interval", "0.1")
    try:
        smtp.wait_for(10)
        smtp.stop()  # down in the middle of the batch
        time.sleep(1.0)
        assert len(smtp.received) < 40
        smtp.start()
        smtp.wait_for(40, timeout=60)
        time.sleep(1.0)  # nothing more comes
    finally:
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert recipients(smtp) == Counter(addresses)
    assert {state for state, _, _ in outbox(app)} == {"sent"}
    assert "@example.org" not in stderr


def test_four_workers_on_one_outbox_send_every_mail_once(app, client, smtp, campaign, database_url):
    addresses = queue_many(client, campaign, 60, "pair")
    smtp.delay = 0.05  # slow enough that both workers are at it together
    env = subprocess_env(database_url, smtp)
    workers = [start_worker(env, "--once", "--batch", "1") for _ in range(4)]  # many claims, often at once
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 4, outputs
    assert recipients(smtp) == Counter(addresses)
    message_ids = Counter(message["Message-ID"] for message in smtp.messages())
    assert len(message_ids) == 60 and set(message_ids.values()) == {1}
    assert {state for state, _, _ in outbox(app)} == {"sent"}


def test_mails_are_dkim_signed_when_a_key_is_set(make_app, smtp, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    app = make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP <campaigns@msp.example>", DKIM_KEY_FILE=str(key_file),
                   DKIM_SELECTOR="mail2026")

    with app.app_context():
        slug = make_campaign().slug
    subscribe(app.test_client(), slug, "dkim@example.org")
    work(app.test_cli_runner())
    smtp.wait_for(1)
    [(_, _, raw)] = smtp.received
    assert raw.startswith(b"DKIM-Signature:") and b"d=msp.example" in raw and b"s=mail2026" in raw
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name, timeout=5):
        assert name == b"mail2026._domainkey.msp.example."
        return record

    assert dkim.verify(raw, dnsfunc=dns)
    assert not dkim.verify(raw.replace(b"Stand up", b"Stand down", 1), dnsfunc=dns)


@pytest.mark.parametrize("url", ["smtp://", "http://mail.example.org", "smtp://h:587?tls=maybe", "file://elsewhere/mail"])
def test_a_wrong_smtp_url_stops_the_start_with_what_is_wrong(make_app, url):
    from widget_service.config import ConfigError
    with pytest.raises(ConfigError, match="WIDGET_SMTP_URL"):
        make_app(SMTP_URL=url)


def test_the_file_transport_writes_readable_mails(make_app, tmp_path):
    app = make_app(SMTP_URL=f"file:{tmp_path / 'mail'}")

    with app.app_context():
        slug = make_campaign().slug
    subscribe(app.test_client(), slug, "reader@example.org")
    work(app.test_cli_runner())
    work(app.test_cli_runner())
    [written] = list((tmp_path / "mail").glob("*.eml"))
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == "reader@example.org" and "/confirm/" in message.get_body(("plain",)).get_content()


def test_work_without_a_server_configured_says_what_to_set(make_app):
    result = make_app().test_cli_runner().invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 1 and "WIDGET_SMTP_URL" in result.output
