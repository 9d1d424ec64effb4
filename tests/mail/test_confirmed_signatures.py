"""Confirmed signatures: pending and uncounted until the mailbox's owner confirms from the mail;
the form's answer and the count the same for a new, pending and counted address."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from widget_service.counting import count_from_sql
from widget_service.extensions import db
from widget_service.mail.models import OutboxMail
from widget_service.models import Campaign, Signature, Subscription

from .conftest import links, path_of, work


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP Campaigns <campaigns@msp.example>", CONFIRM_SIGNATURES=True,
                    COUNT_CACHE_SECONDS=0)


def states(app):
    with app.app_context():
        return dict(db.session.execute(select(Signature.email, Signature.state)).all())


def backdate(app, model, by, *where):
    """Move rows' ``created_at`` back (in Python: SQLite has no interval arithmetic)."""
    with app.app_context():
        for row in db.session.scalars(select(model).where(*where)):
            row.created_at -= by
        db.session.commit()


def confirm_link(message):
    return path_of(next(url for url in links(message) if "/supporters/confirm/" in url))


def not_me_link(message):
    return path_of(next(url for url in links(message) if "/supporters/not-me/" in url))


def test_the_answer_and_the_count_never_tell_whether_an_address_signed(app, widget, runner, smtp, campaign):
    assert "confirm signatures off" in runner.invoke(args=["campaigns", "set", campaign, "--no-confirm-signatures"]).output
    assert widget.sign(campaign, email="old@example.org").status_code == 202
    assert widget.count(campaign) == 1
    assert "confirm signatures on" in runner.invoke(args=["campaigns", "set", campaign, "--confirm-signatures"]).output

    answers = [widget.sign(campaign, email=email) for email in ("old@example.org", "new@example.org", "new@example.org")]
    assert {(a.status_code, a.data) for a in answers} == {(202, answers[0].data)}  # one answer for all three
    assert widget.count(campaign) == 1
    assert states(app) == {"old@example.org": "counted", "new@example.org": "pending"}
    work(runner)
    [mail] = smtp.wait_for(1)  # the second signing within the hour sends nothing more; a counted address nothing
    assert mail["To"] == "new@example.org" and widget.count(campaign) == 1

    page = widget.client.get(confirm_link(mail))  # what a mail scanner does: nothing changes
    assert page.status_code == 200 and b"<form method=\"post\"" in page.data
    assert page.headers["Cache-Control"] == "no-store" and widget.count(campaign) == 1
    assert widget.client.post(confirm_link(mail)).status_code == 200
    assert widget.count(campaign) == 2
    assert widget.client.post(confirm_link(mail)).status_code == 200  # twice: counted once
    assert widget.count(campaign) == 2 and states(app)["new@example.org"] == "counted"
    # Not-me after confirming deletes nothing: the mailbox's owner confirmed it.
    assert b"confirmed already" in widget.client.post(not_me_link(mail)).data
    assert widget.count(campaign) == 2


def test_this_was_not_me_deletes_the_pending_signature_and_its_links_stop_working(app, widget, runner, smtp, campaign):
    widget.sign(campaign, email="target@example.org", name="Somebody Else")
    work(runner)
    [mail] = smtp.wait_for(1)
    assert "Somebody Else" in mail.get_body(("plain",)).get_content()
    assert widget.client.get(not_me_link(mail)).status_code == 200
    assert states(app) == {"target@example.org": "pending"}  # a GET deletes nothing
    assert b"Deleted" in widget.client.post(not_me_link(mail)).data
    assert states(app) == {}
    assert widget.client.post(confirm_link(mail)).status_code == 404 and widget.count(campaign) == 0
    widget.sign(campaign, email="target@example.org")  # the address can sign for itself now
    work(runner)
    assert len(smtp.wait_for(2)) == 2


def test_signing_again_while_pending_mails_again_at_most_once_an_hour(app, widget, runner, smtp, campaign):
    for _ in range(3):
        widget.sign(campaign, email="forgetful@example.org")
    work(runner)
    assert len(smtp.wait_for(1)) == 1
    backdate(app, OutboxMail, timedelta(minutes=61))
    widget.sign(campaign, email="forgetful@example.org")
    widget.sign(campaign, email="forgetful@example.org")
    work(runner)
    first, second = smtp.wait_for(2)
    assert len(smtp.received) == 2 and confirm_link(first) == confirm_link(second)


def test_the_mail_is_in_the_signers_language(app, widget, runner, smtp, campaign):
    widget.sign(campaign, email="urdu@example.org", lang="ur")
    work(runner)
    [mail] = smtp.wait_for(1)
    assert mail["Content-Language"] == "ur" and "کھڑے ہوں" in mail["Subject"]
    assert 'dir="rtl"' in mail.get_body(("html",)).get_content()
    assert "تصدیق" in mail.get_body(("plain",)).get_content()
    page = widget.client.get(confirm_link(mail))
    assert 'lang="ur" dir="rtl"' in page.data.decode()


def test_pending_signatures_expire(app, widget, runner, smtp, campaign):
    widget.sign(campaign, email="late@example.org")
    widget.sign(campaign, email="recent@example.org")
    work(runner)
    late = next(m for m in smtp.wait_for(2) if m["To"] == "late@example.org")
    backdate(app, Signature, timedelta(days=8), Signature.email == "late@example.org")
    assert "pending signatures deleted: 1" in runner.invoke(args=["mail", "expire"]).output
    assert states(app) == {"recent@example.org": "pending"}
    assert widget.client.post(confirm_link(late)).status_code == 404 and widget.count(campaign) == 0


def test_two_confirmations_at_once_count_once(app, widget, runner, smtp, campaign):
    widget.sign(campaign, email="racer@example.org")
    work(runner)
    [mail] = smtp.wait_for(1)
    path, barrier = confirm_link(mail), threading.Barrier(6)
    statuses = []

    def click():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(path).status_code)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 6
    assert widget.count(campaign) == 1
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == campaign))
        counted = db.session.scalar(select(func.count()).select_from(Signature).where(Signature.state == "counted"))
        assert counted == count_from_sql(campaign_id) == 1


def test_a_confirmed_opt_in_is_a_confirmed_subscription_with_its_welcome(app, widget, runner, smtp, campaign):
    widget.sign(campaign, email="keen@example.org", opt_in=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0  # nothing before confirming
    work(runner)
    [mail] = smtp.wait_for(1)
    widget.client.post(confirm_link(mail))
    work(runner)
    [_, welcome] = smtp.wait_for(2)
    assert welcome["To"] == "keen@example.org" and welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with app.app_context():
        assert db.session.scalar(select(Subscription.confirmed_at)) is not None


def test_a_bot_caught_by_the_honeypot_causes_no_mail(app, widget, runner, smtp, campaign):
    assert widget.sign(campaign, email="victim@example.org", website="http://spam.example").status_code == 202
    assert states(app) == {"victim@example.org": "suspect"}
    work(runner)
    assert smtp.received == []


def test_a_broken_or_forged_link_changes_nothing(app, widget, runner, smtp, campaign):
    widget.sign(campaign, email="careful@example.org")
    work(runner)
    [mail] = smtp.wait_for(1)
    path = confirm_link(mail).split("?")[0]
    for bad in (path[:-3], path.replace("/confirm/", "/confirm/x"), "/supporters/confirm/", "/supporters/confirm/%ff"):
        answer = widget.client.post(bad)
        assert answer.status_code in (404, 405), bad
    assert states(app) == {"careful@example.org": "pending"} and widget.count(campaign) == 0


def test_the_thank_you_says_to_check_the_inbox(app, client, campaign):
    assert "check your inbox" in client.get(f"/widgets/{campaign}/petition").data.decode()
