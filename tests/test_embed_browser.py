"""What the loader gives each kind of widget, in a real Chromium on an ally's page: an accessible
title of its own in the widget's language, and a starting height near what the widget then
reports at phone and desktop width (so the page does not jump when it does)."""
import pytest

from widget_service import demo_campaign
from widget_service.donations import change_donate_settings
from widget_service.extensions import db
from widget_service.models import Campaign
from widget_service.views.embed import HEIGHTS

from . import stripe_server as stripe_loop
from .browser import PARTNER, SLUG, open_host_page

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
TITLES = {
    "en": {
        "petition": "Minority Support Pakistan petition",
        "actions": "Minority Support Pakistan: take action",
        "coordinator": "Minority Support Pakistan: become a coordinator",
        "notify": "Minority Support Pakistan: get notified",
        "donate": "Minority Support Pakistan: donate",
        "counter": "Minority Support Pakistan: signature count",
    },
    "ur": {
        "petition": "مائنارٹی سپورٹ پاکستان کی پٹیشن",
        "actions": "مائنارٹی سپورٹ پاکستان: مزید اقدامات",
        "coordinator": "مائنارٹی سپورٹ پاکستان: کوآرڈینیٹر بنیں",
        "notify": "مائنارٹی سپورٹ پاکستان: اطلاع پائیں",
        "donate": "مائنارٹی سپورٹ پاکستان: عطیہ دیں",
        "counter": "مائنارٹی سپورٹ پاکستان: دستخطوں کی تعداد",
    },
}
KINDS = list(TITLES["en"])


@pytest.fixture
def live_config(stripe_api):
    """Donations through the (loopback) Stripe, so the donate widget is the one donors see."""
    return stripe_loop.service_config(stripe_api)


def snippet(kind, lang, extra=""):
    return (
        f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="{kind}" data-lang="{lang}" '
        f'data-partner="{PARTNER}"{extra}></div>'
    )


def host_page(live_service, lang, snippets):
    return (
        f'<!doctype html><html lang="{lang}"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Act</title><body>{''.join(snippets)}<script async src=\"{live_service.url}/embed.js\"></script></body></html>"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the loader does not depend on it
@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("width", [PHONE["width"], 1280])
def test_each_kind_has_its_own_title_and_a_starting_height_near_its_own(new_context, host_site, live_service, lang, width):
    """Within 6% of the height the widget then reports, at phone and at desktop width (the loader's
    heights per kind and language, widget_service/views/embed.py's HEIGHTS, were measured so)."""
    with live_service.app.app_context():
        campaign = db.session.scalar(db.select(Campaign).filter_by(slug=SLUG))
        change_donate_settings(campaign, **demo_campaign.DONATE)
    page = new_context(viewport={**PHONE, "width": width}).new_page()
    widgets = open_host_page(page, host_site.add(f"/all-{lang}", host_page(live_service, lang, [snippet(kind, lang) for kind in KINDS])), live_service.url, len(KINDS))
    titles = [widget.iframe.get_attribute("title") for widget in widgets]
    assert titles == [TITLES[lang][kind] for kind in KINDS]
    starting = [int(widget.iframe.get_attribute("height")) for widget in widgets]
    fitted = [widget.wait_until_fitted() for widget in widgets]
    for kind, start, height in zip(KINDS, starting, fitted):
        assert abs(height - start) <= start / 16, f"{kind}: starts at {start}px, needs {height}px at {width}px in {lang}"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_snippets_title_and_height_win_and_an_unknown_kind_is_named_like_the_petition(page, host_site, live_service):
    html = host_page(live_service, "ur", [snippet("donate", "ur", ' data-title="Give to MSP" data-height="700"'), snippet("mystery", "ur")])
    widgets = open_host_page(page, host_site.add("/own", html), live_service.url, 2)
    assert widgets[0].iframe.get_attribute("title") == "Give to MSP"
    assert widgets[0].iframe.get_attribute("height") == "700"
    assert widgets[1].iframe.get_attribute("title") == TITLES["ur"]["petition"]
    petition_at_desktop_width = HEIGHTS["petition"][1][1]  # Urdu
    assert widgets[1].iframe.get_attribute("height") == str(petition_at_desktop_width)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_partner_key_outside_the_rule_is_warned_about_and_still_credited(page, host_site, live_service):
    warnings = []
    page.on("console", lambda message: message.type == "warning" and warnings.append(message.text))
    keys = ["Quetta Solidarity Network", PARTNER]
    html = host_page(live_service, "en", [snippet("petition", "en").replace(PARTNER, key) for key in keys])
    first, second = open_host_page(page, host_site.add("/odd-key", html), live_service.url, 2)
    first.load()
    assert [w for w in warnings if "data-partner" in w] == [
        'MSP widget: data-partner "Quetta Solidarity Network" is credited as a key of up to 64 letters, digits, '
        ". _ ~ -, starting with a letter or digit: other characters become -"
    ], "one warning, for the key outside the rule only"
    first.sign("Zahra Hazara", "zahra@example.org")
    [stored] = live_service.signatures(email="zahra@example.org")
    assert stored["ref"] == "Quetta-Solidarity-Network"
