"""The widget as supporters and allies meet it: a real Chromium on an ally's page on another site.

The ally's page (demo/allied_site.py) is opened as ``localhost`` and the service as ``127.0.0.1``,
on free ports, on each database backend.
"""
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demo import allied_site
from widget_service import demo_campaign

from .browser import PARTNER, SLUG, TIMEOUT_MS, EmbeddedWidget, open_host_page, wait_for, widgets

pytestmark = pytest.mark.browser

UR_TITLE = demo_campaign.TEXTS["ur"]["title"]
EN_TITLE = demo_campaign.TEXTS["en"]["title"]


def test_snippet_inserts_a_titled_lazy_iframe_that_fits_its_content(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)

    placed = page.evaluate(
        """() => {
            const s = document.querySelector('div.msp-widget'), f = s.firstElementChild;
            return {tag: f.tagName, cls: f.className, title: f.title, loading: f.getAttribute('loading'), src: f.src};
        }"""
    )
    assert placed["tag"] == "IFRAME" and "msp-widget-frame" in placed["cls"]
    assert placed["title"].strip()
    assert placed["loading"] == "lazy"
    assert placed["src"].startswith(f"{live_service.url}/widgets/{SLUG}/petition?")
    frame = widget.frame
    assert frame.url.startswith(live_service.url)  # another site than the host page
    assert frame.evaluate("() => new URLSearchParams(location.search).get('origin')") == host_site.origin

    with_form = widget.wait_until_fitted()
    frame.click("details.petition summary")  # reading the petition makes it much taller
    with_petition = widget.wait_until_fitted()
    assert with_petition > with_form + 200, (with_form, with_petition)
    frame.click("details.petition summary")
    assert abs(widget.wait_until_fitted() - with_form) <= 2
    widget.sign("Ada Fit", "ada.fit@example.org")
    with_thanks = widget.wait_until_fitted()
    # The thank-you step (with its take-action panel) replaces the form: the iframe fits the new,
    # shorter content (wait_until_fitted), not keeping the form's height with a gap below.
    assert with_thanks < with_form, (with_form, with_thanks)
    assert widget.heights()[0] != int(widget.iframe.get_attribute("height"))  # the loader's default was replaced


def test_supporter_signs_in_english_on_an_allied_site(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    frame = widget.frame
    assert frame.locator("h1").inner_text() == EN_TITLE

    widget.sign("Ada Lovelace", "ada@example.org", country="GB")

    expect(frame.locator("#thanks")).to_be_focused(timeout=TIMEOUT_MS)
    expect(frame.locator("#sign")).to_be_hidden(timeout=TIMEOUT_MS)
    [stored] = live_service.signatures(email="ada@example.org")
    assert stored["name"] == "Ada Lovelace"
    assert stored["country"] == "GB"
    assert stored["lang"] == "en"
    assert stored["source_origin"] == host_site.origin
    assert stored["ref"] == PARTNER
    assert stored["state"] == "counted"


def test_supporter_signs_in_urdu_right_to_left(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/ur", live_service.url)
    frame = widget.frame
    assert frame.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ur", "rtl"]
    assert frame.locator("h1").inner_text() == UR_TITLE
    assert frame.evaluate("() => getComputedStyle(document.querySelector('#f-name')).direction") == "rtl"

    widget.sign("علی رضا", "ali.raza@example.org")

    expect(frame.locator("#thanks")).to_be_focused(timeout=TIMEOUT_MS)
    [stored] = live_service.signatures(email="ali.raza@example.org")
    assert stored["name"] == "علی رضا"
    assert stored["lang"] == "ur"
    assert stored["source_origin"] == host_site.origin
    assert stored["ref"] == PARTNER


def test_every_load_shows_the_shared_count_and_signing_adds_one(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    assert widget.count() == live_service.count() == 0
    widget.sign("First Signer", "first@example.org")

    [widget] = open_host_page(page, host_site.url + "/", live_service.url)  # a fresh load
    assert live_service.count() == 1
    # The browser may show its kept copy of the page (up to a minute old): the script shows the
    # current count in it.
    wait_for(page, lambda: widget.count() == 1, lambda: f"count shown on a fresh load: {widget.count()}")

    widget.sign("Second Signer", "second@example.org")
    # The thank-you panel shows the server's new count, not one made up in the page.
    wait_for(page, lambda: widget.count() == 2, lambda: f"count shown after signing: {widget.count()}")
    assert live_service.count() == 2
    [widget] = open_host_page(page, host_site.url + "/ur", live_service.url)
    wait_for(page, lambda: widget.count() == 2, lambda: f"count shown in Urdu: {widget.count()}")


def test_empty_form_marks_each_missing_field_and_focuses_the_first(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    frame = widget.frame
    before = widget.wait_until_fitted()

    frame.click("#sign button[type=submit]")

    expect(frame.locator("#f-name")).to_have_attribute("aria-invalid", "true", timeout=TIMEOUT_MS)
    for field in ("name", "email", "country"):
        control, error = frame.locator(f"#f-{field}"), frame.locator(f"#e-{field}")
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", f"e-{field}")
        expect(error).to_be_visible()
        assert error.inner_text().strip()
    for field in ("region", "comment"):
        assert frame.locator(f"#f-{field}").get_attribute("aria-invalid") is None
        expect(frame.locator(f"#e-{field}")).to_be_hidden()
    expect(frame.locator("#f-name")).to_be_focused()
    assert frame.locator("#alert").inner_text().strip()
    expect(frame.locator("#thanks")).to_be_hidden()
    assert widget.wait_until_fitted() > before  # the messages made it taller, and it grew
    assert live_service.signatures() == []


def test_several_widgets_on_one_page_and_a_later_scan(page, host_site, live_service):
    service = live_service.url
    extra = (
        allied_site.snippet(service, "ur")
        + f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="petition" data-lang="en"></div>'
    )
    url = host_site.add("/many", allied_site.page(service, "en", extra_html=extra))
    found = open_host_page(page, url, service, expected=3)
    assert len(found) == 3
    assert page.evaluate(
        """() => [...document.querySelectorAll('script[data-campaign]')].every(
            s => s.nextElementSibling && s.nextElementSibling.matches('iframe.msp-widget-frame'))"""
    )
    assert page.locator("div.msp-widget > iframe.msp-widget-frame").count() == 2  # the page's own and the extra one

    # A single-page app adds snippets later (innerHTML never runs scripts), then asks for a scan.
    page.evaluate(
        """([snippet, slug]) => {
            document.querySelector('main').insertAdjacentHTML('beforeend', snippet +
                '<div class="msp-widget" id="late" data-campaign="' + slug + '" data-lang="ur"></div>');
        }""",
        [allied_site.snippet(service, "en", partner="late-ally"), SLUG],
    )
    assert page.locator("iframe.msp-widget-frame").count() == 3
    page.evaluate("() => window.MSPWidget.scan()")
    page.evaluate("() => window.MSPWidget.scan()")  # scanning again builds nothing twice
    found = widgets(page, service)
    assert len(found) == 5
    assert page.locator("#late > iframe.msp-widget-frame").count() == 1
    assert "ref=late-ally" in found[3].iframe.get_attribute("src")

    langs = []
    for widget in found:  # each frame resizes only its own iframe
        widget.wait_until_fitted()
        langs.append(widget.frame.evaluate("() => document.documentElement.lang"))
    assert langs == ["en", "ur", "en", "en", "ur"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_placeholder_parsed_after_the_loader_ran_gets_a_widget(page, host_site, live_service):
    def slow_script(route):
        time.sleep(1)  # the host's own slow, parser-blocking script (analytics, a framework...)
        route.fulfill(body="/* the host's script */", content_type="text/javascript")

    page.route("**/slow.js", slow_script)
    html = (
        "<!doctype html><title>Slow host</title><body>"
        + allied_site.snippet(live_service.url, "en")
        + '<script src="/slow.js"></script>'
        + f'<div class="msp-widget" data-campaign="{SLUG}" data-lang="ur"></div></body>'
    )
    page.goto(host_site.add("/slow", html))
    page.wait_for_function(
        "() => document.querySelectorAll('iframe.msp-widget-frame').length === 2", timeout=5000
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_count_line_after_signing_reads_as_a_fresh_load_shows_it(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    frame = widget.sign("Only One", "only.one@example.org")
    wait_for(page, lambda: widget.count() == 1, lambda: f"count shown: {widget.count()}")
    after_signing = frame.locator("#count-text").inner_text()
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    wait_for(page, lambda: widget.count() == 1, lambda: f"count shown: {widget.count()}")  # a kept page: the script's count
    assert after_signing == widget.frame.locator("#count-text").inner_text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_signing_in_the_plain_iframe_never_credits_the_service_itself(page, host_site, live_service):
    page.goto(host_site.url + "/")
    plain = EmbeddedWidget(page, page.locator("#noscript iframe"), live_service.url)
    plain.sign("Plain Frame", "plain@example.org")
    [stored] = live_service.signatures(email="plain@example.org")
    assert stored["ref"] == PARTNER
    assert stored["source_origin"] in (None, host_site.origin)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_widget_loaded_below_the_fold_is_fitted_before_it_is_scrolled_to(page, host_site, live_service):
    html = (
        '<!doctype html><body style="margin:0"><div style="height:1200px">The ally\'s article...</div>'
        + allied_site.snippet(live_service.url, "en")
        + '<div style="height:3000px"></div></body>'
    )
    page.goto(host_site.add("/below", html))
    [widget] = widgets(page, live_service.url)
    frame = widget.load(scroll=False)  # lazy, but near enough to load
    assert page.evaluate("() => scrollY") == 0
    assert widget.iframe.bounding_box()["y"] > page.viewport_size["height"]  # still off screen
    seen = []

    def fitted():
        seen.append(
            (
                widget.iframe.evaluate("f => f.clientHeight"),
                frame.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)"),
            )
        )
        return seen[-1][0] == seen[-1][1]

    wait_for(page, fitted, lambda: f"(iframe, content) heights while off screen: {seen[-1]}", timeout_ms=3000)


def test_resize_messages_from_anyone_but_the_widget_are_ignored(page, host_site, live_service):
    host_site.add(
        "/forger",
        "<!doctype html><script>parent.postMessage({mspWidget: true, type: 'resize', height: 1234}, '*')</script>",
    )
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    fitted = widget.wait_until_fitted()
    assert fitted != 1234
    page.evaluate(
        """() => { window.seen = [];
            addEventListener('message', e => seen.push({origin: e.origin, data: e.data})); }"""
    )

    def delivered(origin, check_fit=True):
        # Listeners run in order, so once ours has it, the loader's has handled it too.
        page.wait_for_function(
            "o => seen.some(m => m.origin === o && m.data && m.data.height === 1234)", arg=origin, timeout=TIMEOUT_MS
        )
        assert widget.iframe.evaluate("f => f.style.height") != "1234px"
        if check_fit:
            outer, inner = widget.heights()
            assert abs(outer - inner) <= 2, (outer, inner)

    # (a) the host page itself, or any script on it
    page.evaluate("() => postMessage({mspWidget: true, type: 'resize', height: 1234}, '*')")
    delivered(host_site.origin)
    # (b) a frame from a third origin (the ally's server, under another name)
    third = host_site.other_origin_url + "/forger"
    assert not third.startswith((host_site.origin, live_service.url))
    page.evaluate("src => { const f = document.createElement('iframe'); f.src = src; document.body.append(f); }", third)
    delivered(host_site.other_origin_url)
    # (c) the widget's own iframe, navigated away to a third origin: the right window, wrong origin
    page.evaluate("() => { seen.length = 0; }")
    widget.iframe.evaluate("(f, src) => { f.src = src; }", third)
    delivered(host_site.other_origin_url, check_fit=False)


def test_a_service_frame_the_loader_did_not_make_cannot_resize_a_widget(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    widget.wait_until_fitted()
    page.evaluate(
        """() => { window.seen = [];
            addEventListener('message', e => seen.push({
                origin: e.origin, data: e.data, ours: !!window.stray && e.source === window.stray.contentWindow})); }"""
    )
    # A widget page from the service's own origin, told our origin, but framed by hand and narrow,
    # so it reports a height quite unlike the real widget's. (On screen: Chromium does not render
    # off-screen cross-origin frames, so their ResizeObserver stays silent.)
    src = f"{live_service.url}/widgets/{SLUG}/petition?lang=ur&origin={host_site.origin}"
    page.evaluate(
        """src => { const f = document.createElement('iframe'); f.id = 'stray'; f.src = src;
            f.style.width = '240px'; window.stray = f; document.body.prepend(f); scrollTo(0, 0); }""",
        src,
    )
    stray = page.wait_for_function(
        "() => (seen.find(m => m.ours && m.data && m.data.type === 'resize') || {}).data", timeout=TIMEOUT_MS
    ).json_value()
    outer, inner = widget.heights()
    assert abs(stray["height"] - inner) > 50, "the test needs the two heights to differ"
    assert abs(outer - inner) <= 2, (outer, inner, stray)


def test_the_service_sets_no_cookie(new_context, host_site, live_service):
    context = new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))

    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    widget.sign("Cookie Less", "cookieless@example.org")
    page.goto(f"{live_service.url}/widgets/{SLUG}/petition?lang=en")  # first-party, too
    page.locator("h1").wait_for()

    ours = [response for response in responses if response.url.startswith(live_service.url)]
    paths = {response.url[len(live_service.url):].split("?")[0] for response in ours}
    expected = {"/embed.js", f"/widgets/{SLUG}/petition", "/static/widget.js", "/static/widget.css"}
    assert expected | {f"/api/v1/campaigns/{SLUG}/signatures"} <= paths, paths
    for response in ours:
        assert "set-cookie" not in response.all_headers(), response.url
    assert [cookie for cookie in context.cookies() if cookie["domain"] == "127.0.0.1"] == []


def test_signing_without_javascript_posts_the_form_in_urdu(new_context, live_service):
    page = new_context(java_script_enabled=False).new_page()
    url = f"{live_service.url}/widgets/{SLUG}/petition?lang=ur&ref={PARTNER}"

    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "ur"
    page.fill("#f-name", "علی رضا")
    page.fill("#f-email", "nojs@example.org")
    page.select_option("#f-country", "PK")
    with page.expect_navigation():
        page.click("#sign button[type=submit]")
    # The second step: the page every visitor shares has no form token, so the form comes back
    # as typed, with one, and a press of the button sends it.
    expect(page.locator("#alert")).to_contain_text("بٹن ایک بار پھر دبائیں")
    assert page.locator("#f-name").input_value() == "علی رضا"
    assert live_service.signatures(email="nojs@example.org") == []
    with page.expect_navigation():
        page.click("#sign button[type=submit]")

    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ur", "rtl")
    expect(page.locator("#thanks")).to_be_visible()
    assert page.locator("h1").inner_text() == UR_TITLE
    assert page.locator("#sign").count() == 0
    [stored] = live_service.signatures(email="nojs@example.org")
    assert (stored["name"], stored["lang"], stored["ref"]) == ("علی رضا", "ur", PARTNER)

    page.goto(url)
    with page.expect_navigation() as navigation:
        page.click("#sign button[type=submit]")
    assert navigation.value.status == 422
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ur", "rtl")
    assert page.locator("h1").inner_text() == UR_TITLE
    for field in ("name", "email", "country"):
        expect(page.locator(f"#f-{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#f-{field}")).to_have_attribute("aria-describedby", f"e-{field}")
        expect(page.locator(f"#e-{field}")).to_be_visible()
    assert page.locator("#alert").inner_text().strip()
    assert len(live_service.signatures()) == 1


SCREEN_SIZES = {"phone": (360, 780), "desktop": (1280, 900)}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # layout does not depend on it
@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_host_page_layout_and_screenshots(new_context, host_site, live_service, size):
    """Render the ally's page at phone and desktop width, in both languages: before signing, with
    the errors of an empty form, and after signing. Nothing may stick out sideways.

    Screenshots go to ``$WIDGET_SCREENSHOT_DIR`` when it is set, for people to look at.
    """
    width, height = SCREEN_SIZES[size]
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
    page = new_context(viewport={"width": width, "height": height}).new_page()

    def check_and_shoot(lang, moment, widget):
        frame = widget.frame
        widget.wait_until_fitted()
        box = widget.iframe.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box  # inside the screen
        assert frame.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), "host page scrolls sideways"
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('.msp-widget-frame')).opacity === '1'", timeout=TIMEOUT_MS
        )
        # Chromium paints no out-of-process frame outside the viewport, so a full-page capture
        # shows blanks where iframes are: make the viewport as tall as the page instead.
        page.set_viewport_size({"width": width, "height": page.evaluate("() => document.documentElement.scrollHeight")})
        EmbeddedWidget(page, page.locator("#noscript iframe"), live_service.url).load()
        widget.wait_until_fitted()
        for each in page.frames:
            each.evaluate(  # two frames painted, or give up after a second
                """() => new Promise(done => { setTimeout(done, 1000);
                    requestAnimationFrame(() => requestAnimationFrame(done)); })"""
            )
        path = Path(folder) / f"{size}-{lang}-{moment}.png" if folder else None
        assert page.screenshot(path=path)[:8] == b"\x89PNG\r\n\x1a\n"
        if path:
            widget.iframe.screenshot(path=Path(folder) / f"{size}-{lang}-{moment}-widget.png")
        page.set_viewport_size({"width": width, "height": height})

    for lang, path, email in (("en", "/", "shot-en@example.org"), ("ur", "/ur", "shot-ur@example.org")):
        [widget] = open_host_page(page, host_site.url + path, live_service.url)
        check_and_shoot(lang, "before", widget)
        widget.frame.click("#sign button[type=submit]")
        expect(widget.frame.locator("#e-name")).to_be_visible(timeout=TIMEOUT_MS)
        check_and_shoot(lang, "errors", widget)
        widget.sign("علی رضا" if lang == "ur" else "Ada Lovelace", email)
        check_and_shoot(lang, "after", widget)
