"""The loader on real allies' pages, each on another origin than the service (issue #17, item 8):
two campaigns and three kinds on one page; a single-page app that mounts and unmounts snippets
again and again; a right-to-left page; host CSS that styles every iframe and button; a page that
is itself inside an iframe."""
import pytest

from widget_service.extensions import db

from .browser import PARTNER, SLUG, TIMEOUT_MS, ally_page, open_host_page, wait_for, widgets
from .builders import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE = {"width": 360, "height": 780}


def snippet(kind, lang="en", slug=SLUG):
    return f'<div class="msp-widget" data-campaign="{slug}" data-widget="{kind}" data-lang="{lang}" data-partner="{PARTNER}"></div>'


def test_two_campaigns_and_three_kinds_on_one_page(new_context, host_site, live_service):
    with live_service.app.app_context():
        make_campaign(slug="second-campaign")
        db.session.commit()
    body = snippet("petition") + snippet("actions") + snippet("notify", slug="second-campaign")
    page = new_context(viewport=PHONE).new_page()
    widgets = open_host_page(page, host_site.add("/two", ally_page(live_service.url, body)), live_service.url, 3)
    sources = [widget.iframe.get_attribute("src") for widget in widgets]
    assert [source.split("/widgets/")[1].split("?")[0] for source in sources] == [
        f"{SLUG}/petition", f"{SLUG}/actions", "second-campaign/notify"]
    for widget in widgets:
        widget.wait_until_fitted()  # each frame sized by its own widget's messages, none by another's
    assert "/second-campaign/" in widgets[2].frame.locator("form").first.get_attribute("data-api")


def test_a_single_page_app_mounting_and_unmounting_snippets_leaks_nothing(new_context, host_site, live_service):
    app_script = """
    <div id="app"></div>
    <script>
      window.mount = function (n) {
        var div = document.createElement('div');
        div.className = 'msp-widget'; div.id = 'w' + n;
        div.setAttribute('data-campaign', '%s'); div.setAttribute('data-widget', 'notify');
        document.getElementById('app').appendChild(div);
        window.MSPWidget.scan();
      };
      window.unmount = function (n) { document.getElementById('w' + n).remove(); };
    </script>""" % SLUG
    page = new_context(viewport=PHONE).new_page()
    page.goto(host_site.add("/spa", ally_page(live_service.url, app_script)))
    page.wait_for_function("() => window.MSPWidget", timeout=TIMEOUT_MS)
    cdp = page.context.new_cdp_session(page)

    def listeners():
        window = cdp.send("Runtime.evaluate", {"expression": "window"})["result"]["objectId"]
        return sorted(item["type"] for item in cdp.send("DOMDebugger.getEventListeners", {"objectId": window})["listeners"])

    def documents():
        cdp.send("HeapProfiler.collectGarbage")
        return cdp.send("Memory.getDOMCounters")["documents"]

    page.evaluate("mount(0)")
    page.wait_for_function("() => document.querySelector('#w0 iframe')")
    page.evaluate("unmount(0)")
    before_listeners, before_documents = listeners(), documents()
    for n in range(1, 21):
        page.evaluate(f"mount({n})")
        page.wait_for_function(f"() => document.querySelector('#w{n} iframe.msp-widget-frame')")
        page.evaluate(f"unmount({n})")
    assert page.locator("iframe").count() == 0
    assert listeners() == before_listeners, "a mount added a listener to the window"
    # Removed frames are let go: their documents are collected (a few may still be closing).
    assert wait_for(page, lambda: documents() <= before_documents + 2, lambda: f"{documents()} documents, {before_documents} before")
    # And the page still works: one more mount gets a widget that sizes itself.
    page.evaluate("mount(99)")
    page.wait_for_function("() => document.querySelector('#w99 iframe.msp-widget-frame')")
    [widget] = widgets(page, live_service.url)
    widget.wait_until_fitted()


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_right_to_left_host_page_with_css_styling_every_iframe_and_button(new_context, host_site, live_service, lang):
    hostile = "<style>iframe{border:9px solid red;width:200px!important;height:50px}button{display:none}*{direction:rtl}</style>"
    page = new_context(viewport=PHONE).new_page()
    html = ally_page(live_service.url, "<p>صفحہ</p>" + snippet("petition", lang), lang="ur", head=hostile)
    [widget] = open_host_page(page, host_site.add(f"/rtl-{lang}", html), live_service.url)
    frame = widget.frame
    # The host's rules reach the iframe element (its own page, its own choice) but never inside it.
    assert frame.locator("#sign button[type=submit]").is_visible()
    assert frame.evaluate("() => document.documentElement.dir") == ("rtl" if lang == "ur" else "ltr")
    widget.sign("Zahra Hazara", f"zahra.{lang}@example.org")
    [stored] = live_service.signatures(email=f"zahra.{lang}@example.org")
    assert stored["ref"] == PARTNER


def test_a_host_page_inside_an_iframe(new_context, host_site, live_service):
    inner = host_site.add("/inner", ally_page(live_service.url, snippet("petition")))
    outer = host_site.add("/outer", f'<!doctype html><title>Outer</title><iframe id="host" src="{inner}" width="400" height="1400"></iframe>')
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(outer)
    host = page.frame_locator("#host")
    host.locator("iframe.msp-widget-frame").wait_for()
    widget_frame = wait_for(page, lambda: next((f for f in page.frames if f.url.startswith(live_service.url + "/widgets/")), None),
                            lambda: "the widget never loaded inside the framed host page")
    widget_frame.wait_for_selector("main.w")
    # The widget sizes itself for the page that framed it (the inner one).
    wait_for(page, lambda: abs(host.locator("iframe.msp-widget-frame").evaluate("f => f.clientHeight")
                               - widget_frame.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")) <= 2,
             lambda: "the widget's iframe never fitted its content")
    widget_frame.fill("#f-name", "Ali Hazara")
    widget_frame.fill("#f-email", "ali@example.org")
    widget_frame.select_option("#f-country", "PK")
    widget_frame.click("#sign button[type=submit]")
    widget_frame.locator("#thanks").wait_for(state="visible")
    assert live_service.signatures(email="ali@example.org")
