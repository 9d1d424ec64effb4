"""The console's alerts pages: write, preview, test to one's own address, send, pause, resume,
progress; refusals answered on the page, audited like the console's other actions."""
from sqlalchemy import func, select

from tests.console.conftest import console_client, post_form, staff  # noqa: F401  (fixtures used here)
from widget_service.console.models import AuditEntry
from widget_service.extensions import db
from widget_service.mail.models import Alert

from .conftest import work
from .test_alerts import SUBJECTS, TEXTS, add_subscribers, app, recipients  # noqa: F401 (app: the fixture)

FORM = {"subject_en": SUBJECTS["en"], "text_en": TEXTS["en"], "subject_ur": SUBJECTS["ur"], "text_ur": TEXTS["ur"]}


def alert_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Alert))


def test_an_admin_writes_tests_sends_and_pauses_an_alert_from_the_console(app, runner, smtp, campaign, console_client):
    addresses = add_subscribers(app, campaign, 3, "console") + add_subscribers(app, campaign, 1, "urdu", lang="ur")
    client = console_client("admin")
    page = client.get("/console/alerts")
    assert page.status_code == 200 and "No alerts yet." in page.get_data(as_text=True)

    refused = post_form(client, "/console/alerts/new", {**FORM, "campaign": campaign, "subject_ur": " "})
    assert refused.status_code == 422 and "Write the Urdu subject" in refused.get_data(as_text=True)
    assert SUBJECTS["en"] in refused.get_data(as_text=True)  # the form comes back filled in
    assert post_form(client, "/console/alerts/new", {**FORM, "campaign": "nope"}).status_code == 422
    assert alert_count(app) == 0

    made = post_form(client, "/console/alerts/new", {**FORM, "campaign": campaign})
    assert made.status_code == 303
    path = made.headers["Location"].split("?")[0]
    shown = client.get(path).get_data(as_text=True)
    assert "Call before then." in shown and "ووٹ جمعہ کو ہے۔" in shown and "/unsubscribe/" in shown

    early = post_form(client, path + "/send", {})
    assert early.status_code == 409 and "test of the current text first" in early.get_data(as_text=True)
    assert post_form(client, path + "/test", {}).status_code == 303
    work(runner)
    tests = smtp.wait_for(2)
    assert {m["To"] for m in tests} == {client.account.email}
    assert post_form(client, path + "/send", {}).status_code == 303
    assert post_form(client, path + "/send", {}).status_code == 409  # being sent already
    work(runner)
    assert recipients(smtp, addresses) == {address: 1 for address in addresses}
    progress = client.get(path).get_data(as_text=True)
    assert 'data-count="sent">4<' in progress and 'data-count="total">4<' in progress

    assert post_form(client, path + "/pause", {}).status_code == 303
    assert "Resume" in client.get(path).get_data(as_text=True)
    assert post_form(client, path + "/resume", {}).status_code == 303
    assert post_form(client, path + "/resume", {}).status_code == 409
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("alert.%"))
                                     .order_by(AuditEntry.id)).all()
        actors = set(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.action.like("alert.%"))))
    assert actions == ["alert.create", "alert.test", "alert.send", "alert.pause", "alert.resume"]
    assert actors == {client.account.email}


def test_the_alerts_pages_speak_urdu_and_are_for_admins_only(app, campaign, console_client):
    admin = console_client("admin")
    page = admin.get("/console/alerts/new?lang=ur").get_data(as_text=True)
    assert "الرٹ لکھیں" in page and "اردو میں موضوع" in page
    assert admin.get("/console/alerts/999").status_code == 404
    assert console_client("viewer").get("/console/alerts").status_code == 403


def test_a_long_urdu_text_is_taken(app, campaign, console_client):
    client = console_client("admin")
    long_urdu = ("ووٹ جمعہ کو ہے۔ " * 1200).strip()  # about 19,000 characters: 100 KB as the form sends it
    made = post_form(client, "/console/alerts/new", {**FORM, "campaign": campaign, "text_ur": long_urdu})
    assert made.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Alert.text_ur)) == long_urdu
