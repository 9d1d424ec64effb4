"""No jump when a widget arrives: on a throttled phone, the host page's cumulative layout shift
(Chromium's 'layout-shift' entries, all of them added up) stays under 0.1 on the demo ally's
pages and the campaign page, in both languages; and the loader's own styles work on a host page
whose CSP forbids inline styles.

Every shift counts, those Chromium marks as just after an input too (CLS leaves them out): these
tests give no input, yet Chromium now and then marks the widget's arrival so, which would hide
it. Counting them is only stricter."""
import pytest

from .browser import SLUG, TIMEOUT_MS, LateScript, open_host_page, widgets

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
# Lighthouse's mobile run: a slow 4G connection and a CPU four times slower.
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
CPU_SLOWDOWN = 4
GOOD = 0.1  # the limit of a "good" cumulative layout shift

RECORD = """
window.mspShifts = [];
window.mspViolations = [];
window.mspShiftObserver = new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.mspShifts.push(entry.value);
});
window.mspShiftObserver.observe({type: 'layout-shift', buffered: true});
document.addEventListener('securitypolicyviolation', e => window.mspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
PAINTED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
SETTLED = """() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => {
  window.mspShiftObserver.takeRecords().forEach(entry => window.mspShifts.push(entry.value));
  done(window.mspShifts);
})))"""


def open_on_a_slow_phone(new_context, live_service, url, expected=1):
    """Open ``url`` on a throttled phone, the loader arriving only once the page has painted its
    text (as it does on a real slow phone, where Lighthouse saw the jump); once every widget has
    loaded and fitted its content and the page has been scrolled to its end, return (the layout
    shifts seen, the page)."""
    context = new_context(**PHONE)
    context.add_init_script(RECORD)
    loader = LateScript(context, "**/embed.js")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(url, wait_until="commit")  # the load event waits for the async loader
    page.wait_for_function("() => document.readyState !== 'loading'", timeout=TIMEOUT_MS)
    page.evaluate(PAINTED)  # the whole page on screen, still without its widgets
    loader.release()
    page.wait_for_function(
        "n => document.querySelectorAll('iframe.msp-widget-frame').length >= n", arg=expected, timeout=TIMEOUT_MS
    )
    for widget in widgets(page, live_service.url):
        widget.load()  # scrolled into view: lazy frames below load as the reader gets there
        widget.wait_until_fitted()
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    return page.evaluate(SETTLED), page


@pytest.mark.parametrize("path", ["/", "/ur", "/act", "/ur/act"])
def test_the_demo_allys_pages_do_not_jump_when_the_widgets_arrive(new_context, live_service, host_site, path):
    shifts, _page = open_on_a_slow_phone(new_context, live_service, host_site.url + path, 1 if "act" not in path else 3)
    assert sum(shifts) < GOOD, shifts


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_campaign_page_does_not_jump_when_the_petition_arrives(new_context, live_service, lang):
    shifts, page = open_on_a_slow_phone(new_context, live_service, f"{live_service.url}/c/{SLUG}?lang={lang}")
    assert sum(shifts) < GOOD, shifts
    assert page.evaluate("() => window.mspViolations") == []  # its CSP forbids inline styles


def test_a_snippet_that_reserves_nothing_moves_the_page(new_context, live_service, host_site):
    """What the measure above would catch: the script-only snippet takes no room until the loader
    runs, then pushes the text below it down by the whole widget."""
    html = (
        '<!doctype html><html lang="en"><meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>Unreserved</title><h1>An ally</h1><p>Please sign below.</p>"
        f'<script async src="{live_service.url}/embed.js" data-campaign="{SLUG}" data-lang="en"></script>'
        + "<p>The ally's article goes on under the widget, on screen until the widget arrives.</p>" * 12
        + "</html>"
    )
    shifts, _page = open_on_a_slow_phone(new_context, live_service, host_site.add("/unreserved", html))
    assert sum(shifts) > GOOD, shifts


def test_the_loaders_styles_work_under_a_csp_without_unsafe_inline(new_context, live_service, host_site):
    service = live_service.url
    csp = f"default-src 'none'; script-src {service}; frame-src {service}; connect-src {service}; style-src 'self'"
    html = (
        f'<!doctype html><html lang="ur"><meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Strict</title>'
        f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="petition" data-lang="ur"></div>'
        f'<script async src="{service}/embed.js"></script></html>'
    )
    context = new_context(viewport={"width": 412, "height": 900})
    context.add_init_script(RECORD)
    page = context.new_page()
    [widget] = open_host_page(page, host_site.add("/strict", html), service)
    widget.load()
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.msp-widget-frame')).opacity === '1'", timeout=TIMEOUT_MS
    )
    style = widget.iframe.evaluate(
        """f => { const s = getComputedStyle(f);
            return {display: s.display, border: s.borderTopWidth, width: f.offsetWidth, room: f.parentNode.clientWidth}; }"""
    )
    assert style["display"] == "block" and style["border"] == "0px", style
    assert style["width"] == style["room"], style  # the whole width of its placeholder
    assert widget.wait_until_fitted() > 900
    assert page.evaluate("() => window.mspViolations") == []  # nothing of the loader's was blocked
