"""Offers to coordinate are confirmed by mail before MSP sees them: an offer made with somebody
else's address never shadows theirs, and the mailbox's owner decides which offer stands."""
import csv
import io
from datetime import timedelta

import pytest

from widget_service.models import Coordinator

from ..builders import make_campaign
from ..test_coordinators import API, offer
from .conftest import work
from .test_confirmed_signatures import backdate, confirm_link, not_me_link


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP <campaigns@msp.example>", CONFIRM_SIGNATURES=True)


def exported(runner, slug):
    result = runner.invoke(args=["coordinators", "export", slug])
    assert result.exit_code == 0, result.output
    # The export writes a phone number as '+92... (a spreadsheet would read +92... as a formula).
    return [(row["email"], row["phone"].lstrip("'"), row["state"]) for row in csv.DictReader(io.StringIO(result.output))]


def mail_about(messages, phone_digits):
    return next(m for m in messages if phone_digits in m.get_body(("plain",)).get_content())


def test_the_mailbox_owner_decides_which_offer_stands(app, client, runner, smtp, campaign):
    # An adversary offers first with the activist's address and their own phone number.
    assert client.post(API.format(campaign), json=offer(email="activist@example.org", phone="+44 7911 123456")).status_code == 202
    assert client.post(API.format(campaign), json=offer(email="activist@example.org", phone="0300 1234567")).status_code == 202
    assert exported(runner, campaign) == []  # MSP sees nothing unconfirmed
    work(runner)
    messages = smtp.wait_for(2)
    assert {m["To"] for m in messages} == {"activist@example.org"}
    adversarys, own = mail_about(messages, "+447911123456"), mail_about(messages, "+923001234567")

    assert client.post(confirm_link(own)).status_code == 200
    assert exported(runner, campaign) == [("activist@example.org", "+923001234567", "received")]
    assert b"Deleted" in client.post(not_me_link(adversarys)).data
    assert exported(runner, campaign) == [("activist@example.org", "+923001234567", "received")]

    # A later offer of the same mailbox, confirmed by its owner, replaces the first.
    client.post(API.format(campaign), json=offer(email="activist@example.org", phone="0333 7654321"))
    work(runner)
    newer = smtp.wait_for(3)[-1]
    assert exported(runner, campaign) == [("activist@example.org", "+923001234567", "received")]
    client.post(confirm_link(newer))
    client.post(confirm_link(newer))
    assert exported(runner, campaign) == [("activist@example.org", "+923337654321", "received")]
    assert client.post(confirm_link(own)).status_code == 404  # the replaced offer is gone, and its links


def test_unconfirmed_offers_expire_and_the_thank_you_says_to_confirm(app, client, runner, smtp, campaign):
    client.post(API.format(campaign), json=offer(email="slow@example.org"))
    backdate(app, Coordinator, timedelta(days=8))
    output = runner.invoke(args=["mail", "expire"]).output
    assert "pending offers to coordinate deleted: 1" in output
    work(runner)
    assert smtp.received == []  # its mail was cancelled with it
    assert "check your inbox" in client.get(f"/widgets/{campaign}/coordinator").data.decode()


def test_without_confirmation_the_first_offer_is_received_as_before(make_app, smtp):
    app = make_app(SMTP_URL=smtp.url, CONFIRM_SIGNATURES=False)
    with app.app_context():
        slug = make_campaign().slug
    client, runner = app.test_client(), app.test_cli_runner()
    client.post(API.format(slug), json=offer(email="plain@example.org", phone="0300 1234567"))
    client.post(API.format(slug), json=offer(email="plain@example.org", phone="+44 7911 123456"))
    assert exported(runner, slug) == [("plain@example.org", "+923001234567", "received")]
    work(runner)
    assert smtp.received == []
