"""The counter badge (issue #17, item 4) in a real Chromium: on an ally's page on another origin
it shows the live count and a link to sign on the campaign page, in a new tab; axe finds nothing
on it, in English and in Urdu (right to left)."""
import pytest

from .browser import SLUG, ally_page, digits, open_host_page, wait_for
from .test_accessibility_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def page_html(service_url, body, lang="en"):
    return ally_page(service_url, f"<main><h1>An ally</h1>{body}</main>", lang)


def test_the_counter_badge_shows_the_live_count_and_a_link_to_sign(new_context, host_site, live_service):
    page = new_context(viewport={"width": 360, "height": 780}).new_page()
    body = (f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="counter" data-lang="en"></div>'
            f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="petition" data-lang="en"></div>')
    counter, petition = open_host_page(page, host_site.add("/counter", page_html(live_service.url, body)), live_service.url, 2)
    assert counter.iframe.get_attribute("title") == "Minority Support Pakistan: signature count"
    before = live_service.count()
    assert counter.count() == before
    link = counter.frame.locator("a.button")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("href").startswith(f"{live_service.url}/c/{SLUG}?ref=")
    counter.wait_until_fitted()
    petition.sign("Nargis Hazara", "nargis.counter@example.org")
    # A new visitor (the badge is reloaded, as the next page view would) sees the new count.
    wait_for(page, lambda: live_service.count() == before + 1, lambda: "the signature was not counted")

    def fresh():
        counter.frame.evaluate("() => location.reload()")
        return digits(counter.load().locator("[data-count]").inner_text()) == before + 1

    wait_for(page, fresh, lambda: f"the badge still shows {counter.count()}", interval_ms=500)


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_counter_passes_axe_in_both_languages(new_context, host_site, live_service, lang):
    page = new_context(viewport={"width": 360, "height": 780}).new_page()
    body = f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="counter" data-lang="{lang}"></div>'
    [counter] = open_host_page(page, host_site.add(f"/counter-axe-{lang}", page_html(live_service.url, body, lang)), live_service.url)
    frame = counter.frame
    assert frame.evaluate("() => document.documentElement.dir") == ("rtl" if lang == "ur" else "ltr")
    assert frame.locator("a.button").inner_text().startswith("پٹیشن پر دستخط کریں" if lang == "ur" else "Sign the petition")
    assert_accessible(page, f"the counter badge ({lang})")
