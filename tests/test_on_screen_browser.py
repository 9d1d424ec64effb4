"""Small things seen on screen, in a real Chromium: the campaign page shows its title and count
once; on a 360px phone the coordinator's region list shows each choice whole; Latin labels on
the Urdu share buttons sit in the middle like the Urdu ones; the documented plain iframe fits
the form (with its errors) on a phone and on a computer without a screenful of white below.

Screenshots go to ``$WIDGET_SCREENSHOT_DIR`` when it is set.
"""
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from .browser import SLUG, EmbeddedWidget, open_host_page, wait_for

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def shoot(page, name):
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    # Chromium paints no out-of-process frame outside the viewport: make it the page's height.
    page.set_viewport_size({"width": width, "height": page.evaluate("() => document.documentElement.scrollHeight")})
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=Path(folder) / f"on-screen-{name}.png")


@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_campaign_page_shows_its_title_and_count_once(new_context, live_service, lang, viewport):
    page = new_context(viewport=viewport).new_page()
    page.goto(f"{live_service.url}/c/{SLUG}?lang={lang}")
    page.wait_for_function("() => document.querySelector('iframe.msp-widget-frame')")
    widget = EmbeddedWidget(page, page.locator("iframe.msp-widget-frame"), live_service.url)
    frame = widget.frame
    # Everything the page shows once; the widget's heading is for screen readers only.
    shown = frame.evaluate("""() => [...document.querySelectorAll('h1, .summary, .count, details')]
        .filter(el => { const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1; }).length""")
    assert shown == 0
    assert frame.evaluate("() => document.querySelector('h1').textContent") == page.locator("h1").inner_text()
    assert page.locator(".count").count() == 1
    # The form starts right under the page's "Sign the petition", in line with the page's text
    # (Playwright gives both boxes in the page's coordinates).
    label = frame.locator("label[for=f-name]").bounding_box()
    heading = page.locator("#sign-title").bounding_box()
    assert 0 < label["y"] - (heading["y"] + heading["height"]) < 40, (label, heading)
    if lang == "en":
        assert abs(label["x"] - heading["x"]) <= 6, (label, heading)
    else:
        assert abs(label["x"] + label["width"] - heading["x"] - heading["width"]) <= 6, (label, heading)
    widget.wait_until_fitted()
    shoot(page, f"campaign-page-{lang}-{viewport['width']}")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_at_360px_the_region_list_shows_each_choice_whole(new_context, host_site, live_service, lang):
    page = new_context(viewport=PHONE).new_page()
    _, coordinator, _ = open_host_page(page, f"{host_site.url}{'/ur' if lang == 'ur' else ''}/act", live_service.url, expected=3)
    frame = coordinator.frame
    # The text each option needs, in the select's own font, against the room the select gives it
    # (its inner width less the arrow, at most about 24px in Chromium).
    fits = frame.evaluate("""() => {
        const select = document.getElementById('f-region'), style = getComputedStyle(select);
        const context = document.createElement('canvas').getContext('2d');
        context.font = style.font;
        const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 24;
        return [...select.options].map(o => [o.text, Math.ceil(context.measureText(o.text).width), Math.floor(room)]);
    }""")
    too_long = [(text, need, room) for text, need, room in fits if need > room]
    assert not too_long, too_long


def ink_offset(png):
    """How far below the middle of a button (a screenshot of it) the middle of its text's ink
    is, in pixels: the text is whatever differs from the button's own colour inside its border."""
    with Image.open(io.BytesIO(png)) as shot:
        image = shot.convert("RGB")
    width, height = image.size
    background = image.getpixel((5, height // 2))

    def inked(y):
        return any(sum(abs(a - b) for a, b in zip(image.getpixel((x, y)), background)) > 200 for x in range(6, width - 6))

    rows = [y for y in range(4, height - 4) if inked(y)]
    return (rows[0] + rows[-1]) / 2 - height / 2


def test_latin_labels_on_the_urdu_share_buttons_sit_in_the_middle(new_context, live_service):
    page = new_context(viewport=PHONE, device_scale_factor=1).new_page()
    page.goto(f"{live_service.url}/widgets/{SLUG}/actions?lang=ur")
    buttons = page.locator(".share a")
    assert buttons.count() == 5
    latin = [buttons.nth(i) for i in range(5) if buttons.nth(i).inner_text().isascii()]
    assert [b.inner_text() for b in latin] == ["WhatsApp", "Facebook", "X", "Telegram"]
    for button in latin:
        # In lines made tall for Nastaliq, Latin letters sat 4-7px low.
        assert abs(ink_offset(button.screenshot())) <= 2.5, button.inner_text()
    # Buttons side by side are as tall as each other.
    boxes = [buttons.nth(i).bounding_box() for i in range(5)]
    rows = {}
    for box in boxes:
        rows.setdefault(round(box["y"]), set()).add(round(box["height"]))
    assert all(len(heights) == 1 for heights in rows.values()), rows


@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_documented_plain_iframe_fits_the_form_on_a_phone_and_a_computer(new_context, host_site, live_service, lang, viewport):
    page = new_context(viewport=viewport, java_script_enabled=False).new_page()
    page.goto(host_site.url + ("/ur" if lang == "ur" else "/"))
    widget = EmbeddedWidget(page, page.locator("#noscript iframe"), live_service.url)
    height, form = widget.heights()
    widget.load().locator("#sign button[type=submit]").click()  # empty: every error message shows
    wait_for(page, lambda: widget.load(scroll=False).locator("#alert").inner_text(), lambda: "no errors shown")
    _, with_errors = widget.heights()
    assert with_errors <= height, f"the form with its errors ({with_errors}px) is cut by the {height}px frame"
    # Not the old fixed 1,350px: a computer gets a frame near the form's own height.
    assert height - form <= (260 if viewport is DESKTOP else 360), (height, form)
    shoot(page, f"plain-iframe-{lang}-{viewport['width']}")
