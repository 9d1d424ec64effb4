"""What the loader tells the host page (issue #17, item 7), in a real Chromium on an ally's page on
another origin: DOM events on the snippet, bubbling to the document, caught by the page's own
script: msp:ready, msp:resize, msp:signed after a real signature, msp:donate-started when a
donation starts; each with which campaign, widget and language, never anything the supporter
entered. The snippet's look and layout reach the widget's address."""
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from widget_service import demo_campaign
from widget_service.donations import change_donate_settings
from widget_service.extensions import db
from widget_service.models import Campaign

from . import stripe_server as stripe_loop
from .browser import PARTNER, SLUG, TIMEOUT_MS, open_host_page, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

# The host page's own analytics: every msp: event that reaches the document, with where it was
# dispatched, as an ally's tag manager would see it.
LISTENER = """<script>
  window.seen = [];
  ['msp:ready', 'msp:resize', 'msp:signed', 'msp:donate-started'].forEach(function (type) {
    document.addEventListener(type, function (e) {
      window.seen.push({type: e.type, target: e.target.id || e.target.tagName, bubbles: e.bubbles,
                        detail: JSON.parse(JSON.stringify(e.detail))});
    });
  });
</script>"""


@pytest.fixture
def live_config(stripe_api):
    return stripe_loop.service_config(stripe_api)


def host_page(live_service, body):
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Ally</title></head>'
        f'<body>{LISTENER}{body}<script async src="{live_service.url}/embed.js"></script></body></html>'
    )


def seen(page, type_=None):
    return [event for event in page.evaluate("window.seen") if type_ in (None, event["type"])]


def test_the_host_page_hears_ready_resize_and_signed_with_no_personal_data(page, host_site, live_service):
    body = (
        f'<div class="msp-widget" id="petition-box" data-campaign="{SLUG}" data-widget="petition" '
        f'data-lang="en" data-partner="{PARTNER}"></div>'
    )
    [widget] = open_host_page(page, host_site.add("/events", host_page(live_service, body)), live_service.url)
    widget.load()
    ready = wait_for(page, lambda: seen(page, "msp:ready"), lambda: f"no msp:ready: {seen(page)}")
    assert ready[0] == {"type": "msp:ready", "target": "petition-box", "bubbles": True,
                        "detail": {"campaign": SLUG, "widget": "petition", "lang": "en"}}
    fitted = widget.wait_until_fitted()
    last = wait_for(page, lambda: [e for e in seen(page, "msp:resize") if abs(e["detail"]["height"] - fitted) <= 2],
                    lambda: f"no msp:resize at {fitted}px: {seen(page, 'msp:resize')}")
    assert last[-1]["detail"] == {"campaign": SLUG, "widget": "petition", "lang": "en", "height": last[-1]["detail"]["height"]}
    assert not seen(page, "msp:signed")

    widget.sign("Zahra Hazara", "zahra.events@example.org")
    signed = wait_for(page, lambda: seen(page, "msp:signed"), lambda: f"no msp:signed: {seen(page)}")
    assert signed == [{"type": "msp:signed", "target": "petition-box", "bubbles": True,
                       "detail": {"campaign": SLUG, "widget": "petition", "lang": "en"}}]
    assert live_service.signatures(email="zahra.events@example.org")
    everything = json.dumps(seen(page)).lower()
    assert "zahra" not in everything and "example.org" not in everything and '"pk"' not in everything


def test_a_script_snippet_in_urdu_gets_the_events_on_its_script_element(page, host_site, live_service):
    body = (
        f'<script async id="notify-snippet" src="{live_service.url}/embed.js" data-campaign="{SLUG}" '
        'data-widget="notify" data-lang="ur"></script>'
    )
    html = host_page(live_service, body).replace(f'<script async src="{live_service.url}/embed.js"></script>', "")
    [widget] = open_host_page(page, host_site.add("/events-ur", html), live_service.url)
    frame = widget.frame
    ready = wait_for(page, lambda: seen(page, "msp:ready"), lambda: f"no msp:ready: {seen(page)}")
    assert ready[0]["target"] == "notify-snippet"
    assert ready[0]["detail"] == {"campaign": SLUG, "widget": "notify", "lang": "ur"}
    frame.fill("#f-email", "ali.notify@example.org")
    frame.locator("form[data-api] button[type=submit]").click()
    signed = wait_for(page, lambda: seen(page, "msp:signed"), lambda: f"no msp:signed: {seen(page)}")
    assert signed[0]["detail"] == {"campaign": SLUG, "widget": "notify", "lang": "ur"}
    assert "ali.notify" not in json.dumps(seen(page))


def test_the_host_page_hears_a_donation_start(new_context, host_site, live_service):
    with live_service.app.app_context():
        campaign = db.session.scalar(db.select(Campaign).filter_by(slug=SLUG))
        change_donate_settings(campaign, **demo_campaign.DONATE)
    context = new_context()
    page = context.new_page()
    body = f'<div class="msp-widget" id="give" data-campaign="{SLUG}" data-widget="donate" data-lang="en"></div>'
    [widget] = open_host_page(page, host_site.add("/events-donate", host_page(live_service, body)), live_service.url)
    frame = widget.frame
    frame.locator("#donate").wait_for(timeout=TIMEOUT_MS)
    assert not seen(page, "msp:donate-started")
    frame.click("label[for=a-5000]")
    with context.expect_page(timeout=TIMEOUT_MS):
        frame.click("#donate button[type=submit]")
    started = wait_for(page, lambda: seen(page, "msp:donate-started"), lambda: f"none: {seen(page)}")
    assert started == [{"type": "msp:donate-started", "target": "give", "bubbles": True,
                        "detail": {"campaign": SLUG, "widget": "donate", "lang": "en"}}]


def test_the_snippets_look_and_layout_reach_the_widget_as_given(page, host_site, live_service):
    body = (
        f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="petition" data-accent="#0a7d5a" '
        'data-theme="dark" data-radius="12" data-font="serif" data-layout="compact"></div>'
    )
    [widget] = open_host_page(page, host_site.add("/look", host_page(live_service, body)), live_service.url)
    query = parse_qs(urlsplit(widget.iframe.get_attribute("src")).query)
    assert {key: query[key] for key in ("accent", "theme", "radius", "font", "layout")} == {
        "accent": ["#0a7d5a"], "theme": ["dark"], "radius": ["12"], "font": ["serif"], "layout": ["compact"]}
    assert query["origin"] == [host_site.origin] and "lang" not in query
