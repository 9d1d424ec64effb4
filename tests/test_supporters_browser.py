"""The coordinator and notify-me widgets, and the unsubscribe page, in headless Chromium: embedded
on an ally's page on another site, used with the keyboard, in English and Urdu, at phone width.

``WIDGET_SCREENSHOT_DIR=dir`` saves screenshots there, for people to look at.
"""
import html
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from demo import allied_site
from widget_service.extensions import db
from widget_service.models import Coordinator, Subscription
from widget_service.subscriptions import unsubscribe_url

from .browser import PARTNER, SLUG, TIMEOUT_MS, open_host_page

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def host_page(service_url, kind, lang):
    """An ally's page embedding one ``kind`` widget with the documented snippet."""
    direction = "rtl" if lang == "ur" else "ltr"
    snippet = (
        f'<script async src="{html.escape(service_url)}/embed.js" data-campaign="{SLUG}" '
        f'data-widget="{kind}" data-lang="{lang}" data-partner="{PARTNER}"></script>'
    )
    return (
        f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Ally</title><style>{allied_site.HOST_CSS}</style></head>"
        f"<body><header><strong>Quetta Solidarity Network</strong></header><main><h1>Join us</h1>{snippet}</main></body></html>"
    )


def rows(live_service, model, **filters):
    with live_service.app.app_context():
        found = db.session.scalars(select(model).filter_by(**filters).order_by(model.id)).all()
        return [{c.name: getattr(row, c.name) for c in model.__table__.columns} for row in found]


def shoot(page, widget, name):
    """Check nothing sticks out sideways, then save the host page and the widget if asked."""
    widget.wait_until_fitted()
    width = page.viewport_size["width"]
    box = widget.iframe.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert widget.frame.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    height = page.viewport_size["height"]
    # Chromium paints no out-of-process frame outside the viewport: make the viewport the page's height.
    page.set_viewport_size({"width": width, "height": page.evaluate("() => document.documentElement.scrollHeight")})
    widget.wait_until_fitted()
    widget.frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.screenshot(path=Path(folder) / f"{name}.png")
    page.set_viewport_size({"width": width, "height": height})


def focused_id(frame):
    return frame.evaluate("() => document.activeElement && document.activeElement.id")


def tab_to(page, frame, element_id, limit=15):
    """Press Tab until ``element_id`` has the focus, as a keyboard user moves through the form."""
    for _ in range(limit):
        if focused_id(frame) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}; focus is on #{focused_id(frame)}")


def test_a_coordinator_offers_with_the_keyboard_in_english(new_context, host_site, live_service):
    page = new_context(viewport=DESKTOP).new_page()
    url = host_site.add("/coordinate", host_page(live_service.url, "coordinator", "en"))
    [widget] = open_host_page(page, url, live_service.url)
    frame = widget.frame
    assert frame.locator("h1").inner_text() == "Become a regional campaign coordinator"
    before = widget.wait_until_fitted()

    frame.focus("#f-name")
    page.keyboard.press("Enter")  # sends the empty form
    expect(frame.locator("#f-name")).to_be_focused(timeout=TIMEOUT_MS)
    for field in ("name", "email", "phone", "region"):
        expect(frame.locator(f"#f-{field}")).to_have_attribute("aria-invalid", "true")
        expect(frame.locator(f"#e-{field}")).to_be_visible()
        assert frame.locator(f"#e-{field}").get_attribute("role") == "alert"
    expect(frame.locator("#f-phone")).to_have_attribute("aria-describedby", "h-phone e-phone")
    assert frame.locator("#alert").inner_text().strip()
    assert widget.wait_until_fitted() > before
    assert not frame.locator("#f-country").is_visible(), "the country is asked only outside Pakistan"
    shoot(page, widget, "coordinator-desktop-en-errors")

    page.keyboard.type("Ada Coordinator")
    tab_to(page, frame, "f-email")
    page.keyboard.type("ada.coord@example.org")
    tab_to(page, frame, "f-phone")
    page.keyboard.type("0300 12")  # too short
    tab_to(page, frame, "f-region")
    page.keyboard.type("Bal")  # type-ahead picks Balochistan
    assert frame.locator("#f-region").input_value() == "PK-BA"
    tab_to(page, frame, "f-note")
    page.keyboard.type("I can organise meetings in Quetta.")
    page.keyboard.press("Tab")
    assert frame.evaluate("() => document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    expect(frame.locator("#f-phone")).to_be_focused(timeout=TIMEOUT_MS)
    assert "0300 1234567" in frame.locator("#e-phone").inner_text()
    expect(frame.locator("#e-name")).to_be_hidden()

    page.keyboard.press("End")
    page.keyboard.type("34567")
    tab_to(page, frame, "f-region")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(frame.locator("#thanks")).to_be_focused(timeout=TIMEOUT_MS)
    expect(frame.locator("#coordinator")).to_be_hidden()
    shoot(page, widget, "coordinator-desktop-en-thanks")
    [stored] = rows(live_service, Coordinator)
    assert (stored["name"], stored["phone"], stored["region"], stored["country"]) == ("Ada Coordinator", "+923001234567", "PK-BA", "PK")
    assert (stored["note"], stored["lang"], stored["state"]) == ("I can organise meetings in Quetta.", "en", "received")
    assert (stored["ref"], stored["source_origin"]) == (PARTNER, host_site.origin)
    assert page.context.cookies() == [], "no cookies, inside the frame or out"


def test_a_coordinator_outside_pakistan_in_urdu_on_a_phone(new_context, host_site, live_service):
    page = new_context(viewport=PHONE).new_page()
    url = host_site.add("/coordinate-ur", host_page(live_service.url, "coordinator", "ur"))
    [widget] = open_host_page(page, url, live_service.url)
    frame = widget.frame
    assert frame.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == ["ur", "rtl"]
    shoot(page, widget, "coordinator-phone-ur-before")

    frame.focus("#f-name")
    page.keyboard.type("زہرا ہزارہ")
    tab_to(page, frame, "f-email")
    page.keyboard.type("zahra@example.org")
    tab_to(page, frame, "f-phone")
    page.keyboard.type("+44 7911 123456")
    tab_to(page, frame, "f-region")
    frame.select_option("#f-region", "outside")  # the last option
    expect(frame.locator("#f-country")).to_be_visible()
    page.keyboard.press("Tab")
    assert focused_id(frame) == "f-country", "the country comes next once outside Pakistan is chosen"
    tab_to(page, frame, "f-note")
    page.keyboard.type("x" * 10)
    frame.locator("#f-note").evaluate("(el) => { el.removeAttribute('maxlength'); el.value = 'ن'.repeat(501); }")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(frame.locator("#f-country")).to_be_focused(timeout=TIMEOUT_MS)
    assert "ملک" in frame.locator("#e-country").inner_text()
    assert "500" in frame.locator("#e-note").inner_text()
    assert frame.locator("#alert").inner_text() == "براہِ کرم نیچے نشان زدہ خانوں کو درست کریں۔"
    shoot(page, widget, "coordinator-phone-ur-errors")

    frame.locator("#f-country").focus()
    frame.select_option("#f-country", "GB")
    frame.fill("#f-note", "میں کوئٹہ کی خبریں ترجمہ کر سکتی ہوں۔")
    frame.focus("#f-note")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(frame.locator("#thanks")).to_be_focused(timeout=TIMEOUT_MS)
    assert "کوآرڈینیٹ کرنے کی پیشکش کا شکریہ" in frame.locator("#thanks").inner_text()
    shoot(page, widget, "coordinator-phone-ur-thanks")
    [stored] = rows(live_service, Coordinator)
    assert (stored["name"], stored["phone"], stored["region"], stored["country"], stored["lang"]) == (
        "زہرا ہزارہ", "+447911123456", "outside", "GB", "ur")


@pytest.mark.parametrize(("lang", "viewport"), [("en", PHONE), ("ur", PHONE), ("en", DESKTOP)])
def test_notify_me_with_the_keyboard(new_context, host_site, live_service, lang, viewport):
    page = new_context(viewport=viewport).new_page()
    url = host_site.add(f"/notify-{lang}", host_page(live_service.url, "notify", lang))
    [widget] = open_host_page(page, url, live_service.url)
    frame = widget.frame
    size = "phone" if viewport is PHONE else "desktop"
    shoot(page, widget, f"notify-{size}-{lang}-before")
    assert frame.locator("#f-email_lang").input_value() == lang

    frame.focus("#f-email")
    page.keyboard.type("not-an-address")
    page.keyboard.press("Enter")
    expect(frame.locator("#f-email")).to_be_focused(timeout=TIMEOUT_MS)
    expect(frame.locator("#e-email")).to_be_visible()
    expect(frame.locator("#f-email")).to_have_attribute("aria-describedby", "e-email")
    shoot(page, widget, f"notify-{size}-{lang}-errors")

    frame.fill("#f-email", "")
    page.keyboard.type(f"notify.{lang}.{size}@example.org")
    tab_to(page, frame, "f-name")
    page.keyboard.type("علی" if lang == "ur" else "Ali")
    tab_to(page, frame, "f-email_lang")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(frame.locator("#thanks")).to_be_focused(timeout=TIMEOUT_MS)
    thanks = frame.locator("#thanks").inner_text()
    assert ("ان سبسکرائب" in thanks) if lang == "ur" else ("link to unsubscribe" in thanks)
    shoot(page, widget, f"notify-{size}-{lang}-thanks")
    [stored] = rows(live_service, Subscription)
    assert (stored["email"], stored["lang"], stored["source"], stored["unsubscribed_at"]) == (
        f"notify.{lang}.{size}@example.org", lang, "notify", None)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_javascript_in_urdu_errors_then_thanks(new_context, live_service):
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    page.goto(f"{live_service.url}/widgets/{SLUG}/coordinator?lang=ur&ref={PARTNER}")
    page.fill("#f-name", "علی رضا")
    page.fill("#f-email", "nojs.coord@example.org")
    page.fill("#f-phone", "abc")
    page.select_option("#f-region", "PK-SD")
    with page.expect_navigation() as navigation:
        page.click("#coordinator button[type=submit]")
    assert navigation.value.status == 422
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("#f-phone")).to_have_attribute("aria-invalid", "true")
    # The answer's message has the focus (the form posts to #result); the first wrong field is
    # the next Tab and Enter away.
    expect(page.locator("#result")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#f-phone"
    page.keyboard.press("Enter")
    expect(page.locator("#f-phone")).to_be_focused()
    assert page.locator("#f-name").input_value() == "علی رضا"
    page.fill("#f-phone", "0300 1234567")
    with page.expect_navigation() as navigation:
        page.click("#coordinator button[type=submit]")
    assert navigation.value.status == 200
    expect(page.locator("#thanks")).to_be_visible()
    [stored] = rows(live_service, Coordinator)
    assert (stored["region"], stored["phone"], stored["lang"], stored["ref"]) == ("PK-SD", "+923001234567", "ur", PARTNER)

    page.goto(f"{live_service.url}/widgets/{SLUG}/notify?lang=ur")
    page.fill("#f-email", "nojs.notify@example.org")
    with page.expect_navigation() as navigation:
        page.click("#notify button[type=submit]")
    # The page had no token (it is the same for everyone): the form comes back, asking for one more press.
    assert navigation.value.status == 200 and "بٹن ایک بار پھر دبائیں" in page.locator("#alert").inner_text()
    with page.expect_navigation() as navigation:
        page.click("#notify button[type=submit]")
    assert navigation.value.status == 200 and "ان سبسکرائب" in page.locator("#thanks").inner_text()
    assert rows(live_service, Subscription)[0]["lang"] == "ur"


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_unsubscribing_from_the_link_in_an_email(new_context, host_site, live_service, lang):
    client = live_service.app.test_client()
    client.post(f"/api/v1/campaigns/{SLUG}/subscriptions", json={"email": "reader@example.org", "email_lang": lang})
    with live_service.app.app_context():
        subscription = db.session.scalars(select(Subscription)).one()
        link = unsubscribe_url(subscription, live_service.url)
    page = new_context(viewport=PHONE).new_page()
    response = page.goto(link)
    assert response.status == 200 and page.locator("html").get_attribute("lang") == lang
    assert rows(live_service, Subscription)[0]["unsubscribed_at"] is None, "opening the link changes nothing"
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=Path(folder) / f"unsubscribe-phone-{lang}-before.png", full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("You are unsubscribed" if lang == "en" else "آپ ان سبسکرائب ہو گئے ہیں")
    if folder:
        page.screenshot(path=Path(folder) / f"unsubscribe-phone-{lang}-after.png", full_page=True)
    assert rows(live_service, Subscription)[0]["unsubscribed_at"] is not None
    assert page.context.cookies() == []

    # An ally (or anyone) cannot show the page inside a frame of theirs.
    framed = host_site.add("/frame-unsubscribe", f'<!doctype html><iframe src="{html.escape(link)}"></iframe>')
    page.goto(framed)
    page.wait_for_timeout(500)
    [child] = [frame for frame in page.frames if frame != page.main_frame]
    assert not child.url.startswith(live_service.url), "the browser refused to show it framed"
