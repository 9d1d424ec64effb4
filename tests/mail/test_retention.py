"""Personal data in the outbox lasts no longer than it is needed: a mail's row goes with its
cause ("this was not me", expiry), and ``flask mail expire`` deletes mails done over a day ago
(the daily limit per address reads one day of rows)."""
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, func, or_, select

from widget_service.extensions import db
from widget_service.mail.models import OutboxMail
from widget_service.models import Coordinator, Signature

from ..builders import make_campaign
from ..test_coordinators import API as OFFERS, offer
from .conftest import work
from .test_confirmed_signatures import backdate, not_me_link
from .test_subscription_mail import subscribe


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP <campaigns@msp.example>", CONFIRM_SIGNATURES=True,
                    MAIL_DAILY_LIMIT=2)


def rows_holding(app, text):
    """``table.column`` of every text column, in every table, where some row holds ``text``."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if columns and db.session.scalar(select(func.count()).select_from(table).where(
                    or_(*(func.lower(c).contains(text.lower()) for c in columns)))):
                found.append(table.name)
    return found


def outbox_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMail))


@pytest.mark.parametrize("what", ["signature", "offer"])
def test_after_this_was_not_me_no_row_holds_the_address(app, client, widget, runner, smtp, campaign, what):
    if what == "signature":
        widget.sign(campaign, email="Not.Me@example.org")
    else:
        assert client.post(OFFERS.format(campaign), json=offer(email="Not.Me@example.org")).status_code == 202
    widget.sign(campaign, email="other@example.org")
    work(runner)
    mail = next(m for m in smtp.wait_for(2) if m["To"] == "Not.Me@example.org")
    assert rows_holding(app, "not.me@example.org")  # the test can see it while it is there
    assert b"Deleted" in client.post(not_me_link(mail)).data
    assert rows_holding(app, "not.me@example.org") == []
    assert rows_holding(app, "other@example.org") != []  # another signer's mail is untouched


def test_expiry_deletes_the_mails_of_what_expired(app, client, widget, runner, smtp, campaign):
    widget.sign(campaign, email="late@example.org")
    client.post(OFFERS.format(campaign), json=offer(email="late.offer@example.org"))
    backdate(app, Signature, timedelta(days=8))
    backdate(app, Coordinator, timedelta(days=8))
    assert outbox_count(app) == 2  # queued, never sent: expiry must not leave them behind
    output = runner.invoke(args=["mail", "expire"]).output
    assert "pending signatures deleted: 1" in output and "pending offers to coordinate deleted: 1" in output
    assert rows_holding(app, "late@example.org") == [] and rows_holding(app, "late.offer@example.org") == []
    work(runner)
    assert smtp.received == []


def test_mails_done_over_a_day_ago_are_deleted_and_the_daily_limit_still_holds(app, client, widget, runner, smtp, campaign):
    subscribe(client, campaign, "old@example.org")
    subscribe(client, campaign, "twice@example.org")
    work(runner)
    smtp.wait_for(2)
    backdate(app, OutboxMail, timedelta(hours=25), OutboxMail.to_email == "old@example.org")
    smtp.refuse = "451 4.3.0 try again later"
    subscribe(client, campaign, "waiting@example.org")
    work(runner)
    backdate(app, OutboxMail, timedelta(hours=25), OutboxMail.to_email == "waiting@example.org")
    smtp.refuse = None

    output = runner.invoke(args=["mail", "expire"]).output
    assert "mails sent, cancelled or failed over a day ago deleted: 1" in output
    assert "outbox_mail" not in rows_holding(app, "old@example.org")  # (its subscription stays)
    assert "outbox_mail" in rows_holding(app, "waiting@example.org")  # still being tried: kept
    # The day's rows are kept, so the daily limit (2 here) still counts the mail sent today.
    widget.sign(campaign, email="twice@example.org")
    with app.app_context():
        another = make_campaign().slug
    subscribe(client, another, "twice@example.org")
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMail.to_email == "twice@example.org")) == 2
