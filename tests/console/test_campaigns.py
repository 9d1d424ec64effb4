"""Campaign management through the console: create, edit both languages, goal, closing time,
captcha, donations, files and links with the CLI's checks, close and reopen; refused forms
answer 422 beside their fields and change nothing; changes reach another instance as the
CLI's do. Checked through the public API, the campaign page, the widget and the CLI."""
import io
import re
import time
from html import unescape

import pytest

from ..builders import signature
from ..test_attachments import PDF, png_bytes, zip_bytes
from .conftest import csrf_token

URDU_TITLE = "ہزارہ برادری کے ساتھ کھڑے ہوں"


@pytest.fixture
def admin(console_client):
    client = console_client("admin")
    client.token = csrf_token(client, "/console/campaigns")
    return client


def post(admin, path, **data):
    return admin.post(path, data={"csrf_token": admin.token, **data})


def summary(client, slug, lang="en"):
    return client.get(f"/api/v1/campaigns/{slug}?lang={lang}")


def errors_of(response):
    """``{field: message}`` as the page shows them beside the fields."""
    html = unescape(response.get_data(as_text=True))
    return dict(re.findall(r'<p class="field-error" id="([^"]+)-error">([^<]+)</p>', html))


def test_create_a_campaign_in_two_languages(admin, client, runner):
    created = post(admin, "/console/campaigns/new", slug="new-drive", title_en="A new drive", summary_en="Why.",
                   petition_text_en="We ask.\n\nWe demand.", title_ur=URDU_TITLE, summary_ur="کیوں", draft_ur="on",
                   goal="25,000", closes_at="2099-01-01T17:00")
    assert created.status_code == 303 and created.headers["Location"].startswith("/console/campaigns/new-drive")
    english = summary(client, "new-drive").get_json()
    assert english["title"] == "A new drive" and english["goal"] == 25000 and english["status"] == "open"
    assert english["closes_at"] == "2099-01-01T12:00:00Z"  # 17:00 in Pakistan
    urdu = summary(client, "new-drive", "ur").get_json()
    assert urdu["title"] == URDU_TITLE and urdu["draft_translation"] is True
    assert "campaign.create\tnew-drive" in runner.invoke(args=["audit", "tail", "-n", "3"]).output
    page = admin.get(created.headers["Location"])
    assert "The campaign is created." in page.get_data(as_text=True)


@pytest.mark.parametrize("fields, field", [
    ({"slug": "Has Spaces"}, "slug"),
    ({"slug": "x" * 65}, "slug"),
    ({"title_en": ""}, "title_en"),
    ({"title_en": "t" * 201}, "title_en"),
    ({"summary_ur": "خلاصہ", "title_ur": ""}, "title_ur"),
    ({"goal": "lots"}, "goal"),
    ({"goal": "-5"}, "goal"),
    ({"closes_at": "next week"}, "closes_at"),
])
def test_a_refused_new_campaign_shows_why_beside_the_field_and_creates_nothing(admin, client, fields, field):
    form = {"slug": "refused", "title_en": "Fine", "goal": "10", **fields}
    response = post(admin, "/console/campaigns/new", **form)
    assert response.status_code == 422
    assert list(errors_of(response)) == [field]
    assert f'aria-describedby="{field}-error"' in response.get_data(as_text=True) or field in ("slug", "goal")
    assert summary(client, form["slug"] if len(form["slug"]) < 65 else "refused").status_code == 404


def test_a_slug_that_exists_is_refused(admin, campaign):
    response = post(admin, "/console/campaigns/new", slug=campaign, title_en="Again", goal="1")
    assert response.status_code == 422 and list(errors_of(response)) == ["slug"]


def test_edit_texts_goal_closing_time_and_captcha(admin, client, campaign, app):
    long_urdu = "مطالبہ " * 2500  # a URL-encoded form far past the signature body limit
    response = post(admin, f"/console/campaigns/{campaign}/texts", title_en="Stand up now", summary_en="New summary",
                    petition_text_en="One.", title_ur=URDU_TITLE, petition_text_ur=long_urdu, goal="5000", closes_at="")
    assert response.status_code == 303
    english, urdu = summary(client, campaign).get_json(), summary(client, campaign, "ur").get_json()
    assert (english["title"], english["summary"], english["goal"]) == ("Stand up now", "New summary", 5000)
    assert urdu["title"] == URDU_TITLE and urdu["petition_text"] == long_urdu.strip()
    assert urdu["draft_translation"] is False  # the box was not ticked
    with app.app_context():
        from widget_service.campaigns import find_campaign

        assert find_campaign(campaign).setting("captcha") is False

    # Emptying every Urdu field takes the Urdu version away.
    post(admin, f"/console/campaigns/{campaign}/texts", title_en="Stand up now", goal="5000", captcha="on")
    assert summary(client, campaign).get_json()["languages"] == ["en"]


def test_a_refused_edit_changes_nothing(admin, client, campaign):
    before = summary(client, campaign).get_json()
    response = post(admin, f"/console/campaigns/{campaign}/texts", title_en="Changed", goal="many", closes_at="soon")
    assert response.status_code == 422
    assert set(errors_of(response)) == {"goal", "closes_at"}
    assert 'value="Changed"' in response.get_data(as_text=True)  # what was typed is kept
    assert summary(client, campaign).get_json() == before


def test_close_and_reopen_reach_another_instance_within_the_cache_window(make_app, admin, campaign, app):
    other = make_app(create_schema=False, COUNT_CACHE_SECONDS=1).test_client()
    assert other.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature()).status_code == 202
    assert post(admin, f"/console/campaigns/{campaign}/close").status_code == 303
    assert app.test_client().post(f"/api/v1/campaigns/{campaign}/signatures", json=signature()).status_code == 409
    time.sleep(1.2)
    assert other.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature()).status_code == 409
    assert post(admin, f"/console/campaigns/{campaign}/reopen").status_code == 303
    time.sleep(1.2)
    assert other.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature()).status_code == 202


def donations(runner, slug):
    result = runner.invoke(args=["campaigns", "donations", slug])
    assert result.exit_code == 0, result.output
    return result.output


def test_donation_settings(admin, runner, campaign):
    response = post(admin, f"/console/campaigns/{campaign}/donations", currencies=["PKR", "USD"], default_currency="USD",
                    goal_PKR="5,000,000", presets_USD="10, 25, 50", monthly="on", external_url="https://msp.example/give",
                    bank_ur="بینک: میزان")
    assert response.status_code == 303
    shown = donations(runner, campaign)
    assert "currencies PKR,USD (default USD), monthly on" in shown
    assert "of Rs5,000,000" in shown or "5,000,000" in shown.split("PKR:")[1].split("\n")[0]
    assert "presets $10, $25, $50" in shown
    assert "external page: https://msp.example/give" in shown and "bank details (ur): set" in shown


@pytest.mark.parametrize("fields, field", [
    ({"currencies": []}, "currencies"),
    ({"default_currency": "GBP"}, "default_currency"),
    ({"goal_PKR": "five lakh"}, "goal_PKR"),
    ({"presets_USD": "10, 25, 1,000,000"}, "presets_USD"),
    ({"presets_USD": "10 25"}, "presets_USD"),
    ({"external_url": "ftp://msp.example"}, "external_url"),
    ({"bank_en": "x" * 2001}, "bank_en"),
])
def test_refused_donation_settings_change_nothing(admin, runner, campaign, fields, field):
    before = donations(runner, campaign)
    form = {"currencies": ["PKR", "USD"], "default_currency": "PKR", **fields}
    response = post(admin, f"/console/campaigns/{campaign}/donations", **form)
    assert response.status_code == 422
    assert list(errors_of(response)) == [field]
    assert donations(runner, campaign) == before


def upload(admin, slug, kind, data, name):
    return admin.post(f"/console/campaigns/{slug}/files/{kind}", content_type="multipart/form-data",
                      data={"csrf_token": admin.token, "action": "upload", "file": (io.BytesIO(data), name)})


def test_files_are_uploaded_linked_and_removed_with_the_clis_checks(admin, client, campaign, runner):
    report = PDF + b"%" * 200_000  # far past the body limit of a signature
    assert upload(admin, campaign, "report", report, "Report 2026.pdf").status_code == 303
    served = client.get(f"/c/{campaign}/report")
    assert served.status_code == 200 and served.data == report and served.mimetype == "application/pdf"
    assert upload(admin, campaign, "kit", zip_bytes(), "kit.zip").status_code == 303
    assert upload(admin, campaign, "image", png_bytes(), "card.png").status_code == 303
    assert "image: file card.png" in runner.invoke(args=["campaigns", "stats", campaign]).output

    wrong = upload(admin, campaign, "report", png_bytes(), "report.pdf")
    assert wrong.status_code == 422
    assert errors_of(wrong) == {"file_report": "A report must be a PDF file; this one is PNG."}
    small = upload(admin, campaign, "image", png_bytes((300, 300)), "card.png")
    assert small.status_code == 422 and "600x315" in errors_of(small)["file_image"]
    assert client.get(f"/c/{campaign}/report").data == report  # unchanged

    plain = post(admin, f"/console/campaigns/{campaign}/files/report", action="link", url="http://msp.example/r.pdf")
    assert plain.status_code == 422 and "https" in errors_of(plain)["file_report"]
    linked = post(admin, f"/console/campaigns/{campaign}/files/report", action="link", url="https://msp.example/r.pdf")
    assert linked.status_code == 303
    assert summary(client, campaign).get_json()["links"]["report"] == "https://msp.example/r.pdf"
    assert post(admin, f"/console/campaigns/{campaign}/files/report", action="remove").status_code == 303
    assert summary(client, campaign).get_json()["links"]["report"] is None
    audit = runner.invoke(args=["audit", "tail", "-n", "10"]).output
    assert "campaign.report" in audit and "campaign.image" in audit


def test_a_file_over_the_limit_is_refused(make_app, campaign):
    small = make_app(create_schema=False, ATTACHMENT_MAX_BYTES=2048)
    client = small.test_client()
    from .conftest import make_staff, sign_in

    account = make_staff(small, "admin")
    sign_in(client, account.email, account.password, account.code())
    client.token = csrf_token(client, "/console/campaigns")
    response = upload(client, campaign, "report", PDF + b"%" * 4096, "big.pdf")
    assert response.status_code == 422 and "the limit is 2,048" in errors_of(response)["file_report"]
    # Past the limit and the room for the form around it: refused before it is read. (Encoded
    # here: the test client would spool so large a body to a file it never closes.)
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"csrf_token": client.token, "action": "upload",
                                       "file": FileStorage(io.BytesIO(PDF + b"%" * (2 * 1024 * 1024)), "huge.pdf")})
    huge = client.post(f"/console/campaigns/{campaign}/files/report", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")
    assert huge.status_code == 413


def test_messages_of_the_core_rules_are_in_the_pages_language(admin, campaign):
    taken = post(admin, "/console/campaigns/new?lang=ur", slug=campaign, title_en="Again", goal="1", lang="ur")
    assert errors_of(taken) == {"slug": "اس مختصر نام کی ایک مہم پہلے سے موجود ہے: کوئی اور نام چنیں۔"}
    page = post(admin, f"/console/campaigns/{campaign}/donations?lang=ur", currencies=["PKR"], default_currency="PKR",
                external_url="ftp://msp.example", lang="ur")
    assert errors_of(page) == {"external_url": "صفحے کا پورا پتہ لکھیں، جو https:// سے شروع ہو۔"}


def console_functions_run(client, path):
    """The console's functions that run while ``client`` gets ``path``, by module and name."""
    import sys

    called = set()

    def profile(frame, event, arg):
        if event == "call" and "/widget_service/console/" in frame.f_code.co_filename:
            called.add((frame.f_globals.get("__name__"), frame.f_code.co_name))

    sys.setprofile(profile)
    try:
        response = client.get(path)
    finally:
        sys.setprofile(None)
    assert response.status_code == 200
    return called


def test_a_public_request_runs_no_console_view_code(client, campaign):
    """The forms' larger body limit is the console gate's, for its views only: the public count
    (asked on every widget view) runs nothing of the console beyond its cookie-free session
    and its headers check."""
    called = console_functions_run(client, f"/api/v1/campaigns/{campaign}/count")
    assert {module for module, _ in called} <= {"widget_service.console", "widget_service.console.sessions"}, called
    assert ("widget_service.console", "gate") not in called
