"""`make run` runs a mail worker beside the servers: a signature on the demo is followed by its
confirmation mail as a file a newcomer can open, and Ctrl-C stops the worker with the rest."""
import email
import email.policy
import os
import signal
import time

import pytest
import requests

from ..test_make_run import make_run, stopped_cleanly  # noqa: F401  (the fixture)


@pytest.fixture
def mail_dir(tmp_path, monkeypatch):
    """Where this test's `make run` writes mail (the recipe keeps a WIDGET_SMTP_URL it is given)."""
    monkeypatch.setenv("WIDGET_SMTP_URL", f"file:{tmp_path / 'mail'}")
    return tmp_path / "mail"


def test_make_run_writes_the_mails_it_would_send(mail_dir, make_run):  # noqa: F811
    process, service, demo, log_path = make_run
    assert "instance/mail" in log_path.read_text()
    answer = requests.post(f"{service}/api/v1/campaigns/hazara-quetta/signatures", timeout=10,
                           json={"name": "New Comer", "email": "newcomer@example.org", "country": "PK"})
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + 30
    while not list(mail_dir.glob("*.eml")):
        assert time.monotonic() < deadline, "no mail written: " + log_path.read_text()
        time.sleep(0.2)
    [written] = list(mail_dir.glob("*.eml"))
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == "newcomer@example.org"
    assert f"{service}/supporters/confirm/" in message.get_body(("plain",)).get_content()
    os.killpg(process.pid, signal.SIGINT)
    stopped_cleanly(process, service, demo, log_path)
