"""Action alerts through ``flask alerts`` and the outbox, against a real SMTP server: a test
first, then each confirmed subscriber once, in their language, with one-click unsubscribe;
refusals of bad input; throttling, pause and resume; unsubscribing mid-send."""
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from widget_service.console.models import AuditEntry
from widget_service.extensions import db
from widget_service.mail import fanout, outbox
from widget_service.mail.models import Alert, AlertRecipient, OutboxMail
from widget_service.models import Campaign, Subscription, utcnow

from ..builders import make_campaign
from .conftest import links, path_of, work

SUBJECTS = {"en": "Call your MPA today", "ur": "آج اپنے رکنِ اسمبلی کو فون کریں"}
TEXTS = {"en": "The vote is on Friday.\nCall before then.\n\nThank you <all>.", "ur": "ووٹ جمعہ کو ہے۔\n\nشکریہ۔"}


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP Campaigns <campaigns@msp.example>", MAIL_RETRY_SECONDS=0.2,
                    ALERT_MAILS_PER_MINUTE=100000)


def add_subscribers(app, slug, n, prefix, lang="en", confirmed=True, unsubscribed=False):
    """Subscriptions straight into the table (their own mails are tested elsewhere)."""
    now = utcnow()
    addresses = [f"{prefix}{i}@example.org" for i in range(n)]
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
        db.session.add_all(Subscription(
            campaign_id=campaign_id, email=address, email_canonical=address, lang=lang, source=Subscription.NOTIFY,
            confirmed_at=now if confirmed else None, unsubscribed_at=now if unsubscribed else None) for address in addresses)
        db.session.commit()
    return addresses


def alerts(runner, *args, ok=True):
    result = runner.invoke(args=["alerts", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def create(runner, tmp_path, slug, **overrides):
    values = {"subject_en": SUBJECTS["en"], "subject_ur": SUBJECTS["ur"], **overrides}
    args = [slug, "--subject-en", values["subject_en"], "--subject-ur", values["subject_ur"]]
    for lang in ("en", "ur"):
        path = tmp_path / f"text-{lang}.txt"
        path.write_text(overrides.get(f"text_{lang}", TEXTS[lang]), encoding="utf-8")
        args += [f"--text-{lang}", str(path)]
    return alerts(runner, "create", *args, ok="ok" not in overrides or overrides.pop("ok"))


def written_tested_sent(runner, smtp, tmp_path, slug):
    """Write an alert, test it, deliver the test, send it; the alert's id."""
    output = create(runner, tmp_path, slug)
    alert_id = output.split()[1]
    alerts(runner, "test", alert_id, "--to", "staff@msp.example")
    work(runner)
    alerts(runner, "send", alert_id)
    return alert_id


def recipients(smtp, of=None):
    return Counter(rcpt for _, rcpts, _ in smtp.received for rcpt in rcpts if of is None or rcpt in of)


def show(runner, alert_id):
    lines = alerts(runner, "show", alert_id).splitlines()
    return {line.split("\t")[0]: line.split("\t")[1] for line in lines if "\t" in line}


def test_an_alert_goes_once_to_each_confirmed_subscriber_in_their_language(app, client, runner, smtp, campaign, tmp_path):
    [english] = add_subscribers(app, campaign, 1, "reader.en")
    [urdu] = add_subscribers(app, campaign, 1, "reader.ur", lang="ur")
    never = (add_subscribers(app, campaign, 1, "unconfirmed", confirmed=False)
             + add_subscribers(app, campaign, 1, "gone", unsubscribed=True))
    alert_id = create(runner, tmp_path, campaign).split()[1]
    preview = alerts(runner, "preview", alert_id)
    assert SUBJECTS["ur"] in preview and "Call before then." in preview and "/unsubscribe/" in preview
    assert 'dir="rtl"' in alerts(runner, "preview", alert_id, "--lang", "ur", "--html")

    alerts(runner, "test", alert_id, "--to", "staff@msp.example")
    work(runner)
    tests = smtp.wait_for(2)
    assert sorted(m["Subject"] for m in tests) == sorted([f"TEST: {SUBJECTS['en']}", f"آزمائش: {SUBJECTS['ur']}"])
    assert {m["To"] for m in tests} == {"staff@msp.example"} and all(m["List-Unsubscribe"] is None for m in tests)

    assert "being sent to 2 subscribers" in alerts(runner, "send", alert_id)
    work(runner)
    mails = {m["To"]: m for m in smtp.wait_for(4)[2:]}
    assert set(mails) == {english, urdu}
    for address, lang in ((english, "en"), (urdu, "ur")):
        mail = mails[address]
        assert mail["Subject"] == SUBJECTS[lang] and mail["Content-Language"] == lang
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        plain, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
        assert TEXTS[lang].split("\n")[0] in plain
        assert f'lang="{lang}" dir="{"rtl" if lang == "ur" else "ltr"}"' in html
        one_click = mail["List-Unsubscribe"].strip("<>")
        assert one_click.split("/unsubscribe/")[1] in " ".join(links(mail))
    assert "<p>The vote is on Friday.<br>Call before then.</p>" in mails[english].get_body(("html",)).get_content()
    assert "Thank you &lt;all&gt;." in mails[english].get_body(("html",)).get_content()

    work(runner)
    assert len(smtp.received) == 4 and not set(never) & set(recipients(smtp))
    with app.app_context():
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.details)
                                     .order_by(AuditEntry.id)).all()
    assert [(action, target) for action, target, _ in entries] == [
        ("alert.create", campaign), ("alert.test", campaign), ("alert.send", campaign)]
    assert entries[-1].details == {"alert": int(alert_id), "subscribers": 2} and "staff@" not in str(entries)
    assert show(runner, alert_id) | {"sent": "2", "total": "2", "queued": "0"} == show(runner, alert_id)
    gone = client.post(path_of(mails[urdu]["List-Unsubscribe"].strip("<>")), data={"List-Unsubscribe": "One-Click"})
    assert gone.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Subscription.unsubscribed_at).where(Subscription.email == urdu)) is not None
        # The alert keeps references to subscriptions: the outbox holds the only copies of addresses.
        assert db.session.scalar(select(func.count()).select_from(AlertRecipient)) == 2


def outbox_and_alerts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(OutboxMail)),
                db.session.execute(select(Alert.state, Alert.subject_en, Alert.tested_digest)).all())


@pytest.mark.parametrize("change, error", [
    ({"slug": "no-such-campaign"}, "there is no campaign 'no-such-campaign'"),
    ({"subject_en": "  "}, "the English subject is empty"),
    ({"subject_ur": "a\nb"}, "the Urdu subject must be one line"),
    ({"text_ur": "\n \n"}, "the Urdu text is empty"),
])
def test_bad_alerts_are_refused_in_one_line_and_change_nothing(app, runner, campaign, tmp_path, change, error):
    change = dict(change)  # (the table is shared by both databases' runs)
    slug = change.pop("slug", campaign)
    before = outbox_and_alerts(app)
    output = create(runner, tmp_path, slug, ok=False, **change)
    assert output == f"Error: {error}" + output.split(error, 1)[1] and output.count("\n") == 1
    assert "Traceback" not in output and outbox_and_alerts(app) == before


def test_sending_is_refused_until_a_test_of_the_current_text_was_delivered(app, runner, smtp, campaign, tmp_path):
    add_subscribers(app, campaign, 3, "waiting")
    alert_id = create(runner, tmp_path, campaign).split()[1]
    assert alerts(runner, "send", "999", ok=False) == "Error: there is no alert 999 (flask alerts list shows them)\n"
    before = outbox_and_alerts(app)
    output = alerts(runner, "send", alert_id, ok=False)
    assert output == f"Error: send a test of alert {alert_id}'s current text first: flask alerts test {alert_id} --to ADDRESS\n"
    assert outbox_and_alerts(app) == before
    assert "not an email address" in alerts(runner, "test", alert_id, "--to", "not-an-address", ok=False)

    alerts(runner, "test", alert_id, "--to", "staff@msp.example")
    assert "has not been delivered yet (queued)" in alerts(runner, "send", alert_id, ok=False)
    work(runner)
    alerts(runner, "edit", alert_id, "--subject-en", "A better subject")
    assert "current text first" in alerts(runner, "send", alert_id, ok=False)  # the test showed the old one
    alerts(runner, "test", alert_id, "--to", "staff@msp.example", "--lang", "en")
    work(runner)
    alerts(runner, "send", alert_id)
    assert "is sending already" in alerts(runner, "send", alert_id, ok=False)
    assert "only a draft can be changed" in alerts(runner, "edit", alert_id, "--subject-en", "x", ok=False)
    work(runner)
    assert len(recipients(smtp, {f"waiting{i}@example.org" for i in range(3)})) == 3


def outbox_of(app, state=None):
    with app.app_context():
        query = select(func.count()).select_from(OutboxMail).where(OutboxMail.kind == "alert")
        return db.session.scalar(query if state is None else query.where(OutboxMail.state == state))


def a_minute_passes(app):
    with app.app_context():
        for recipient in db.session.scalars(select(AlertRecipient)):
            recipient.queued_at -= timedelta(seconds=61)
        db.session.commit()


def test_sending_is_throttled_and_can_be_paused_and_resumed(make_app, smtp, tmp_path):
    app = make_app(SMTP_URL=smtp.url, MAIL_RETRY_SECONDS=0.2, ALERT_MAILS_PER_MINUTE=5)
    runner = app.test_cli_runner()
    with app.app_context():
        slug = make_campaign().slug
    addresses = add_subscribers(app, slug, 12, "patient")
    alert_id = written_tested_sent(runner, smtp, tmp_path, slug)
    work(runner)
    assert len(recipients(smtp, addresses)) == 5  # a minute's worth
    work(runner)
    assert len(recipients(smtp, addresses)) == 5
    assert {"total": "12", "waiting": "7", "sent": "5"}.items() <= show(runner, alert_id).items()

    a_minute_passes(app)
    with app.app_context():
        assert fanout.pump() == 5  # queued, not yet sent
    alerts(runner, "pause", alert_id)
    a_minute_passes(app)
    work(runner)
    assert len(recipients(smtp, addresses)) == 5  # held: neither sent nor more queued
    assert {"queued": "5", "waiting": "2"}.items() <= show(runner, alert_id).items()
    assert "only one being sent can be paused" in alerts(runner, "pause", alert_id, ok=False)

    alerts(runner, "resume", alert_id)
    assert "not paused" in alerts(runner, "resume", alert_id, ok=False)
    work(runner)  # the 5 held, then (their minute is over) the last 2
    assert recipients(smtp, addresses) == Counter(addresses)
    assert {"total": "12", "waiting": "0", "sent": "12", "queued": "0"}.items() <= show(runner, alert_id).items()
    assert show(runner, alert_id)[f"alert {alert_id}"] == slug and "\tsent\t" in alerts(runner, "show", alert_id)


def test_a_mail_in_hand_when_paused_waits_untried(app, runner, smtp, campaign, tmp_path):
    addresses = add_subscribers(app, campaign, 3, "held")
    alert_id = written_tested_sent(runner, smtp, tmp_path, campaign)
    with app.app_context():
        fanout.pump()
    alerts(runner, "pause", alert_id)
    with app.app_context():  # as a worker that claimed them before the pause, or a retry falling due
        db.session.execute(update(OutboxMail).where(OutboxMail.kind == "alert").values(next_attempt_at=utcnow()))
        db.session.commit()
    work(runner)
    assert not recipients(smtp, addresses) and outbox_of(app, "queued") == 3
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMail.attempts).where(OutboxMail.kind == "alert"))) == {0}
    alerts(runner, "resume", alert_id)
    work(runner)
    assert recipients(smtp, addresses) == Counter(addresses)


def test_who_unsubscribes_mid_send_gets_nothing_more(app, client, runner, smtp, campaign, tmp_path):
    early, late, stays = add_subscribers(app, campaign, 3, "mid")
    with app.app_context():
        db.session.execute(update(Subscription).where(Subscription.email == early).values(unsubscribed_at=utcnow()))
        db.session.commit()
    alert_id = written_tested_sent(runner, smtp, tmp_path, campaign)
    with app.app_context():
        fanout.pump()
        db.session.execute(update(Subscription).where(Subscription.email == late).values(unsubscribed_at=utcnow()))
        db.session.commit()
    work(runner)
    assert recipients(smtp, {early, late, stays}) == Counter([stays])
    assert {"total": "2", "sent": "1", "cancelled": "1"}.items() <= show(runner, alert_id).items()


def test_a_forgotten_subscriber_gets_no_alert(app, runner, smtp, campaign, tmp_path):
    forgotten, stays = add_subscribers(app, campaign, 2, "forget")
    assert runner.invoke(args=["supporters", "forget", forgotten, "--yes"]).exit_code == 0
    alert_id = written_tested_sent(runner, smtp, tmp_path, campaign)
    work(runner)
    assert recipients(smtp) == Counter(["staff@msp.example", "staff@msp.example", stays])  # the test (en, ur), then one
    assert {"total": "1", "sent": "1"}.items() <= show(runner, alert_id).items()


def test_the_daily_limit_per_address_applies(make_app, smtp, tmp_path):
    app = make_app(SMTP_URL=smtp.url, MAIL_DAILY_LIMIT=2, ALERT_MAILS_PER_MINUTE=1000)
    runner = app.test_cli_runner()
    with app.app_context():
        slug = make_campaign().slug
    [busy, free] = add_subscribers(app, slug, 2, "limit")
    with app.app_context():  # two mails to busy today already
        for _ in range(2):
            db.session.add(OutboxMail(kind="subscription_welcome", to_email=busy, to_hash=outbox.address_hash(busy),
                                      lang="en", base_url="http://127.0.0.1", state=OutboxMail.SENT))
        db.session.commit()
    alert_id = written_tested_sent(runner, smtp, tmp_path, slug)  # two test mails to the staff address
    work(runner)
    assert recipients(smtp, {busy, free}) == Counter([free])
    assert {"total": "2", "sent": "1", "limited": "1"}.items() <= show(runner, alert_id).items()
    assert "had its mails for today" in alerts(runner, "test", alert_id, "--to", "staff@msp.example", ok=False)


def test_texts_come_from_standard_input_and_list_shows_the_alerts(app, runner, campaign, tmp_path):
    (tmp_path / "ur.txt").write_text(TEXTS["ur"], encoding="utf-8")
    result = runner.invoke(args=["alerts", "create", campaign, "--subject-en", "From stdin", "--text-en", "-",
                                 "--subject-ur", SUBJECTS["ur"], "--text-ur", str(tmp_path / "ur.txt")],
                           input="Typed in.\n\nSecond paragraph.\n")
    assert result.exit_code == 0, result.output
    alert_id = result.output.split()[1]
    assert "Typed in." in alerts(runner, "preview", alert_id, "--lang", "en")
    assert alerts(runner, "list") == f"{alert_id}\t{campaign}\tdraft\tFrom stdin\n"
    assert alerts(runner, "list", "--campaign", "another") == ""
    shown = show(runner, alert_id)
    assert shown[f"alert {alert_id}"] == campaign and shown["total"] == "0" and "tested: no" in alerts(runner, "show", alert_id)
