"""No dead ends, in a real Chromium on an ally's page on another site, at phone width, by
keyboard: from the take-action panel to the coordinator, notify-me or donate widget and back,
with JavaScript (the loader's resized frame) and without (a plain iframe). Each step lands the
focus where the supporter is, in view: the chosen widget's heading, then the link they chose."""
import pytest
from playwright.sync_api import Error as PlaywrightError

from .browser import PARTNER, SLUG, EmbeddedWidget, open_host_page, wait_for

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
KINDS = ("coordinator", "notify", "donate")


def document_at(widget, path):
    """The frame's document once it is the service's ``path`` page, loaded."""
    def arrived():
        frame = widget.iframe.element_handle().content_frame()
        try:
            ready = frame.evaluate("() => location.pathname + ' ' + document.readyState")
        except PlaywrightError:  # navigating right now
            return None
        return frame if ready == f"{path} complete" else None

    return wait_for(widget.page, arrived, lambda: f"the frame never showed {path}")


def focused_in_view(widget, frame, element_id):
    """Wait until ``element_id`` has the focus in ``frame`` and its top line (a heading, a link,
    the start of a message) shows in the host page's viewport."""
    def check():
        try:
            active = frame.evaluate("() => document.hasFocus() && document.activeElement.id")
            box = frame.evaluate(f"() => document.getElementById('{element_id}').getBoundingClientRect().toJSON()")
        except PlaywrightError:
            return None
        top = widget.iframe.bounding_box()["y"] + box["y"]
        return active == element_id and -1 <= top and top + min(box["height"], 40) <= PHONE["height"]

    wait_for(widget.page, check, lambda: f"#{element_id} is not focused in view: {frame.evaluate('() => document.activeElement.outerHTML')[:120]}")


def there_and_back(page, widget, lang):
    for kind in KINDS:
        panel = document_at(widget, f"/widgets/{SLUG}/actions")
        panel.focus(f"#act-{kind}")
        page.keyboard.press("Enter")
        chosen = document_at(widget, f"/widgets/{SLUG}/{kind}")
        focused_in_view(widget, chosen, "title")
        # The way back is the one stop before the heading.
        page.keyboard.press("Shift+Tab")
        assert chosen.evaluate("() => document.activeElement.closest('.back') !== null"), kind
        assert chosen.evaluate("() => document.activeElement.search").find(f"lang={lang}") >= 0
        page.keyboard.press("Enter")
        back = document_at(widget, f"/widgets/{SLUG}/actions")
        focused_in_view(widget, back, f"act-{kind}")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_with_javascript_each_widget_leads_back_to_the_panel(new_context, host_site, live_service, lang):
    page = new_context(viewport=PHONE).new_page()
    actions, *_ = open_host_page(page, f"{host_site.url}{'/ur' if lang == 'ur' else ''}/act", live_service.url, expected=3)
    actions.load()
    there_and_back(page, actions, lang)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the same pages as above
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_without_javascript_each_widget_leads_back_to_the_panel(new_context, host_site, live_service, lang):
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    src = f"{live_service.url}/widgets/{SLUG}/actions?lang={lang}&ref={PARTNER}"
    # Text above the frame, so its links start below the fold.
    url = host_site.add(f"/plain-act-{lang}", (
        f'<!doctype html><html lang="{lang}"><meta name="viewport" content="width=device-width,initial-scale=1">'
        '<title>Act</title><body><main><h1>Get involved</h1>' + "<p>Why it matters.</p>" * 12 +
        f'<iframe src="{src}" title="Take action" width="100%" height="1100" style="border:0"></iframe>'
        '<p>More about us.</p></main></body></html>'
    ))
    page.goto(url)
    there_and_back(page, EmbeddedWidget(page, page.locator("iframe"), live_service.url), lang)
