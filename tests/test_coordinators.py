"""Offers to coordinate: the JSON API, the widget's no-JavaScript form, protection and the export."""
import csv
import io
import re
import time
import uuid

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from widget_service.campaigns import close_campaign, find_campaign
from widget_service.extensions import db
from widget_service.models import Coordinator

from .builders import make_campaign
from .conftest import Widget

API = "/api/v1/campaigns/{}/coordinators"
PAGE = "/widgets/{}/coordinator"


def offer(**overrides):
    data = {"name": "Ali Raza", "email": f"ali{uuid.uuid4().hex[:6]}@example.org", "phone": "0300 1234567", "region": "PK-BA"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}


def stored(app, **filters):
    with app.app_context():
        return db.session.scalars(select(Coordinator).filter_by(**filters).order_by(Coordinator.id)).all()


def form_token(client, slug, lang="en"):
    return Widget(client).form_token(slug, lang, kind="coordinator")


def post_form(client, slug, **fields):
    """The widget's own form, as a browser without JavaScript sends it."""
    return Widget(client).post_form(slug, kind="coordinator", **fields)


def token_issued(app, seconds_ago, kind="coordinator"):
    class Backdated(TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - seconds_ago)

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=f"msp-form-token:{kind}", signer=Backdated)
    return serializer.dumps({"n": uuid.uuid4().hex})


# --- the JSON API ---------------------------------------------------------------------------

def test_an_offer_is_stored_with_its_phone_in_e164(app, client, campaign):
    response = client.post(
        API.format(campaign),
        json=offer(email="ali@example.org", phone="۰۳۰۰ ۱۲۳۴۵۶۷", note="Meetings in Quetta.", lang="ur", ref="ally",
                   origin="https://ally.example.org"),
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 202 and response.get_json()["ok"] is True
    [row] = stored(app)
    assert (row.name, row.email, row.phone, row.region, row.country) == ("Ali Raza", "ali@example.org", "+923001234567", "PK-BA", "PK")
    assert (row.note, row.lang, row.ref, row.source_origin, row.state) == ("Meetings in Quetta.", "ur", "ally", "https://ally.example.org", "received")
    assert row.ip_hash and "203.0.113.9" not in row.ip_hash


def test_outside_pakistan_with_a_country(app, client, campaign):
    assert client.post(API.format(campaign), json=offer(region="outside", country="GB", phone="+44 7911 123456")).status_code == 202
    [row] = stored(app)
    assert (row.region, row.country, row.phone) == ("outside", "GB", "+447911123456")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"phone": "0300 12"}, {"phone"}),
        ({"phone": "0300-CALLNOW"}, {"phone"}),
        ({"phone": "+1 300 1234567"}, {"phone"}),
        ({"phone": ...}, {"phone"}),
        ({"region": "Quetta"}, {"region"}),
        ({"region": ...}, {"region"}),
        ({"region": "outside"}, {"country"}),
        ({"region": "outside", "country": "PK"}, {"country"}),
        ({"note": "x" * 501}, {"note"}),
        ({"name": "", "email": "nope", "phone": "x", "region": "", "note": "y" * 600}, {"name", "email", "phone", "region", "note"}),
    ],
)
def test_bad_fields_get_422_naming_each_and_store_nothing(app, client, campaign, fields, bad):
    response = client.post(API.format(campaign), json=offer(**fields))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_fields" and set(body["errors"]) == bad and all(body["errors"].values())
    assert stored(app) == []


def test_errors_speak_urdu(client, campaign):
    body = client.post(API.format(campaign) + "?lang=ur", json=offer(phone="12", region="x")).get_json()
    assert "فون نمبر" in body["errors"]["phone"] and "علاقہ" in body["errors"]["region"]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [("[]", "application/json", 400), ("{", "application/json", 400), ("name=x", "application/x-www-form-urlencoded", 415)],
)
def test_malformed_bodies_follow_the_error_contract(app, client, campaign, data, content_type, status):
    response = client.post(API.format(campaign), data=data, content_type=content_type)
    assert response.status_code == status and response.get_json()["error"] and stored(app) == []


def test_unknown_closed_and_oversized(app, client, campaign):
    assert client.post(API.format("no-such"), json=offer()).status_code == 404
    assert client.post(API.format(campaign), json=offer(note="x" * 20_000)).status_code == 413
    with app.app_context():
        close_campaign(find_campaign(campaign))
    closed = client.post(API.format(campaign), json=offer())
    assert closed.status_code == 409 and "coordinators" in closed.get_json()["message"] and stored(app) == []


def test_a_second_offer_from_one_mailbox_is_answered_alike_and_never_replaces_the_first(app, client, campaign):
    first = client.post(API.format(campaign), json=offer(email="ali.raza@gmail.com", phone="0300 1234567"))
    second = client.post(API.format(campaign), json=offer(email="AliRaza+x@gmail.com", phone="+44 7911 123456", note="Mine now"))
    assert (first.status_code, first.data) == (second.status_code, second.data)
    [row] = stored(app)
    assert (row.email, row.phone, row.note) == ("ali.raza@gmail.com", "+923001234567", None)
    # The same mailbox may coordinate another campaign.
    with app.app_context():
        other = make_campaign().slug
    assert client.post(API.format(other), json=offer(email="ali.raza@gmail.com")).status_code == 202
    assert len(stored(app)) == 2


# --- protection -----------------------------------------------------------------------------

@pytest.fixture
def trap_app(make_app):
    return make_app(FORM_MIN_SECONDS=2)


def test_traps_answer_like_a_success_and_store_a_suspect_offer(trap_app):
    client = trap_app.test_client()
    with trap_app.app_context():
        slug = make_campaign().slug
    honest = client.post(API.format(slug), json=offer(email="real@example.org"))
    honeypot = client.post(API.format(slug), json=offer(email="real@example.org", website="http://spam.example"))
    forged = client.post(API.format(slug), json=offer(email="forged@example.org", form_token="forged"))
    too_fast = post_form(client, slug, **offer(email="fast@example.org"))
    no_token = client.post(PAGE.format(slug), data=offer(email="notoken@example.org"))
    assert honest.data == honeypot.data == forged.data and honest.status_code == 202
    # Too fast, or without a token (the no-JavaScript form's second step): asked again, in the open.
    assert (too_fast.status_code, no_token.status_code) == (400, 200)
    assert "press the button once more" in no_token.data.decode()
    states = [(row.email, row.state) for row in stored(trap_app)]
    assert states == [
        ("real@example.org", "received"), ("real@example.org", "suspect"), ("forged@example.org", "suspect"),
    ]


def test_a_replayed_token_is_suspect_and_a_token_of_another_form_is_forged(trap_app):
    client = trap_app.test_client()
    with trap_app.app_context():
        slug = make_campaign().slug
    token = token_issued(trap_app, 10)
    client.post(API.format(slug), json=offer(email="one@example.org", form_token=token))
    client.post(API.format(slug), json=offer(email="two@example.org", form_token=token))
    client.post(API.format(slug), json=offer(email="three@example.org", form_token=token_issued(trap_app, 10, "petition")))
    assert [row.state for row in stored(trap_app)] == ["received", "suspect", "suspect"]


def test_an_expired_form_is_refused_politely_with_a_fresh_token(trap_app):
    client = trap_app.test_client()
    with trap_app.app_context():
        slug = make_campaign().slug
    old = token_issued(trap_app, trap_app.config["FORM_MAX_AGE_SECONDS"] + 60)
    expired = client.post(API.format(slug), json=offer(email="slow@example.org", form_token=old))
    assert expired.status_code == 400 and expired.get_json()["error"] == "form_expired"
    again = client.post(API.format(slug), json=offer(email="slow@example.org", form_token=expired.get_json()["form_token"]))
    assert again.status_code == 202 and [row.state for row in stored(trap_app)] == ["received"]


@pytest.fixture
def limited_app(make_app):
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="3 per minute", RATELIMIT_IP_SUSTAINED="50 per hour",
                    RATELIMIT_EMAIL="2 per hour")


def test_one_address_flooding_gets_429_and_the_no_js_form_comes_back_filled_in(limited_app):
    client = limited_app.test_client()
    with limited_app.app_context():
        slug = make_campaign().slug
    codes = [client.post(API.format(slug), json=offer()).status_code for _ in range(3)]
    refused = client.post(API.format(slug), json=offer())
    assert codes == [202] * 3 and refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited" and int(refused.headers["Retry-After"]) > 0
    page = client.post(PAGE.format(slug), data=offer(name="علی رضا", lang="ur", form_token="x"))
    html = page.data.decode()
    assert page.status_code == 429 and page.headers["Retry-After"] and 'lang="ur"' in html
    assert 'value="علی رضا"' in html and "چند منٹ بعد" in html and 'id="coordinator"' in html
    assert len(stored(limited_app)) == 3
    # The petition's bucket is its own: signing from the same address still works.
    assert client.post(f"/api/v1/campaigns/{slug}/signatures", json={"name": "Ali", "email": "s@example.org", "country": "PK"}).status_code == 202


def test_a_mailbox_over_its_allowance_is_answered_like_a_duplicate(limited_app):
    client = limited_app.test_client()
    with limited_app.app_context():
        slugs = [make_campaign().slug]
    answers = []
    for _ in range(3):  # MSP deletes the offer each time (say, at its sender's request)
        answers.append(client.post(API.format(slugs[0]), json=offer(email="busy@example.org"), environ_base={"REMOTE_ADDR": f"198.51.100.{len(answers)}"}))
        rows = stored(limited_app)
        with limited_app.app_context():
            for row in rows:
                db.session.delete(db.session.merge(row))
            db.session.commit()
        answers[-1].rows = len(rows)
    assert [a.rows for a in answers] == [1, 1, 0]
    assert len({(a.status_code, a.data) for a in answers}) == 1


# --- the widget page and its no-JavaScript form ----------------------------------------------

def test_the_page_has_labelled_fields_the_regions_and_is_frameable_without_cookies(client, campaign):
    response = client.get(PAGE.format(campaign) + "?lang=en&origin=https://ally.example.org&ref=ally")
    html = response.data.decode()
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"].startswith("public, max-age=")  # the same page for everyone: no token in it
    assert 'name="form_token" value=""' in html
    assert 'id="coordinator"' in html
    for field in ("name", "email", "phone", "region", "country", "note"):
        assert f'<label for="f-{field}">' in html and f'id="f-{field}"' in html
    for name in ("Balochistan", "Khyber Pakhtunkhwa", "Punjab", "Sindh", "Islamabad Capital Territory",
                 "Gilgit-Baltistan", "Azad Jammu and Kashmir", "Outside Pakistan"):
        assert f">{name}</option>" in html
    assert 'data-host-origin="https://ally.example.org"' in html and 'name="ref" value="ally"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "no third-party requests"
    abroad = re.search(r'<select id="f-country".*?</select>', html, re.S).group(0)
    assert '<option value="GB">United Kingdom</option>' in abroad and 'value="PK"' not in abroad


def test_the_urdu_page_is_right_to_left_and_translated(client, campaign):
    html = client.get(PAGE.format(campaign) + "?lang=ur").data.decode()
    assert '<html lang="ur" dir="rtl">' in html
    assert "علاقائی مہم کوآرڈینیٹر بنیں" in html and ">بلوچستان</option>" in html and ">پاکستان سے باہر</option>" in html
    assert "Become a regional" not in html


def test_without_javascript_an_offer_thanks_in_urdu(app, client, campaign):
    response = post_form(client, campaign, **offer(email="nojs@example.org", lang="ur", ref="ally", origin="https://ally.example.org"))
    html = response.data.decode()
    assert response.status_code == 200 and '<html lang="ur" dir="rtl">' in html
    assert "کوآرڈینیٹ کرنے کی پیشکش کا شکریہ" in html and 'id="coordinator"' not in html
    assert 'data-host-origin="https://ally.example.org"' in html  # the frame keeps resizing
    [row] = stored(app)
    assert (row.lang, row.ref, row.source_origin, row.state) == ("ur", "ally", "https://ally.example.org", "received")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_without_javascript_errors_come_back_tied_to_their_fields(app, client, campaign, lang):
    response = post_form(client, campaign, name="Ali", email="ali@example.org", phone="0300 12", region="outside",
                         note="n" * 600, lang=lang)
    html = response.data.decode()
    assert response.status_code == 422 and f'<html lang="{lang}"' in html
    assert re.search(r'id="f-phone"[^>]*aria-invalid="true" aria-describedby="h-phone e-phone" autofocus', html)
    assert re.search(r'id="f-country"[^>]*aria-invalid="true" aria-describedby="e-country"', html)
    assert re.search(r'<p class="err" id="e-phone" role="alert">[^<]+</p>', html)
    assert re.search(r'<p class="err" id="e-note" role="alert">[^<]+</p>', html)
    assert re.search(r'<p class="err" id="e-name" role="alert" hidden></p>', html)
    assert 'value="Ali"' in html and 'value="0300 12"' in html and '<option value="outside" selected>' in html
    assert "n" * 600 in html, "what the supporter typed is kept"
    kept = post_form(client, campaign, name="", region="outside", country="GB", lang=lang).data.decode()
    assert kept.count('<option value="GB" selected>') == 1, "the chosen country comes back chosen"
    assert ("فون نمبر" in html) == (lang == "ur")
    assert stored(app) == []


def test_without_javascript_a_closed_campaign_says_so(app, client, campaign):
    token = form_token(client, campaign)  # shown before it closed
    with app.app_context():
        close_campaign(find_campaign(campaign))
    assert "no longer takes new coordinators" in client.get(PAGE.format(campaign)).data.decode()
    response = post_form(client, campaign, form_token=token, **offer())
    assert response.status_code == 409 and 'id="coordinator"' not in response.data.decode() and stored(app) == []


def test_unknown_campaign_and_wrong_methods(client, campaign):
    assert client.get(PAGE.format("no-such")).status_code == 404
    assert client.put(PAGE.format(campaign)).status_code == 405
    assert client.post(PAGE.format(campaign), data={"note": "x" * 20_000}).status_code == 413


# --- the export -----------------------------------------------------------------------------

def test_export_is_formula_safe_utf8_and_private(app, client, runner, campaign, tmp_path):
    client.post(API.format(campaign), json=offer(name="=HYPERLINK(\"http://evil\")", email="a@example.org", note="@SUM(A1)\n-2"))
    client.post(API.format(campaign), json=offer(name="علی رضا", email="b@example.org", region="outside", country="GB",
                                                 phone="+44 7911 123456", ref="ally", lang="ur"))
    client.post(API.format(campaign), json=offer(email="c@example.org", website="bot"))  # suspect, exported as such
    out = tmp_path / "coordinators.csv"
    out.write_text("old")
    out.chmod(0o644)
    result = runner.invoke(args=["coordinators", "export", campaign, "-o", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and out.stat().st_mode & 0o077 == 0
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(\"http://evil\")", "علی رضا", "Ali Raza"]
    assert rows[0]["note"] == "'@SUM(A1)\n-2" and rows[0]["phone"] == "'+923001234567"
    assert (rows[0]["region"], rows[0]["region_name"], rows[0]["country"]) == ("PK-BA", "Balochistan", "PK")
    assert (rows[1]["region"], rows[1]["region_name"], rows[1]["country"]) == ("outside", "Outside Pakistan", "GB")
    assert (rows[1]["lang"], rows[1]["ref"]) == ("ur", "ally")
    assert [r["state"] for r in rows] == ["received", "received", "suspect"]
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
    assert runner.invoke(args=["coordinators", "export", "no-such"]).exit_code == 1
