"""Accessibility kept: axe-core finds no violation on any widget, in English and Urdu, empty, with
errors shown and thanked; nor on the campaign page, the privacy page, and an ally's page with
the widget embedded.

axe's script is the one the axe-playwright-python package (test extra) ships, read from the
installed package: nothing is fetched while the tests run. It is evaluated in each frame through
the DevTools protocol, which the pages' Content-Security-Policy does not govern.
"""
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import Error as PlaywrightError

from demo import allied_site

from . import stripe_server as stripe_loop
from .browser import SLUG, TIMEOUT_MS, wait_for

pytestmark = pytest.mark.browser

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
LANGS = ("en", "ur")
KINDS = ("petition", "actions", "coordinator", "notify", "donate")
# The violations, and how many frames axe looked into (a node in a frame has a longer target).
RUN = """async () => {
    const results = await axe.run(document, {frameWaitTime: 10000});
    const nodes = [...results.passes, ...results.violations].flatMap(v => v.nodes);
    return {
        violations: results.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n` + v.nodes.map(
            n => `    ${JSON.stringify(n.target)}: ${n.failureSummary.replace(/\\n/g, ' ')}`).join('\\n')),
        frames: new Set(nodes.filter(n => n.target.length > 1).map(n => JSON.stringify(n.target[0]))).size,
    };
}"""


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: what the pages say to assistive technology does not depend on the database."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}", {"connect_args": {"timeout": 15}}


@pytest.fixture
def live_config(stripe_api):
    """Stripe on a loopback server, so the donate widget shows its form rather than the fallback."""
    return stripe_loop.service_config(stripe_api)


def violations(page, attempts=3):
    """axe's violations on ``page``, its frames included: axe is put into every frame, and allowed
    to talk to frames of other origins (an ally's page and the widget are two sites). A frame
    that was still settling when axe was put in is given axe again and the run repeated."""
    page.wait_for_load_state("load")
    expected = page.locator("iframe").count()
    for _ in range(attempts):
        for frame in page.frames:
            if frame.evaluate("() => typeof axe") == "undefined":
                frame.evaluate(AXE)
            frame.evaluate("() => axe.configure({allowedOrigins: ['<unsafe_all_origins>']})")
        results = page.evaluate(RUN)
        if results["frames"] == expected:
            return results["violations"]
        page.wait_for_timeout(1000)
    # A frame axe could not reach would otherwise be left out silently.
    raise AssertionError(f"axe reached {results['frames']} of the {expected} frames on {page.url}")


def assert_accessible(page, what):
    found = violations(page)
    assert found == [], f"{what}:\n" + "\n".join(found)


def widget_page(page, live_service, kind, lang):
    page.goto(f"{live_service.url}/widgets/{SLUG}/{kind}?lang={lang}")
    page.locator("main").wait_for(timeout=TIMEOUT_MS)
    return page


# kind -> (the form's id, how to fill it in correctly)
FORMS = {
    "petition": ("sign", lambda page, n: (page.fill("#f-name", f"Ada {n}"), page.fill("#f-email", f"ada.{n}@example.org"),
                                          page.select_option("#f-country", "PK"))),
    "coordinator": ("coordinator", lambda page, n: (
        page.fill("#f-name", f"Bilal {n}"), page.fill("#f-email", f"bilal.{n}@example.org"),
        page.fill("#f-phone", "0300 1234567"), page.select_option("#f-region", "PK-BA"))),
    "notify": ("notify", lambda page, n: page.fill("#f-email", f"sana.{n}@example.org")),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", sorted(FORMS))
def test_a_form_widget_empty_with_errors_and_thanked(page, live_service, kind, lang):
    form, fill = FORMS[kind]
    widget_page(page, live_service, kind, lang)
    assert_accessible(page, f"{kind} ({lang}), empty")
    page.click(f"#{form} button[type=submit]")  # nothing filled in
    page.locator(".err:not([hidden])").first.wait_for(timeout=TIMEOUT_MS)
    assert_accessible(page, f"{kind} ({lang}), errors shown")
    fill(page, lang)
    page.click(f"#{form} button[type=submit]")
    page.locator("#thanks").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert_accessible(page, f"{kind} ({lang}), thanked")


@pytest.mark.parametrize("lang", LANGS)
def test_the_actions_panel(page, live_service, lang):
    widget_page(page, live_service, "actions", lang)
    assert_accessible(page, f"actions ({lang})")


@pytest.mark.parametrize("lang", LANGS)
def test_the_donate_widget_empty_with_errors_and_its_return_pages(page, live_service, lang):
    widget_page(page, live_service, "donate", lang)
    page.locator("#donate").wait_for(timeout=TIMEOUT_MS)
    assert_accessible(page, f"donate ({lang}), empty")
    page.fill("#f-custom_amount", "1")  # below every currency's minimum: refused before any tab opens
    page.click("#donate button[type=submit]")
    page.locator("#e-custom_amount").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert_accessible(page, f"donate ({lang}), errors shown")
    for done in ("thanks", "cancelled"):
        page.goto(f"{live_service.url}/widgets/{SLUG}/donate/{done}?lang={lang}")
        assert_accessible(page, f"donate ({lang}), {done}")


@pytest.mark.parametrize("lang", LANGS)
def test_the_campaign_page_and_the_privacy_page(page, live_service, lang):
    page.goto(f"{live_service.url}/c/{SLUG}?lang={lang}")
    page.locator("iframe").first.wait_for(timeout=TIMEOUT_MS)
    assert_accessible(page, f"campaign page ({lang})")
    page.goto(f"{live_service.url}/privacy?lang={lang}")
    assert_accessible(page, f"privacy page ({lang})")


@pytest.mark.parametrize("lang", LANGS)
def test_the_snippet_builder_with_its_preview(page, live_service, lang):
    page.goto(f"{live_service.url}/embed/{SLUG}?lang={lang}&kind=notify&partner=Quetta+Solidarity+Network")
    load_every_frame(page, live_service.url)
    assert_accessible(page, f"snippet builder ({lang})")


def load_every_frame(page, service_url):
    """Scroll each (lazy) widget iframe into view and wait until its widget has loaded."""
    frames = page.locator("iframe")
    for i in range(frames.count()):
        frames.nth(i).scroll_into_view_if_needed()

        def loaded():
            frame = frames.nth(i).element_handle().content_frame()
            try:
                return frame.url.startswith(service_url) and frame.evaluate("() => !!document.querySelector('main')")
            except PlaywrightError:  # still navigating
                return False

        wait_for(page, loaded, lambda: f"iframe {i} never loaded its widget")
    page.evaluate("() => window.scrollTo(0, 0)")


@pytest.mark.parametrize("lang", LANGS)
def test_an_allys_page_embedding_every_widget_kind(page, host_site, live_service, lang):
    """The ally's page has its own main landmark; each widget's is named, and differently."""
    snippets = "\n".join(allied_site.snippet(live_service.url, lang, SLUG, widget=kind) for kind in KINDS)
    url = host_site.add(f"/all-{lang}", allied_site.layout(lang, "Take part", "Every way to help.", snippets))
    page.goto(url)
    page.wait_for_function("n => document.querySelectorAll('iframe').length == n", arg=len(KINDS), timeout=TIMEOUT_MS)
    load_every_frame(page, live_service.url)
    assert_accessible(page, f"every widget kind embedded ({lang})")


@pytest.mark.parametrize("lang", LANGS)
def test_an_allys_page_with_the_no_script_snippet(page, host_site, live_service, lang):
    snippet = allied_site.iframe_snippet(live_service.url, lang, SLUG)
    page.goto(host_site.add(f"/plain-{lang}", allied_site.layout(lang, "Sign", "Sign the petition.", snippet)))
    load_every_frame(page, live_service.url)
    assert_accessible(page, f"no-script petition embedded ({lang})")
