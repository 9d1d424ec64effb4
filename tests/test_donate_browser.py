"""The donate widget embedded on an ally's page (another site), in a real Chromium: a donor picks
an amount and the donation opens in a new tab on the (loopback) Stripe Checkout page."""
import json
import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from widget_service import demo_campaign
from widget_service.donations import change_donate_settings
from widget_service.extensions import db
from widget_service.models import Campaign

from . import stripe_server as stripe_loop
from .browser import PARTNER, SLUG, TIMEOUT_MS, LateScript, open_host_page, wait_for
from .stripe_server import completed_session, event, signature_header

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config(stripe_api):
    return stripe_loop.service_config(stripe_api)


@pytest.fixture
def donate_settings(live_service):
    with live_service.app.app_context():
        campaign = db.session.scalar(db.select(Campaign).filter_by(slug=SLUG))
        change_donate_settings(campaign, **demo_campaign.DONATE)


def open_donate(page, host_site, live_service, lang="en"):
    [widget] = open_host_page(page, f"{host_site.url}{'/ur' if lang == 'ur' else ''}/donate", live_service.url)
    frame = widget.frame
    frame.locator("#donate").wait_for(timeout=TIMEOUT_MS)
    return widget, frame


def test_a_donor_on_an_allied_site_gives_and_lands_on_stripe_checkout_in_a_new_tab(
    new_context, host_site, live_service, stripe_api, donate_settings
):
    context = new_context()
    page = context.new_page()
    widget, frame = open_donate(page, host_site, live_service)
    assert frame.url.startswith(live_service.url)  # another site than the host page
    assert frame.locator("h1").inner_text() == "Donate to Minority Support Pakistan"
    expect(frame.locator(".goal")).to_have_text("Goal: $25,000")  # nothing raised yet: no empty bar

    frame.click("label[for=a-5000]")  # "$50"
    with context.expect_page(timeout=TIMEOUT_MS) as opened:
        frame.click("#donate button[type=submit]")
    checkout = opened.value
    checkout.wait_for_load_state()
    assert checkout.url.startswith(f"{stripe_api.url}/c/pay/cs_test_")
    expect(checkout.locator("#checkout")).to_have_text(checkout.url.rsplit("/", 1)[1])
    assert page.url.startswith(host_site.url)  # the ally's page stayed where it was
    expect(frame.locator("#alert")).to_contain_text("continues in a new tab")

    [sent] = stripe_api.requests
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "5000"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["metadata[msp_campaign]"] == SLUG and params["metadata[msp_ref]"] == PARTNER
    assert params["success_url"].startswith(f"{live_service.url}/widgets/{SLUG}/donate/thanks")
    assert context.cookies() == []  # neither the widget nor the service set one

    # Back on the ally's page, the same widget starts another gift (after a cancel, say): its
    # form fetched a fresh token, so this is no replay.
    page.wait_for_timeout(1000)
    with context.expect_page(timeout=TIMEOUT_MS) as reopened:
        frame.click("#donate button[type=submit]")
    reopened.value.wait_for_load_state()
    assert reopened.value.url.startswith(f"{stripe_api.url}/c/pay/cs_test_")
    assert len(stripe_api.requests) == 2

    # Stripe reports the payment; the widget then shows it.
    session = stripe_api.sessions[checkout.url.rsplit("/", 1)[1]]
    payload = json.dumps(event("checkout.session.completed", completed_session(session)))
    answer = requests.post(
        f"{live_service.url}/api/v1/stripe/webhook", data=payload, timeout=5,
        headers={"Stripe-Signature": signature_header(payload), "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    # A visitor without a kept copy sees it once the service renews its kept page (within
    # WIDGET_COUNT_CACHE_SECONDS). Each look is a new visitor: a browser keeps its copy up to the
    # page's max-age, so one that looked before the renewal would go on seeing the old page.
    def raised():
        visitor = new_context().new_page()
        try:
            visitor.goto(frame.url)
            return "$50 raised of $25,000" in (visitor.locator(".raised").all_inner_texts() or [""])[0]
        finally:
            visitor.context.close()

    wait_for(page, raised, lambda: "the gift never showed in the widget", interval_ms=500)



def test_an_urdu_donor_types_an_amount_in_urdu_digits_and_gives_monthly(
    new_context, host_site, live_service, stripe_api, donate_settings
):
    context = new_context()
    page = context.new_page()
    widget, frame = open_donate(page, host_site, live_service, "ur")
    assert frame.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ur", "rtl"]
    frame.click("nav.currencies a:text('PKR')")  # switching currency reloads the widget in PKR
    frame = widget.load()
    expect(frame.locator("legend").first).to_have_text("رقم (PKR)")

    frame.fill("#f-custom_amount", "۱۰")  # Rs10: below the minimum, caught before any tab opens
    frame.click("#donate button[type=submit]")
    expect(frame.locator("#e-custom_amount")).to_be_visible()
    expect(frame.locator("#f-custom_amount")).to_be_focused()
    assert frame.locator("#f-custom_amount").get_attribute("aria-describedby") == "e-custom_amount"
    assert len(context.pages) == 1 and stripe_api.requests == []

    frame.fill("#f-custom_amount", "۳۰۰۰")
    assert frame.locator("#a-other").is_checked()  # typing an amount chose "Other"
    frame.click("label[for=i-month]")
    with context.expect_page(timeout=TIMEOUT_MS) as opened:
        frame.click("#donate button[type=submit]")
    opened.value.wait_for_load_state()
    assert opened.value.url.startswith(f"{stripe_api.url}/c/pay/")
    params = stripe_api.requests[0]["params"]
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][unit_amount]"] == "300000"
    assert params["line_items[0][price_data][currency]"] == "pkr"
    assert params["metadata[msp_lang]"] == "ur"


def second_step(tab):
    """The tab a form without a token opened (no script, so none was fetched): the form again,
    as chosen, asking for one more press, which goes on to Stripe."""
    assert "press the button once more" in tab.locator("#alert").inner_text()
    with tab.expect_navigation(timeout=TIMEOUT_MS):
        tab.click("#donate button[type=submit]")


def test_a_donor_without_javascript_still_donates(new_context, host_site, live_service, stripe_api, donate_settings):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_service.url}/widgets/{SLUG}/donate?lang=en&ref={PARTNER}")
    page.click("label[for=a-2500]")
    with context.expect_page(timeout=TIMEOUT_MS) as opened:
        page.click("#donate button[type=submit]")
    opened.value.wait_for_load_state()
    second_step(opened.value)
    assert opened.value.url.startswith(f"{stripe_api.url}/c/pay/")
    assert stripe_api.requests[0]["params"]["line_items[0][price_data][unit_amount]"] == "2500"


def test_a_donor_without_javascript_who_only_types_an_amount_gives_that_amount(
    new_context, host_site, live_service, stripe_api, donate_settings
):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_service.url}/widgets/{SLUG}/donate?lang=en&ref={PARTNER}")
    assert page.locator("input[name=amount]:checked").get_attribute("value") != "other"  # a preset
    page.fill("#f-custom_amount", "40")  # nothing moves the radio without the script
    with context.expect_page(timeout=TIMEOUT_MS) as opened:
        page.click("#donate button[type=submit]")
    opened.value.wait_for_load_state()
    second_step(opened.value)
    assert stripe_api.requests[0]["params"]["line_items[0][price_data][unit_amount]"] == "4000"



def test_an_amount_typed_before_the_script_arrives_chooses_other(
    new_context, host_site, live_service, stripe_api, donate_settings
):
    page = new_context().new_page()
    script = LateScript(page.context, "**/static/donate.js*")
    page.goto(f"{live_service.url}/widgets/{SLUG}/donate?lang=en&ref={PARTNER}", wait_until="commit")
    page.locator("#f-custom_amount").wait_for()
    page.fill("#f-custom_amount", "40")
    assert not page.locator("#a-other").is_checked()
    script.release()
    page.wait_for_load_state()
    expect(page.locator("#a-other")).to_be_checked()
    expect(page.locator("#f-custom_amount")).to_have_value("40")


@pytest.mark.parametrize("size", ["360", "1280"])
def test_donate_widget_screenshots(new_context, host_site, live_service, stripe_api, donate_settings, size):
    """Screenshots to ``$WIDGET_SCREENSHOT_DIR`` for people to look at; always checks the layout fits."""
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    width = int(size)
    for lang in ("en", "ur"):
        page = new_context(viewport={"width": width, "height": 2000}).new_page()
        widget, frame = open_donate(page, host_site, live_service, lang)
        widget.wait_until_fitted()
        # Nothing overflows sideways, at phone width too.
        assert frame.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            widget.iframe.screenshot(path=Path(folder) / f"donate-{size}-{lang}.png")


def test_without_stripe_the_embedded_widget_shows_the_fallback(new_context, host_site, live_service, donate_settings):
    live_service.app.config["STRIPE_SECRET_KEY"] = ""
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    for lang, heading in (("en", "Bank transfer from Pakistan"), ("ur", "پاکستان سے بینک ٹرانسفر")):
        page = new_context(viewport={"width": 360, "height": 2000}).new_page()
        [widget] = open_host_page(page, f"{host_site.url}{'/ur' if lang == 'ur' else ''}/donate", live_service.url)
        frame = widget.frame
        expect(frame.locator(".other-ways h3")).to_have_text(heading)
        expect(frame.locator("a.button")).to_have_attribute("href", demo_campaign.DONATE["external_url"])
        assert frame.locator("#donate").count() == 0
        widget.wait_until_fitted()
        if folder:
            widget.iframe.screenshot(path=Path(folder) / f"donate-fallback-360-{lang}.png")


def test_a_checkout_url_off_the_configured_origin_is_never_followed(new_context, host_site, live_service, stripe_api, donate_settings):
    """The service redirects only to ``WIDGET_STRIPE_CHECKOUT_ORIGIN`` (and the CSP's form-action
    would stop the browser too): a session URL elsewhere, here the loopback one, gets an error
    page in the new tab, and no tab reaches it."""
    live_service.app.config["STRIPE_CHECKOUT_ORIGIN"] = "https://checkout.stripe.com"
    context = new_context()
    page = context.new_page()
    _, frame = open_donate(page, host_site, live_service)
    with context.expect_page(timeout=TIMEOUT_MS) as opened:
        frame.click("#donate button[type=submit]")
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(f"{live_service.url}/widgets/{SLUG}/donate"), tab.url
    expect(tab.locator("#alert")).to_contain_text("could not be started")
    assert not any(p.url.startswith(stripe_api.url) for p in context.pages)


def test_a_second_quick_click_opens_no_second_checkout(new_context, host_site, live_service, stripe_api, donate_settings):
    context = new_context()
    page = context.new_page()
    _, frame = open_donate(page, host_site, live_service)
    with context.expect_page(timeout=TIMEOUT_MS) as opened:
        # A click, then an impatient second one 300 ms later (timed in the page, not by the test's
        # pace; the page notes when the second really came: a loaded machine delays timers).
        frame.evaluate("() => { const b = document.querySelector('#donate button[type=submit]'); "
                       "const first = Date.now(); b.click(); "
                       "setTimeout(() => { window.mspGap = Date.now() - first; b.click(); }, 300); }")
    opened.value.wait_for_load_state()
    wait_for(page, lambda: frame.evaluate("() => window.mspGap !== undefined"), lambda: "the second click never came")
    page.wait_for_timeout(1000)  # time for a second tab, were one coming
    checkouts = [p for p in context.pages if p.url.startswith(f"{stripe_api.url}/c/pay/")]
    assert len(stripe_api.requests) == 1 and checkouts == [opened.value], "one checkout, whatever the timing"
    if frame.evaluate("() => window.mspGap") < 800:  # within the widget's double-click window: no tab at all
        assert len(context.pages) == 2
