"""Subscriptions to more actions (the petition's opt-in, the notify-me form) and unsubscribing."""
import csv
import io
import re

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from widget_service.campaigns import close_campaign, find_campaign
from widget_service.extensions import db
from widget_service.models import Subscription

from .builders import make_campaign, signature
from .conftest import Widget

API = "/api/v1/campaigns/{}/subscriptions"
PAGE = "/widgets/{}/notify"
PUBLIC_URL = "https://widgets.example.org"


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL=PUBLIC_URL)


def stored(app, **filters):
    with app.app_context():
        return db.session.scalars(select(Subscription).filter_by(**filters).order_by(Subscription.id)).all()


def form_token(client, slug, lang="en"):
    return Widget(client).form_token(slug, lang, kind="notify")


def post_form(client, slug, **fields):
    """The widget's own form, as a browser without JavaScript sends it."""
    return Widget(client).post_form(slug, kind="notify", **fields)


def export(runner, slug, *options):
    result = runner.invoke(args=["subscribers", "export", slug, *options])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))


def exported(runner, slug, email):
    """``email``'s row in an export, confirmed or not."""
    rows = export(runner, slug, "--all") + export(runner, slug, "--all", "--unconfirmed")
    [row] = [row for row in rows if row["email"] == email]
    return row


def unsubscribe_path(runner, slug, email):
    row = exported(runner, slug, email)
    assert row["unsubscribe_url"].startswith(PUBLIC_URL + "/unsubscribe/")
    return row["unsubscribe_url"][len(PUBLIC_URL):]


def confirm_everyone(runner, client, slug):
    """Every mailbox follows its confirmation link and presses the button."""
    for row in export(runner, slug, "--unconfirmed"):
        assert client.post(row["confirm_url"][len(PUBLIC_URL):]).status_code == 200


# --- subscribing ----------------------------------------------------------------------------

def test_the_notify_form_subscribes_once_per_mailbox_and_never_changes_the_row(app, client, campaign):
    first = client.post(API.format(campaign), json={"email": "Ali.Raza@gmail.com", "lang": "ur"})
    [before] = stored(app)
    # Anybody can type anybody's address: a second form answers the same and changes nothing.
    again = client.post(API.format(campaign), json={"email": "aliraza+news@gmail.com", "name": "Mallory", "lang": "en", "email_lang": "en"})
    assert first.status_code == again.status_code == 202 and first.data == again.data
    [row] = stored(app)
    assert (row.email, row.email_canonical, row.name, row.lang, row.source) == (
        "Ali.Raza@gmail.com", "aliraza@gmail.com", None, "ur", "notify")
    assert row.unsubscribed_at is None and row.subscribed_at == before.subscribed_at


def test_signing_with_the_opt_in_subscribes_in_the_signatures_language(app, widget, campaign):
    widget.sign(campaign, name="علی رضا", email="ali@example.org", opt_in=True, lang="ur")
    widget.sign(campaign, email="quiet@example.org")  # no opt-in: no subscription
    [row] = stored(app)
    assert (row.email, row.name, row.lang, row.source) == ("ali@example.org", "علی رضا", "ur", "petition")


def test_a_suspect_or_duplicate_signature_subscribes_nobody(make_app):
    app = make_app(FORM_MIN_SECONDS=2)
    client = app.test_client()
    with app.app_context():
        slug = make_campaign().slug
    sign = f"/api/v1/campaigns/{slug}/signatures"
    client.post(sign, json=signature(email="victim@example.org", opt_in=True, website="http://bot.example"))
    client.post(sign, json=signature(email="forged@example.org", opt_in=True, form_token="forged"))
    assert stored(app) == []
    client.post(sign, json=signature(email="ali@example.org"))
    client.post(sign, json=signature(email="ali@example.org", opt_in=True))  # a duplicate signature
    assert stored(app) == []


def test_the_opt_in_is_stored_with_the_signature_or_not_at_all(app, widget, campaign, monkeypatch):
    from widget_service import signing

    def broken(*args, **kwargs):
        raise RuntimeError("the subscription could not be written")

    monkeypatch.setattr(signing, "record_subscription", broken)
    with pytest.raises(RuntimeError):
        widget.sign(campaign, email="ali@example.org", opt_in=True)
    monkeypatch.undo()
    assert stored(app) == [] and widget.count(campaign) == 0
    assert widget.sign(campaign, email="ali@example.org", opt_in=True).status_code == 202
    assert len(stored(app)) == 1 and widget.count(campaign) == 1


def test_a_subscription_per_campaign(app, client, campaign):
    with app.app_context():
        other = make_campaign().slug
    for slug in (campaign, other):
        assert client.post(API.format(slug), json={"email": "ali@example.org"}).status_code == 202
    assert len(stored(app)) == 2


@pytest.mark.parametrize(
    ("body", "bad"),
    [({}, {"email"}), ({"email": "nope"}, {"email"}), ({"email": "a@example.org", "name": "!!!"}, {"name"}),
     ({"email": "a@example.org", "email_lang": "fr"}, {"email_lang"}), ({"email": ["a@example.org"]}, {"email"})],
)
def test_bad_fields_get_422_and_store_nothing(app, client, campaign, body, bad):
    response = client.post(API.format(campaign), json=body)
    assert response.status_code == 422 and set(response.get_json()["errors"]) == bad and stored(app) == []


def test_unknown_closed_and_malformed(app, client, campaign):
    assert client.post(API.format("no-such"), json={"email": "a@example.org"}).status_code == 404
    assert client.post(API.format(campaign), data="email=a@example.org", content_type="application/x-www-form-urlencoded").status_code == 415
    with app.app_context():
        close_campaign(find_campaign(campaign))
    assert client.post(API.format(campaign), json={"email": "a@example.org"}).status_code == 409
    assert stored(app) == []


def test_traps_answer_like_a_success_and_store_nothing(make_app):
    app = make_app(FORM_MIN_SECONDS=2)
    client = app.test_client()
    with app.app_context():
        slug = make_campaign().slug
    honest = client.post(API.format(slug), json={"email": "real@example.org"})
    honeypot = client.post(API.format(slug), json={"email": "bot@example.org", "website": "x"})
    forged = client.post(API.format(slug), json={"email": "bot2@example.org", "form_token": "forged"})
    too_fast = post_form(client, slug, email="bot3@example.org")
    assert honest.data == honeypot.data == forged.data
    assert too_fast.status_code == 400  # too fast: asked again, in the open (tests/test_form_timing.py)
    assert [row.email for row in stored(app)] == ["real@example.org"]


def test_per_ip_limit_and_per_email_allowance(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="3 per minute", RATELIMIT_EMAIL="1 per hour")
    client = app.test_client()
    with app.app_context():
        slug = make_campaign().slug
    codes = [client.post(API.format(slug), json={"email": f"n{i}@example.org"}).status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    other_ip = {"REMOTE_ADDR": "198.51.100.7"}
    client.post(API.format(slug), json={"email": "one@example.org", "email_lang": "en"}, environ_base=other_ip)
    over = client.post(API.format(slug), json={"email": "one@example.org", "email_lang": "ur"}, environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert over.status_code == 202  # answered like a success...
    [row] = stored(app, email="one@example.org")
    assert row.lang == "en"  # ...but the mailbox over its allowance changed nothing


# --- the notify-me widget without JavaScript ------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_page_is_labelled_translated_and_frameable(client, campaign, lang):
    response = client.get(PAGE.format(campaign) + f"?lang={lang}&origin=https://ally.example.org")
    html = response.data.decode()
    assert response.status_code == 200 and "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers and f'<html lang="{lang}"' in html
    for field in ("email", "name", "email_lang"):
        assert f'<label for="f-{field}">' in html
    assert f'<option value="{lang}" lang="{lang}" selected>' in html
    assert ("مجھے مزید اقدامات سے مطلع کریں" in html) == (lang == "ur")


@pytest.mark.parametrize(("lang", "thanks"), [("en", "Every email will carry a link to unsubscribe"), ("ur", "ان سبسکرائب")])
def test_without_javascript_subscribing_confirms_and_mentions_unsubscribing(app, client, campaign, lang, thanks):
    response = post_form(client, campaign, email="nojs@example.org", name="Ali", lang=lang, origin="https://ally.example.org")
    html = response.data.decode()
    assert response.status_code == 200 and f'<html lang="{lang}"' in html and thanks in html
    assert 'id="notify"' not in html and 'data-host-origin="https://ally.example.org"' in html
    [row] = stored(app)
    assert (row.email, row.name, row.lang, row.source) == ("nojs@example.org", "Ali", lang, "notify")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_without_javascript_errors_come_back_filled_in(app, client, campaign, lang):
    response = post_form(client, campaign, email="nope@", name="12345", email_lang="ur", lang=lang)
    html = response.data.decode()
    assert response.status_code == 422 and f'<html lang="{lang}"' in html
    assert re.search(r'id="f-email"[^>]*aria-invalid="true" aria-describedby="e-email" autofocus', html)
    assert re.search(r'id="f-name"[^>]*aria-invalid="true" aria-describedby="e-name"', html)
    assert re.search(r'<p class="err" id="e-email" role="alert">[^<]+</p>', html)
    assert 'value="nope@"' in html and '<option value="ur" lang="ur" selected>' in html
    assert stored(app) == []


# --- unsubscribing --------------------------------------------------------------------------

@pytest.fixture
def subscribed(app, client, runner, campaign):
    """The unsubscribe path of a fresh Urdu subscription of ``campaign``."""
    client.post(API.format(campaign), json={"email": "ali@example.org", "lang": "ur"})
    return unsubscribe_path(runner, campaign, "ali@example.org")


def test_get_shows_a_button_in_the_subscriptions_language_and_never_unsubscribes(app, client, subscribed):
    for _ in range(3):  # a mail scanner, a link preview, the person
        response = client.get(subscribed)
        html = response.data.decode()
        assert response.status_code == 200 and '<html lang="ur" dir="rtl">' in html
        assert "ان سبسکرائب کریں</button>" in html and '<form method="post">' in html
    assert "a•••@example.org" in html and "ali@example.org" not in html
    english = client.get(subscribed + "?lang=en").data.decode()
    assert '<html lang="en"' in english and "Unsubscribe</button>" in english
    [row] = stored(app)
    assert row.unsubscribed_at is None


def test_the_button_unsubscribes_at_once_and_again_is_harmless(app, client, runner, campaign, subscribed):
    response = client.post(subscribed)
    assert response.status_code == 200 and "آپ ان سبسکرائب ہو گئے ہیں" in response.data.decode()
    [row] = stored(app)
    when = row.unsubscribed_at
    assert when is not None
    assert export(runner, campaign) == [], "active subscriptions only"
    again = client.post(subscribed + "?lang=en")
    assert again.status_code == 200 and "You are unsubscribed" in again.data.decode()
    assert client.get(subscribed + "?lang=en").data.decode().count("You are unsubscribed") == 1
    [row] = stored(app)
    assert row.unsubscribed_at == when


def test_one_click_post_unsubscribes_without_a_page(app, client, subscribed):
    response = client.post(subscribed, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    [row] = stored(app)
    assert row.unsubscribed_at is not None
    multipart = client.post(subscribed, data={"List-Unsubscribe": "One-Click"}, content_type="multipart/form-data")
    assert multipart.status_code == 200


def test_the_pages_are_private_not_frameable_and_cookieless(client, subscribed):
    for response in (client.get(subscribed), client.post(subscribed), client.get("/unsubscribe/garbled")):
        assert "Set-Cookie" not in response.headers
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_no_form_undoes_an_unsubscribe(app, client, widget, campaign, subscribed):
    client.post(subscribed)
    answer = client.post(API.format(campaign), json={"email": "ALI@example.org", "name": "Mallory", "email_lang": "en"})
    widget.sign(campaign, email="ali@example.org", opt_in=True)  # nor does the petition's opt-in
    assert answer.status_code == 202, "answered like any subscription: the form tells nobody anything"
    [row] = stored(app)
    assert row.unsubscribed_at is not None and row.name is None and row.lang == "ur"


def test_the_links_holder_can_subscribe_again_and_the_same_link_keeps_working(app, client, runner, campaign, subscribed):
    done = client.post(subscribed + "?lang=en").data.decode()
    action = re.search(r'<form method="post" action="([^"]+)">', done).group(1)
    assert action == subscribed + "/resubscribe?lang=en" and "Subscribe again</button>" in done
    again = client.post(action)
    assert again.status_code == 200 and "You are subscribed again." in again.data.decode()
    [row] = stored(app)
    assert row.unsubscribed_at is None
    assert unsubscribe_path(runner, campaign, "ali@example.org") == subscribed, "old links keep working"
    assert client.post(subscribed, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    [row] = stored(app)
    assert row.unsubscribed_at is not None
    forged = client.post("/unsubscribe/garbled/resubscribe")
    assert forged.status_code == 400 and stored(app)[0].unsubscribed_at is not None


def tampered(path, app):
    """Variants of a real token: garbled, cut, re-signed with another key, naming another row."""
    token = path.rsplit("/", 1)[1]
    payload, signature_part = token.rsplit(".", 1)
    flipped = signature_part[:-1] + ("A" if signature_part[-1] != "A" else "B")
    return {
        "garbled": ("%%%not-a-token", 400),
        "cut": (token[:-5], 400),
        "bad_signature": (f"{payload}.{flipped}", 400),
        "other_key": (URLSafeSerializer("another-secret-key-of-enough-length-000", salt="msp-unsubscribe").dumps([1, "x"]), 400),
        "other_salt": (URLSafeSerializer(app.config["SECRET_KEY"], salt="msp-form-token:notify").dumps([1, "x"]), 400),
        "wrong_shape": (URLSafeSerializer(app.config["SECRET_KEY"], salt="msp-unsubscribe").dumps({"s": 1}), 400),
        "other_row": (URLSafeSerializer(app.config["SECRET_KEY"], salt="msp-unsubscribe").dumps([1, "0" * 16]), 404),
        "no_row": (URLSafeSerializer(app.config["SECRET_KEY"], salt="msp-unsubscribe").dumps([99999, "0" * 16]), 404),
        "huge_id": (URLSafeSerializer(app.config["SECRET_KEY"], salt="msp-unsubscribe").dumps([10**30, "x"]), 404),
        "slashes": ("a/b/c", 400),
    }


@pytest.mark.parametrize(
    "variant", ["garbled", "cut", "bad_signature", "other_key", "other_salt", "wrong_shape", "other_row", "no_row", "huge_id", "slashes"]
)
def test_forged_garbled_or_altered_tokens_change_nothing(app, client, subscribed, variant):
    token, status = tampered(subscribed, app)[variant]
    for response in (
        client.get(f"/unsubscribe/{token}?lang=ur"),
        client.post(f"/unsubscribe/{token}?lang=ur"),
        client.post(f"/unsubscribe/{token}?lang=ur", data={"List-Unsubscribe": "One-Click"}),
    ):
        html = response.data.decode()
        assert response.status_code == status and response.mimetype == "text/html"
        assert "یہ لنک کام نہیں کرتا" in html and 'role="alert"' in html and "<button" not in html
    [row] = stored(app)
    assert row.unsubscribed_at is None


def test_a_token_names_one_subscription_only(app, client, runner, campaign):
    with app.app_context():
        other = make_campaign().slug
    for slug in (campaign, other):
        client.post(API.format(slug), json={"email": "ali@example.org"})
    client.post(unsubscribe_path(runner, campaign, "ali@example.org"))
    assert [row.unsubscribed_at is None for row in stored(app)] == [False, True]


# --- the export -----------------------------------------------------------------------------

def test_export_lists_active_subscriptions_with_list_unsubscribe_values(app, client, widget, runner, campaign, tmp_path):
    client.post(API.format(campaign), json={"email": "-a@example.org", "name": "=cmd|' /C calc'!A0", "email_lang": "ur"})
    widget.sign(campaign, name="علی رضا", email="b@example.org", opt_in=True, lang="ur")
    client.post(API.format(campaign), json={"email": "gone@example.org"})
    confirm_everyone(runner, client, campaign)
    client.post(unsubscribe_path(runner, campaign, "gone@example.org"))
    out = tmp_path / "subscribers.csv"
    result = runner.invoke(args=["subscribers", "export", campaign, "-o", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and out.stat().st_mode & 0o077 == 0
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["email"], r["name"], r["lang"], r["source"]) for r in rows] == [
        ("'-a@example.org", "'=cmd|' /C calc'!A0", "ur", "notify"), ("b@example.org", "علی رضا", "ur", "petition")]
    for row in rows:
        assert row["list_unsubscribe"] == f"<{row['unsubscribe_url']}>" and row["unsubscribed_at"] == ""
        path = row["unsubscribe_url"][len(PUBLIC_URL):]
        assert client.get(path).status_code == 200
    everyone = export(runner, campaign, "--all")
    assert [r["email"] for r in everyone] == ["'-a@example.org", "b@example.org", "gone@example.org"]
    assert everyone[2]["unsubscribed_at"]


def test_nobody_is_emailed_but_to_confirm_until_they_confirm(app, client, widget, runner, campaign):
    client.post(API.format(campaign), json={"email": "stranger@example.org", "email_lang": "ur"})
    widget.sign(campaign, email="signer@example.org", opt_in=True)
    assert export(runner, campaign) == [], "typed into a form by anybody: not a mailing list yet"
    waiting = export(runner, campaign, "--unconfirmed")
    assert [r["email"] for r in waiting] == ["stranger@example.org", "signer@example.org"]
    link = waiting[0]["confirm_url"]
    assert link.startswith(PUBLIC_URL + "/confirm/") and waiting[0]["confirmed_at"] == ""
    path = link[len(PUBLIC_URL):]
    for _ in range(2):  # a mail scanner, a link preview: looking confirms nothing
        page = client.get(path).data.decode()
        assert '<html lang="ur" dir="rtl">' in page and "جی ہاں، مجھے ای میل کریں</button>" in page
    assert export(runner, campaign) == []
    done = client.post(path + "?lang=en")
    assert done.status_code == 200 and "your subscription is confirmed" in done.data.decode()
    assert [r["email"] for r in export(runner, campaign)] == ["stranger@example.org"]
    assert [r["email"] for r in export(runner, campaign, "--unconfirmed")] == ["signer@example.org"]
    assert client.post(path).status_code == 200 and len(export(runner, campaign)) == 1, "again is harmless"
    assert client.post("/confirm/garbled").status_code == 400 and len(export(runner, campaign)) == 1


def test_export_needs_the_public_url_and_a_campaign(make_app):
    app = make_app(PUBLIC_URL="")
    with app.app_context():
        slug = make_campaign().slug
    result = app.test_cli_runner().invoke(args=["subscribers", "export", slug])
    assert result.exit_code == 1 and "WIDGET_PUBLIC_URL" in result.output
    assert app.test_cli_runner().invoke(args=["subscribers", "export", "no-such"]).exit_code == 1
