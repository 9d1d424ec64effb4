"""Limits on mail: at most WIDGET_MAIL_DAILY_LIMIT mails to one address a day, whatever asks for
them; forms caught by a bot trap never cause a mail."""
import logging

import pytest
from sqlalchemy import func, select

from widget_service.extensions import db
from widget_service.mail.models import OutboxMail

from ..builders import make_campaign
from ..test_coordinators import API as OFFERS, offer
from .conftest import work
from .test_subscription_mail import subscribe


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_URL=smtp.url, CONFIRM_SIGNATURES=True, MAIL_DAILY_LIMIT=2)


def test_one_address_gets_at_most_the_daily_limit_whatever_asks(app, client, widget, runner, smtp, caplog):
    caplog.set_level(logging.INFO)
    with app.app_context():
        slugs = [make_campaign().slug for _ in range(3)]
    # Three causes, each from another form and campaign, one mailbox (spelled two ways).
    widget.sign(slugs[0], email="Flooded@Example.org")
    subscribe(client, slugs[1], "flooded@example.org")
    client.post(OFFERS.format(slugs[2]), json=offer(email="flooded@example.org"))
    subscribe(client, slugs[2], "other@example.org")  # another address is not held back
    work(runner)
    received = smtp.wait_for(3)
    assert sorted(m["To"].lower() for m in received) == ["flooded@example.org", "flooded@example.org", "other@example.org"]
    assert "flooded" not in caplog.text.lower() and "has had its mails for today" in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 3


def test_forms_caught_by_a_trap_cause_no_mail(app, client, widget, runner, smtp, campaign):
    widget.sign(campaign, email="victim@example.org", website="http://spam.example")
    client.post(OFFERS.format(campaign), json=offer(email="victim@example.org", website="http://spam.example"))
    client.post(f"/api/v1/campaigns/{campaign}/subscriptions", json={"email": "victim@example.org", "website": "x"})
    work(runner)
    assert smtp.received == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0
