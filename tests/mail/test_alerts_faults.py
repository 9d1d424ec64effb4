"""An alert to a few hundred subscribers against faults: the SMTP server stopped and restarted
mid-send, several workers side by side, a worker dying in the middle of queueing; every
subscriber gets exactly one copy."""
import time
from collections import Counter

from sqlalchemy import func, select, update

from widget_service.extensions import db
from widget_service.mail import fanout
from widget_service.mail.models import Alert, AlertRecipient, OutboxMail

from .conftest import work
from .test_alerts import add_subscribers, alerts, app, recipients, show, written_tested_sent  # noqa: F401 (app: the fixture)
from .test_worker import start_worker, subprocess_env


def alert_mails(app):
    with app.app_context():
        return Counter(db.session.scalars(select(OutboxMail.state).where(OutboxMail.kind == "alert")))


def test_the_server_stopped_and_restarted_mid_send_every_subscriber_gets_one_copy(app, runner, smtp, campaign, database_url, tmp_path):
    addresses = add_subscribers(app, campaign, 300, "outage")
    alert_id = written_tested_sent(runner, smtp, tmp_path, campaign)
    smtp.delay = 0.005
    worker = start_worker(subprocess_env(database_url, smtp, WIDGET_ALERT_MAILS_PER_MINUTE="100000"), "--interval", "0.1")
    try:
        smtp.wait_for(2 + 60, timeout=60)
        smtp.stop()  # down in the middle of the alert
        time.sleep(1.0)
        assert len(recipients(smtp, addresses)) < 300
        smtp.start()
        smtp.wait_for(2 + 300, timeout=120)
        time.sleep(1.0)  # nothing more comes
    finally:
        worker.terminate()
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert recipients(smtp, addresses) == Counter(addresses)
    assert alert_mails(app) == Counter(sent=300)
    assert {"total": "300", "sent": "300", "queued": "0", "waiting": "0"}.items() <= show(runner, alert_id).items()
    assert "@example.org" not in stderr


def test_four_workers_side_by_side_send_each_subscriber_one_copy(app, runner, smtp, campaign, database_url, tmp_path):
    addresses = add_subscribers(app, campaign, 160, "side")
    written_tested_sent(runner, smtp, tmp_path, campaign)
    smtp.delay = 0.01
    env = subprocess_env(database_url, smtp, WIDGET_ALERT_MAILS_PER_MINUTE="100000")
    # Small batches: the four queue and claim at the same moments, over and over.
    workers = [start_worker(env, "--once", "--batch", "2") for _ in range(4)]
    outputs = [worker.communicate(timeout=180) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 4, outputs
    work(runner)  # whatever a worker that finished early left queued
    assert recipients(smtp, addresses) == Counter(addresses)
    message_ids = Counter(message["Message-ID"] for message in smtp.messages())
    assert set(message_ids.values()) == {1}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AlertRecipient)) == 160


def test_a_worker_dying_mid_fan_out_is_resumed_without_a_second_copy(app, runner, smtp, campaign, tmp_path, monkeypatch):
    addresses = add_subscribers(app, campaign, 160, "crash")
    alert_id = written_tested_sent(runner, smtp, tmp_path, campaign)
    real_enqueue, calls = fanout.outbox.enqueue, []

    def dies_at_the_130th(session, kind, row):
        calls.append(row.id)
        if len(calls) == 130:
            raise SystemError("the worker died here")  # mid-way through the second batch of 100
        return real_enqueue(session, kind, row)

    monkeypatch.setattr(fanout.outbox, "enqueue", dies_at_the_130th)
    work(runner)
    monkeypatch.undo()
    with app.app_context():  # the first batch stands whole, the second left no trace
        assert db.session.scalar(select(func.count()).select_from(AlertRecipient)) == 100
    assert alert_mails(app) == Counter(queued=100)
    assert {"waiting": "60", "queued": "100"}.items() <= show(runner, alert_id).items()

    work(runner)  # another run (or worker) goes on where the last commit left off
    assert recipients(smtp, addresses) == Counter(addresses)
    assert alert_mails(app) == Counter(sent=160)

    with app.app_context():  # even a fan-out started over from the beginning queues nobody again
        db.session.execute(update(Alert).values(state=Alert.SENDING, queued_through=0, finished_at=None))
        db.session.commit()
    work(runner)
    assert recipients(smtp, addresses) == Counter(addresses) and alert_mails(app) == Counter(sent=160)
    assert show(runner, alert_id)["total"] == "160"
