"""Fixtures of the mail tests: ``smtp`` (a real SMTP server on loopback) and ``mail_app`` (the
service sending through it), and helpers to run the worker and read what it sent."""
import re

import pytest

from .smtp_server import SMTPSink


@pytest.fixture
def smtp():
    sink = SMTPSink()
    yield sink
    sink.stop()


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP Campaigns <campaigns@msp.example>", MAIL_RETRY_SECONDS=0.2)


def work(runner):
    """``flask mail work --once``: send what is due now."""
    result = runner.invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    return result


def links(message):
    """The http links of a mail's plain-text part."""
    return re.findall(r"https?://\S+", message.get_body(("plain",)).get_content())


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)
