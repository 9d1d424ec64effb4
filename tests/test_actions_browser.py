"""The take-action step in a real Chromium, from an ally's page on another site, at phone width:
sign, then share; the standalone actions widget; the campaign page a share leads to.

Screenshots go to ``$WIDGET_SCREENSHOT_DIR`` when it is set.
"""
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from demo import allied_site

from .browser import PARTNER, SLUG, TIMEOUT_MS, EmbeddedWidget, open_host_page, wait_for

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
COPIED = {"en": "Link copied.", "ur": "لنک کاپی ہو گیا۔"}
TAKE_ACTION = {"en": "Take action", "ur": "عملی قدم اٹھائیں"}
SHARE_TEXT = {"en": "Please sign the petition “", "ur": "براہِ کرم پٹیشن ”"}


def shoot(page, name, locator=None):
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    (locator or page).screenshot(path=Path(folder) / f"actions-{name}.png")


def full_height(page, widget):
    """Chromium paints no out-of-process frame outside the viewport: make the viewport as tall
    as the page before a screenshot."""
    widget.wait_until_fitted()
    page.set_viewport_size({"width": PHONE["width"], "height": page.evaluate("() => document.documentElement.scrollHeight")})
    widget.wait_until_fitted()


def share_hrefs(frame):
    return frame.eval_on_selector_all(".share a", "as => as.map(a => [a.className, a.href, a.target, a.rel])")


def check_share_links(frame, service_url, lang, base):
    links = share_hrefs(frame)
    assert [cls for cls, *_ in links] == ["s-whatsapp", "s-facebook", "s-x", "s-telegram", "s-email"]
    for cls, href, target, rel in links:
        channel = cls[2:]
        assert (target, rel) == ("_blank", "noopener noreferrer")
        query = parse_qs(urlsplit(href).query)
        carried = {"whatsapp": lambda: query["text"][0].rsplit(" ", 1)[1], "facebook": lambda: query["u"][0],
                   "x": lambda: query["url"][0], "telegram": lambda: query["url"][0],
                   "email": lambda: query["body"][0].rsplit("\n", 1)[1]}[channel]()
        parts = urlsplit(carried)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{service_url}/c/{SLUG}"
        expected = {"ref": [f"{base}~{channel}"]} | ({"lang": ["ur"]} if lang == "ur" else {})
        assert parse_qs(parts.query) == expected
        if channel != "facebook":
            text = (query.get("text") or query.get("body"))[0]
            assert text.startswith(SHARE_TEXT[lang]), text


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_after_signing_the_supporter_takes_action_and_copies_the_link(new_context, host_site, live_service, lang):
    context = new_context(viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    [widget] = open_host_page(page, host_site.url + ("/ur" if lang == "ur" else "/"), live_service.url)
    assert widget.iframe.get_attribute("allow") == "clipboard-write; web-share"
    frame = widget.sign("علی رضا" if lang == "ur" else "Ada Lovelace", f"act-{lang}@example.org")

    expect(frame.locator("#thanks")).to_be_focused(timeout=TIMEOUT_MS)
    expect(frame.locator("#actions-title")).to_have_text(TAKE_ACTION[lang])
    expect(frame.locator("#actions-title")).to_be_visible()
    check_share_links(frame, live_service.url, lang, PARTNER)
    notify = urlsplit(frame.locator(".more a[href*='/notify']").get_attribute("href"))
    assert parse_qs(notify.query) == {"lang": [lang], "origin": [host_site.origin], "ref": [PARTNER], "back": ["actions"]}

    # Copy the link: the button appears with JavaScript, and puts the link on the clipboard.
    copy = frame.locator("button[data-copy]")
    expect(copy).to_be_visible()
    native = frame.locator("button[data-share-url]")
    assert native.is_visible() == frame.evaluate("() => !!navigator.share")
    copy.click()
    expect(frame.locator("#copy-status")).to_have_text(COPIED[lang], timeout=TIMEOUT_MS)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == frame.locator("#share-link").input_value()
    assert parse_qs(urlsplit(copied).query)["ref"] == [f"{PARTNER}~link"]

    assert frame.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    full_height(page, widget)
    shoot(page, f"phone-{lang}-after-signing", widget.iframe)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_the_clipboard_api_the_link_is_selected_for_copying(new_context, host_site, live_service):
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"{live_service.url}/widgets/{SLUG}/actions?lang=en&ref={PARTNER}")
    page.evaluate("() => { Object.defineProperty(navigator, 'clipboard', {value: undefined}); "
                  "document.execCommand = () => false; }")
    page.click("button[data-copy]")
    expect(page.locator("#copy-status")).to_have_text("Select the link and copy it.")
    selected = page.evaluate("() => { const f = document.activeElement; return [f.id, f.value.slice(f.selectionStart, f.selectionEnd)]; }")
    assert selected == ["share-link", page.locator("#share-link").input_value()]


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_standalone_actions_widget_on_an_allied_page(new_context, host_site, live_service, lang):
    page = new_context(viewport=PHONE).new_page()
    snippet = (
        f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="actions" data-lang="{lang}" '
        f'data-partner="{PARTNER}"></div><script async src="{live_service.url}/embed.js"></script>'
    )
    html = (
        f'<!doctype html><html lang="{lang}"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Act</title><body><main><h1>{allied_site.TEXTS[lang]['title']}</h1>{snippet}</main></body></html>"
    )
    [widget] = open_host_page(page, host_site.add(f"/act-{lang}", html), live_service.url)
    src = urlsplit(widget.iframe.get_attribute("src"))
    assert src.path == f"/widgets/{SLUG}/actions"
    assert widget.iframe.get_attribute("title") == (
        "مائنارٹی سپورٹ پاکستان: مزید اقدامات" if lang == "ur" else "Minority Support Pakistan: take action"
    )
    frame = widget.frame
    assert frame.evaluate("() => document.documentElement.dir") == ("rtl" if lang == "ur" else "ltr")
    expect(frame.locator("#actions-title")).to_be_visible()
    check_share_links(frame, live_service.url, lang, PARTNER)
    hrefs = frame.eval_on_selector_all(".more a", "as => as.map(a => [a.getAttribute('href'), a.target])")
    kinds = [urlsplit(href).path.rsplit("/", 1)[1] for href, _ in hrefs]
    assert kinds == ["coordinator", "notify", "donate"]
    for href, target in hrefs:
        assert target == ""  # in the same frame
        assert parse_qs(urlsplit(href).query) == {"lang": [lang], "origin": [host_site.origin], "ref": [PARTNER], "back": ["actions"]}
    height = widget.wait_until_fitted()
    assert 250 < height < 900, height
    assert frame.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    full_height(page, widget)
    shoot(page, f"phone-{lang}-standalone")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_shared_link_opens_the_campaign_page_whose_widget_credits_the_share(new_context, live_service, lang):
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"{live_service.url}/c/{SLUG}?lang={lang}&ref={PARTNER}~whatsapp")
    assert page.locator("meta[property='og:title']").get_attribute("content") == page.locator("h1").inner_text()
    page.wait_for_function("() => document.querySelector('iframe.msp-widget-frame')", timeout=TIMEOUT_MS)
    widget = EmbeddedWidget(page, page.locator("iframe.msp-widget-frame"), live_service.url)
    frame = widget.sign("Zara Shared", f"shared-{lang}@example.org")
    expect(frame.locator("#actions-title")).to_be_visible()
    [stored] = live_service.signatures(email=f"shared-{lang}@example.org")
    assert stored["ref"] == f"{PARTNER}~whatsapp" and stored["lang"] == lang
    # Shared again from here, the link still credits the first partner.
    check_share_links(frame, live_service.url, lang, PARTNER)
    check_share_links(page.main_frame, live_service.url, lang, PARTNER)  # the page's own panel
    expect(page.locator("button[data-copy]")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    wait_for(page, lambda: widget.wait_until_fitted(), lambda: "widget never fitted")
    full_height(page, widget)
    shoot(page, f"phone-{lang}-campaign-page")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # layout does not depend on it
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_campaign_page_and_panel_at_desktop_width(new_context, host_site, live_service, lang):
    width = 1280
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{live_service.url}/c/{SLUG}?lang={lang}")
    page.wait_for_function("() => document.querySelector('iframe.msp-widget-frame')", timeout=TIMEOUT_MS)
    widget = EmbeddedWidget(page, page.locator("iframe.msp-widget-frame"), live_service.url)
    widget.wait_until_fitted()
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    box = widget.iframe.bounding_box()
    assert 600 < box["width"] <= 720, box  # the page's column, not the iframe default of 300px
    page.set_viewport_size({"width": width, "height": page.evaluate("() => document.documentElement.scrollHeight")})
    widget.wait_until_fitted()
    shoot(page, f"desktop-{lang}-campaign-page")
