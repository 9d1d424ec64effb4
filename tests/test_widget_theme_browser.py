"""An ally's look in Chromium: a themed widget on a host page of another origin shows the chosen
colours, corners and type with no CSP violation; axe finds no colour-contrast violation for an
accent that reads badly on white (#ffff00) or on black (#111111), on the light and the dark page,
after a signature too; auto follows the visitor's colour scheme; the builder's themed script
snippet works on a page whose CSP allows only the service."""
import html
import re

import pytest
import requests

from . import stripe_server as stripe_loop
from .browser import SLUG, TIMEOUT_MS, EmbeddedWidget, open_host_page, wait_for
from .test_accessibility_browser import AXE

pytestmark = pytest.mark.browser

# Every CSP violation and console error, in every frame (the init script runs in the widget too).
RECORD = """
window.mspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.mspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
CONTRAST = """async () => {
    const results = await axe.run(document, {runOnly: ['color-contrast']});
    const seen = results.passes.concat(results.violations).flatMap(v => v.nodes).length;
    return {seen, violations: results.violations.flatMap(v => v.nodes.map(n => JSON.stringify(n.target) + ': ' + n.failureSummary))};
}"""


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: how the page looks does not depend on the database."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}", {"connect_args": {"timeout": 15}}


@pytest.fixture
def live_config(stripe_api):
    """Stripe on loopback, so the donate widget shows its form (its amount buttons take the accent)."""
    return stripe_loop.service_config(stripe_api)


def recording(new_context, **options):
    context = new_context(**options)
    context.add_init_script(RECORD)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return page, errors


def contrast_violations(frame):
    if frame.evaluate("() => typeof axe") == "undefined":
        frame.evaluate(AXE)
    found = frame.evaluate(CONTRAST)
    assert found["seen"] >= 3  # axe looked at the page's text
    return found["violations"]


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_themed_widget_on_an_allys_page_looks_as_chosen_without_csp_violations(new_context, host_site, live_service, lang):
    page, errors = recording(new_context, viewport={"width": 1280, "height": 900})
    query = f"lang={lang}&accent=%23c0392b&theme=dark&radius=14&font=serif"
    url = host_site.add("/themed", (
        "<!doctype html><title>Ally</title><body style='background:#fff'>"
        f"<iframe class='w' src='{live_service.url}/widgets/{SLUG}/petition?{query}' title='Petition' "
        "width='100%' height='1300' style='border:0'></iframe></body>"
    ))
    page.goto(url)
    widget = EmbeddedWidget(page, page.locator("iframe.w"), live_service.url)
    frame = widget.frame
    style = frame.evaluate("""() => {
        const css = e => getComputedStyle(document.querySelector(e));
        return {bg: css('html').backgroundColor, ink: css('body').color, font: css('body').fontFamily,
                button: css('#sign button[type=submit]').backgroundColor, label: css('#sign button[type=submit]').color,
                radius: css('#sign button[type=submit]').borderTopLeftRadius, input: css('#f-name').backgroundColor,
                inputRadius: css('#f-name').borderTopLeftRadius, scheme: css('html').colorScheme};
    }""")
    assert style["bg"] == "rgb(22, 25, 29)" and style["ink"] == "rgb(232, 234, 237)"  # the dark palette
    assert style["button"] == "rgb(192, 57, 43)"  # the ally's own accent, as the button's fill...
    assert style["label"] in ("rgb(255, 255, 255)", "rgb(0, 0, 0)")  # ...under a label chosen to read on it
    assert style["radius"] == style["inputRadius"] == "14px"
    assert style["input"] == "rgb(30, 34, 39)" and style["scheme"] == "dark"
    assert style["font"].startswith("Georgia")
    # The focus ring shows on the dark page.
    frame.focus("#f-name")
    assert frame.evaluate("() => getComputedStyle(document.activeElement).outlineColor") == "rgb(255, 191, 71)"
    # Errors, shown by the script, read on the dark page too.
    frame.click("#sign button[type=submit]")
    frame.locator(".err:not([hidden])").first.wait_for(timeout=TIMEOUT_MS)
    assert contrast_violations(frame) == []
    assert frame.evaluate("() => window.mspViolations") == [] and page.evaluate("() => window.mspViolations") == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("accent", ["ffff00", "111111"])
@pytest.mark.parametrize("kind", ["petition", "actions", "donate", "counter"])
def test_no_contrast_violation_whatever_the_accent(new_context, live_service, kind, accent, theme):
    page, errors = recording(new_context)
    page.goto(f"{live_service.url}/widgets/{SLUG}/{kind}?lang=en&accent={accent}&theme={theme}&radius=0")
    page.locator("main").wait_for(timeout=TIMEOUT_MS)
    if kind == "donate":
        page.locator("#donate").wait_for(timeout=TIMEOUT_MS)
    if kind == "actions":  # its copy and share buttons, shown by the script
        page.locator("button[data-copy]:not([hidden])").wait_for(timeout=TIMEOUT_MS)
    assert contrast_violations(page.main_frame) == [], f"{kind} {accent} {theme}"
    assert page.evaluate("() => window.mspViolations") == [] and errors == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("accent", ["ffff00", "111111"])
def test_the_thank_you_reads_whatever_the_accent(new_context, live_service, accent, theme):
    page, errors = recording(new_context)
    page.goto(f"{live_service.url}/widgets/{SLUG}/petition?lang=ur&accent={accent}&theme={theme}")
    page.fill("#f-name", "زینب")
    page.fill("#f-email", f"zainab.{accent}.{theme}@example.org")
    page.select_option("#f-country", "PK")
    page.click("#sign button[type=submit]")
    page.locator("#thanks").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert contrast_violations(page.main_frame) == []
    assert page.evaluate("() => window.mspViolations") == [] and errors == []


@pytest.mark.parametrize("scheme, background", [("dark", "rgb(22, 25, 29)"), ("light", "rgb(255, 255, 255)")])
def test_auto_follows_the_visitors_colour_scheme(new_context, live_service, scheme, background):
    page, errors = recording(new_context, color_scheme=scheme)
    page.goto(f"{live_service.url}/widgets/{SLUG}/notify?theme=auto&accent=111111")
    page.locator("main").wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == background
    link = page.evaluate("() => getComputedStyle(document.querySelector('.privacy a')).color")
    assert (link == "rgb(17, 17, 17)") == (scheme == "light")  # lightened on the dark page only
    assert contrast_violations(page.main_frame) == []
    assert page.evaluate("() => window.mspViolations") == [] and errors == []


def test_a_compact_widget_is_shorter_and_keeps_the_form(new_context, live_service):
    page, _ = recording(new_context, viewport={"width": 360, "height": 800})
    heights = {}
    for layout in ("full", "compact"):
        page.goto(f"{live_service.url}/widgets/{SLUG}/petition?layout={layout}")
        page.locator("#sign").wait_for(timeout=TIMEOUT_MS)
        heights[layout] = page.evaluate("() => document.documentElement.scrollHeight")
    assert heights["compact"] < heights["full"] - 100, heights
    wait_for(page, lambda: page.locator("#sign button[type=submit]").is_visible(), lambda: "no button")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_builders_themed_snippet_on_a_strict_csp_page(new_context, host_site, live_service, lang):
    """The script snippet the builder writes for a look, pasted into a page of another origin
    whose CSP allows only the service (its inline min-height moved to the page's stylesheet, as
    the builder says): the loader passes the look on, the widget shows it, nothing is blocked."""
    service = live_service.url
    builder = requests.get(
        f"{service}/embed/{SLUG}?widget_lang={lang}&accent=%23ffff00&theme=dark&radius=20&font=serif&layout=compact", timeout=10,
    ).text
    snippet = html.unescape(re.search(r'<textarea id="snippet-script"[^>]*>(.*?)</textarea>', builder, re.S).group(1))
    snippet = re.sub(r' style="[^"]*"', "", snippet)
    assert 'data-accent="#ffff00" data-theme="dark" data-radius="20" data-font="serif" data-layout="compact"' in snippet
    csp = f"default-src 'none'; script-src {service}; frame-src {service}; connect-src {service}; style-src 'self'"
    page, errors = recording(new_context, viewport={"width": 360, "height": 900})
    url = host_site.add(f"/strict-{lang}", (
        f'<!doctype html><html lang="{lang}"><meta http-equiv="Content-Security-Policy" content="{csp}">'
        f"<title>Ally</title><body>{snippet}</body></html>"
    ))
    [widget] = open_host_page(page, url, service)
    frame = widget.frame
    assert frame.evaluate("() => document.documentElement.className") == "theme-dark font-serif"
    assert frame.evaluate("() => !!document.querySelector('main.layout-compact') && !document.querySelector('details')")
    button = frame.locator("#sign button[type=submit]")
    assert button.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color, getComputedStyle(b).borderTopLeftRadius]") == [
        "rgb(255, 255, 0)", "rgb(0, 0, 0)", "20px"]
    widget.wait_until_fitted()
    assert contrast_violations(frame) == []
    assert page.evaluate("() => window.mspViolations") == [] and frame.evaluate("() => window.mspViolations") == []
    assert errors == []
