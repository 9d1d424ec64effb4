"""No dead ends, in a real Chromium on an ally's page on another site, at phone width, by
keyboard: from the take-action panel to the coordinator, notify-me or donate widget and back,
with JavaScript (the loader's resized frame) and without (a plain iframe). Each step lands the
focus where the supporter is, in view: the chosen widget's heading, then the link they chose."""
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from .browser import PARTNER, SLUG, EmbeddedWidget, open_host_page, wait_for

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
KINDS = ("coordinator", "notify", "donate")


# Every step below has a time limit: a frame's evaluate() has none, and on a loaded machine one
# sent to a frame that was just navigating (no JavaScript: its page never runs any) could wait
# for ever. The frame's address comes from the browser's frame tree, the focus and the position
# from locators, which run in Playwright's own world and give up after STEP_MS, as do the key
# presses (a locator's press() has a time limit, the page's keyboard none).
STEP_MS = 5000


def document_at(widget, path):
    """The frame's document once it is the service's ``path`` page, loaded."""
    def arrived():
        try:
            frame = widget.iframe.element_handle(timeout=STEP_MS).content_frame()
            if frame is None or urlsplit(frame.url).path != path:
                return None
            frame.wait_for_load_state("load", timeout=STEP_MS)
        except PlaywrightError:  # navigating right now
            return None
        return frame

    return wait_for(widget.page, arrived, lambda: f"the frame never showed {path}")


def focused_in_view(widget, frame, element_id):
    """Wait until ``element_id`` has the focus in ``frame`` and its top line (a heading, a link,
    the start of a message) shows in the host page's viewport."""
    element = frame.locator(f"#{element_id}")

    def check():
        try:
            active = element.evaluate("e => document.hasFocus() && document.activeElement === e", timeout=STEP_MS)
            box = element.bounding_box(timeout=STEP_MS)  # in the host page's viewport
        except PlaywrightError:
            return None
        return active and box is not None and -1 <= box["y"] and box["y"] + min(box["height"], 40) <= PHONE["height"]

    wait_for(widget.page, check, lambda: f"#{element_id} is not focused in view")


def there_and_back(widget, lang):
    for kind in KINDS:
        panel = document_at(widget, f"/widgets/{SLUG}/actions")
        panel.locator(f"#act-{kind}").press("Enter", timeout=STEP_MS, no_wait_after=True)  # focused first, as by Tab
        chosen = document_at(widget, f"/widgets/{SLUG}/{kind}")
        focused_in_view(widget, chosen, "title")
        # The way back is the one stop before the heading.
        chosen.locator("#title").press("Shift+Tab", timeout=STEP_MS)
        back_link = chosen.locator(".back a:focus, a.back:focus")
        expect(back_link).to_have_count(1, timeout=STEP_MS)
        assert f"lang={lang}" in back_link.get_attribute("href", timeout=STEP_MS)
        back_link.press("Enter", timeout=STEP_MS, no_wait_after=True)
        back = document_at(widget, f"/widgets/{SLUG}/actions")
        focused_in_view(widget, back, f"act-{kind}")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_with_javascript_each_widget_leads_back_to_the_panel(new_context, host_site, live_service, lang):
    page = new_context(viewport=PHONE).new_page()
    actions, *_ = open_host_page(page, f"{host_site.url}{'/ur' if lang == 'ur' else ''}/act", live_service.url, expected=3)
    actions.load()
    there_and_back(actions, lang)


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
    there_and_back(EmbeddedWidget(page, page.locator("iframe"), live_service.url), lang)
