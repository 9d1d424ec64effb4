"""The iframe page /widgets/<slug>/petition, its no-JavaScript post, and its assets."""
import gzip
import re
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from widget_service.campaigns import close_campaign, find_campaign
from widget_service.extensions import db
from widget_service.models import Signature

PAGE_BUDGET = 15 * 1024  # first view, page plus its assets, gzipped


def page(client, slug, query="", **kwargs):
    response = client.get(f"/widgets/{slug}/petition{query}", **kwargs)
    return response, response.data.decode()


def test_english_page_has_the_petition_count_and_an_accessible_form(client, widget, campaign):
    widget.sign(campaign)
    response, html = page(client, campaign, "?lang=en")
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in html
    assert "Stand up" in html and "Demand one." in html
    assert re.search(r"<strong data-count>1</strong> <span [^>]*>signature</span>", html)
    assert '<progress max="1000" value="1"' in html
    for field, autocomplete in (("name", "name"), ("email", "email"), ("country", "country"), ("region", "address-level1")):
        assert f'<label for="f-{field}">' in html
        assert re.search(rf'id="f-{field}"[^>]*autocomplete="{autocomplete}"', html)
    opt_in = re.search(r"<input id=\"f-opt_in\"[^>]*>", html).group(0)
    assert "checked" not in opt_in, "the opt-in starts unticked"
    assert 'href="/privacy?lang=en"' in html


def test_urdu_page_is_right_to_left_and_translated(client, campaign):
    response, html = page(client, campaign, "?lang=ur")
    assert '<html lang="ur" dir="rtl">' in html
    assert "کھڑے ہوں" in html  # the campaign's Urdu title
    assert "پٹیشن پر دستخط کریں" in html  # the button
    assert ">پاکستان</option>" in html  # country names in Urdu
    assert "Sign the petition" not in html


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [("?lang=ur", "en", "ur"), ("", "ur-PK,ur;q=0.9,en;q=0.8", "ur"), ("?lang=fr", "ur", "ur"), ("?lang=fr", "fr", "en"), ("", None, "en")],
)
def test_language_from_lang_then_accept_language_then_english(client, campaign, query, accept, lang):
    headers = {"Accept-Language": accept} if accept else {}
    _, html = page(client, campaign, query, headers=headers)
    assert f'<html lang="{lang}"' in html


def test_page_sets_no_cookie_may_be_framed_anywhere_and_loads_nothing_foreign(client, campaign):
    response, html = page(client, campaign, "?origin=https://ally.example.org&ref=ally")
    assert "Set-Cookie" not in response.headers
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "default-src 'none'" in csp and "script-src 'self'" in csp
    # Loads nothing from elsewhere; links out (the share links) are plain <a> a person follows.
    assert not re.search(r'<(?!a )[^>]*(src|href)="(https?:)?//', html), "no third-party requests"
    assert 'data-host-origin="https://ally.example.org"' in html
    assert 'name="ref" value="ally"' in html


@pytest.mark.parametrize("origin", ['"><script>alert(1)</script>', "javascript:alert(1)", "https://x.org/path"])
def test_a_forged_host_origin_is_dropped(client, campaign, origin):
    _, html = page(client, campaign, "", query_string={"origin": origin})
    assert 'data-host-origin=""' in html and "<script>alert" not in html


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [("https://ally.example.org/our-campaign?x=1", "https://ally.example.org"), ("http://localhost/widgets/x", ""), (None, "")],
)
def test_a_plain_iframe_is_attributed_to_the_page_that_framed_it(client, campaign, referrer, expected):
    headers = {"Referer": referrer} if referrer else {}
    _, html = page(client, campaign, "?ref=ally", headers=headers)
    assert f'data-host-origin="{expected}"' in html and f'name="origin" value="{expected}"' in html


def test_unknown_campaign_or_kind_is_a_404_page(client, campaign):
    assert client.get("/widgets/nope/petition").status_code == 404
    response = client.get(f"/widgets/{campaign}/no-such-kind")
    assert response.status_code == 404 and response.mimetype == "text/html"


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/widgets/{}/petition"), ("DELETE", "/embed.js"), ("POST", "/privacy"), ("POST", "/healthz"),
     ("PATCH", "/widgets/{}/petition")],
)
def test_a_wrong_method_on_a_page_is_405(client, campaign, method, path):
    response = client.open(path.format(campaign), method=method)
    assert response.status_code == 405 and "Allow" in response.headers


def test_an_oversized_form_post_is_413_not_500(client, campaign):
    response = client.post(f"/widgets/{campaign}/petition", data={"name": "x" * 20_000, "lang": "ur"})
    assert response.status_code == 413
    api = client.post(f"/api/v1/campaigns/{campaign}/signatures", data={"comment": "x" * 20_000})
    assert api.status_code in (413, 415)


def test_error_pages_under_widgets_may_be_framed_by_allies(client):
    response = client.get("/widgets/no-such-campaign/petition?lang=ur")
    assert response.status_code == 404 and "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert 'lang="ur"' in response.data.decode()
    assert "frame-ancestors 'self'" in client.get("/privacy").headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/widgets/any/petition?lang=ur", "/api/v1/campaigns/any/count"])
def test_an_unreachable_database_is_a_503_not_a_500(path):
    from . import services
    from .conftest import build_app, dispose

    dead = (f"postgresql+psycopg://postgres@127.0.0.1:{services.free_port()}/none", {"connect_args": {"connect_timeout": 2}})
    app = build_app(dead, create_schema=False, PROPAGATE_EXCEPTIONS=False)
    try:
        response = app.test_client().get(path)
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    finally:
        dispose(app)


def test_closed_campaign_shows_no_form(app, client, campaign):
    with app.app_context():
        close_campaign(find_campaign(campaign))
    _, html = page(client, campaign)
    assert "no longer takes signatures" in html and '<form id="sign"' not in html


def stored(app):
    with app.app_context():
        return db.session.scalars(select(Signature)).all()


def test_without_javascript_the_form_posts_and_thanks_in_the_same_language(app, client, widget, campaign):
    response = widget.post_form(
        campaign, name="علی رضا", email="ali@example.org", country="PK", opt_in="1",
        lang="ur", ref="ally", origin="https://ally.example.org",
    )
    html = response.data.decode()
    assert response.status_code == 200 and '<html lang="ur" dir="rtl">' in html
    assert "دستخط کرنے کا شکریہ" in html
    [signature] = stored(app)
    assert signature.state == Signature.COUNTED and signature.opt_in is True and signature.lang == "ur"
    assert signature.source_origin == "https://ally.example.org" and signature.ref == "ally"
    assert widget.count(campaign) == 1


@pytest.mark.parametrize(("given", "credited"), [
    ("Quetta Solidarity Network", "Quetta-Solidarity-Network"), ("ally/هزاره", "ally-هزاره"), ("q" * 80, "q" * 64),
])
def test_a_partner_key_outside_the_rule_keeps_its_credit(app, client, widget, campaign, given, credited):
    _, html = page(client, campaign, "?" + urlencode({"ref": given}))
    assert f'name="ref" value="{credited}"' in html
    shared = {unquote(unquote(base)) for base in re.findall(r"ref%3D([^~&\"]+)~", html)}
    assert shared and all(credited.startswith(base) for base in shared), "share links credit the partner, not MSP"
    assert widget.sign(campaign, ref=given).status_code == 202  # an ally's own form, through the API
    [signature] = stored(app)
    assert signature.ref == credited


def test_without_javascript_errors_rerender_the_form_tied_to_their_fields(app, client, campaign):
    response = client.post(f"/widgets/{campaign}/petition", data={"name": "Ali", "email": "nope", "lang": "en"})
    html = response.data.decode()
    assert response.status_code == 422
    assert re.search(r'id="f-email"[^>]*aria-invalid="true" aria-describedby="e-email"', html)
    assert re.search(r'<p class="err" id="e-email">Enter a valid email address', html)
    assert 'id="e-country">Choose your country.' in html
    assert 'value="Ali"' in html, "what the supporter typed is kept"
    assert 'role="alert"' in html and stored(app) == []
    again = client.post(f"/widgets/{campaign}/petition", data={"name": "Ali", "email": "nope", "country": "GB"}).data.decode()
    assert again.count(" selected>") == 1 and '<option value="GB" selected>United Kingdom</option>' in again
    assert again.index('<option value="PK">Pakistan') < again.index('<option value="AF">'), "Pakistan first"


def test_the_country_list_is_complete_in_each_language(client, campaign):
    for lang, pakistan in (("en", "Pakistan"), ("ur", "پاکستان")):
        html = client.get(f"/widgets/{campaign}/petition?lang={lang}").data.decode()
        options = re.findall(r'<option value="([A-Z]{2})"', html)
        assert options[0] == "PK" and len(set(options)) == len(options) - 1 > 240
        assert f'<option value="PK">{pakistan}</option>' in html


def test_without_javascript_a_duplicate_also_thanks(app, widget, campaign):
    data = {"name": "Ali", "email": "ali@example.org", "country": "PK", "lang": "en"}
    first = widget.post_form(campaign, **data)
    second = widget.post_form(campaign, **{**data, "email": "ALI@example.org"})
    assert first.status_code == second.status_code == 200
    assert "Thank you for signing!" in second.data.decode() and len(stored(app)) == 1


def test_without_javascript_a_closed_campaign_says_so(app, client, campaign):
    with app.app_context():
        close_campaign(find_campaign(campaign))
    response = client.post(f"/widgets/{campaign}/petition", data={"name": "Ali", "email": "a@example.org", "country": "PK"})
    assert response.status_code == 409 and "no longer takes signatures" in response.data.decode()


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_first_view_fits_the_budget(client, campaign, lang):
    response, html = page(client, campaign, f"?lang={lang}")
    total = len(gzip.compress(response.data, 9))
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert len(assets) == 2
    for url in assets:
        with client.get(url) as asset:
            assert asset.status_code == 200
            assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            total += len(gzip.compress(asset.data, 9))
    assert total <= PAGE_BUDGET, f"{total} bytes gzipped, budget {PAGE_BUDGET}"


def test_privacy_page_names_hcaptcha_only_when_it_is_on(make_app):
    plain = make_app().test_client().get("/privacy").data.decode()
    assert "hCaptcha" not in plain and "loads nothing from other companies" in plain
    with_captcha = make_app(HCAPTCHA_SITEKEY="s", HCAPTCHA_SECRET="x").test_client().get("/privacy?lang=ur").data.decode()
    assert "hCaptcha" in with_captcha and "IP" not in with_captcha


def test_privacy_page_in_both_languages(client):
    assert "Privacy notice" in client.get("/privacy").data.decode()
    urdu = client.get("/privacy?lang=ur").data.decode()
    assert 'dir="rtl"' in urdu and "رازداری کا اعلامیہ" in urdu


def test_every_urdu_string_is_translated():
    catalogue = Path(__file__).resolve().parent.parent / "widget_service/translations/ur/LC_MESSAGES/messages.po"
    with catalogue.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    untranslated = [m.id for m in messages if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])]
    assert messages and untranslated == []


def test_no_page_has_a_session_cookie_to_set(app, client, campaign):
    """Flask's cookie session is switched off: code that tried to write to it would fail
    loudly rather than quietly give supporters a cookie."""
    from flask import session

    with app.test_request_context(), pytest.raises(RuntimeError):
        session["anything"] = "kept nowhere"
    for path in (f"/widgets/{campaign}/petition", f"/api/v1/campaigns/{campaign}/count", "/healthz"):
        assert "Set-Cookie" not in client.get(path).headers
