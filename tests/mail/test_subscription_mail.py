"""Subscriptions get their confirmation mail, and a confirmed subscriber the welcome mail with
the unsubscribe link, through the outbox and a real SMTP server."""
import pytest
from sqlalchemy import select

from widget_service.extensions import db
from widget_service.models import Subscription

from .conftest import links, path_of, work

API = "/api/v1/campaigns/{}/subscriptions"


def subscribe(client, slug, email, lang="en"):
    answer = client.post(API.format(slug), json={"email": email, "lang": lang, "email_lang": lang})
    assert answer.status_code == 202, answer.data
    return answer


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_subscription_is_asked_to_confirm_then_welcomed_with_one_click_unsubscribe(app, client, runner, smtp, campaign, lang):
    subscribe(client, campaign, "zara@example.org", lang)
    assert smtp.received == []  # nothing is sent inside the request
    work(runner)
    [ask] = smtp.wait_for(1)
    assert ask["To"] == "zara@example.org" and ask["From"] == "MSP Campaigns <campaigns@msp.example>"
    assert ask["Content-Language"] == lang and ask["Message-ID"].endswith("@msp.example>")
    assert ask["Auto-Submitted"] == "auto-generated" and ask["List-Unsubscribe"] is None
    assert ask.get_content_type() == "multipart/alternative"
    html = ask.get_body(("html",)).get_content()
    assert f'lang="{lang}" dir="{"rtl" if lang == "ur" else "ltr"}"' in html
    if lang == "ur":
        assert "کھڑے ہوں" in ask["Subject"] and "تصدیق" in ask.get_body(("plain",)).get_content()
    else:
        assert "Stand up" in ask["Subject"] and "confirm" in ask.get_body(("plain",)).get_content()
    [confirm] = links(ask)
    assert confirm in html

    page = client.get(path_of(confirm))  # a mail scanner following the link confirms nothing
    assert page.status_code == 200 and b'<form method="post">' in page.data
    work(runner)
    assert len(smtp.received) == 1
    with app.app_context():
        assert db.session.scalar(select(Subscription.confirmed_at)) is None

    assert client.post(path_of(confirm)).status_code == 200
    assert client.post(path_of(confirm)).status_code == 200  # twice: still one welcome
    work(runner)
    [_, welcome] = smtp.wait_for(2)
    assert welcome["To"] == "zara@example.org" and welcome["Content-Language"] == lang
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = welcome["List-Unsubscribe"].strip("<>")
    assert one_click.split("/unsubscribe/")[1] in " ".join(links(welcome))
    gone = client.post(path_of(one_click), data={"List-Unsubscribe": "One-Click"})
    assert gone.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Subscription.unsubscribed_at)) is not None


def test_a_second_subscription_from_one_mailbox_sends_nothing_more(app, client, runner, smtp, campaign):
    subscribe(client, campaign, "omar@example.org")
    subscribe(client, campaign, "omar@example.org")
    work(runner)
    assert len(smtp.wait_for(1)) == 1
    work(runner)
    assert len(smtp.received) == 1


def test_a_mail_whose_subscription_was_confirmed_meanwhile_is_cancelled(app, client, runner, smtp, campaign):
    subscribe(client, campaign, "sana@example.org")
    with app.app_context():
        subscription = db.session.scalar(select(Subscription))
        subscription.confirmed_at = subscription.created_at
        db.session.commit()
    work(runner)
    assert smtp.received == []
    assert "cancelled\t1" in runner.invoke(args=["mail", "status"]).output
