"""The snippet builder in Chromium, as a new ally uses it: choose, see the snippets and the
preview follow (the same text as the server writes for that choice), copy with one click, paste
the snippet into a page of one's own on another origin, and the signatures made there are
credited to the key."""
import html
import re

import pytest
import requests

from tests.browser import SLUG, open_host_page

pytestmark = pytest.mark.browser


def server_snippets(service_url, query):
    page = requests.get(f"{service_url}/embed/{SLUG}?{query}", timeout=10).text
    return [html.unescape(box) for box in re.findall(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_choices_update_the_snippets_and_the_preview_as_the_server_would(new_context, live_service, lang):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_service.url}/embed/{SLUG}?lang={lang}")
    page.wait_for_function("() => document.querySelector('form.builder button[type=submit]').hidden")  # the script runs
    page.check("#k-donate")
    page.check("#l-ur")
    page.fill("#b-partner", "Quetta Solidarity Network")
    wanted = server_snippets(live_service.url, "kind=donate&widget_lang=ur&partner=Quetta+Solidarity+Network")
    shown = [page.input_value("#snippet-script"), page.input_value("#snippet-iframe")]
    assert shown == wanted
    assert "Quetta-Solidarity-Network" in page.inner_text("#b-partner-credited")
    preview = page.frame_locator("#preview")
    preview.locator("html[lang=ur]").wait_for()
    assert page.get_attribute("#preview", "src") == f"/widgets/{SLUG}/donate?lang=ur&ref=Quetta-Solidarity-Network"
    # The address keeps the choice: a reload, or the link sent to a colleague, shows it again.
    page.reload()
    assert [page.input_value("#snippet-script"), page.input_value("#snippet-iframe")] == wanted


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_copy_paste_into_an_allys_page_credits_the_key(new_context, host_site, live_service):
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_service.url)
    page = context.new_page()
    page.goto(f"{live_service.url}/embed/{SLUG}")
    page.wait_for_function("() => document.querySelector('form.builder button[type=submit]').hidden")
    page.check("#l-en")
    page.fill("#b-partner", "lahore-net")
    page.click("button[data-copy=snippet-script]")
    page.wait_for_function("() => document.querySelector('.copy-row .status').textContent === 'Copied'")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.input_value("#snippet-script") and 'data-partner="lahore-net"' in copied

    ally = context.new_page()
    [widget] = open_host_page(ally, host_site.add("/pasted", f"<!doctype html><title>Ally</title><body>{copied}</body>"), live_service.url)
    widget.sign("Zainab Hazara", "zainab@example.org")
    [stored] = live_service.signatures(email="zainab@example.org")
    assert stored["ref"] == "lahore-net"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_look_and_layout_update_the_preview_and_both_snippets(new_context, live_service, lang):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_service.url}/embed/{SLUG}?lang={lang}")
    page.wait_for_function("() => document.querySelector('form.builder button[type=submit]').hidden")
    page.fill("#b-accent", "#ffff00")
    page.check("#t-dark")
    page.fill("#b-radius", "30")
    page.check("#t-serif")
    page.check("#y-compact")
    wanted = server_snippets(live_service.url, "kind=petition&accent=%23ffff00&theme=dark&radius=30&font=serif&layout=compact")
    assert [page.input_value("#snippet-script"), page.input_value("#snippet-iframe")] == wanted
    assert 'data-accent="#ffff00" data-theme="dark" data-radius="24" data-font="serif" data-layout="compact"' in wanted[0]
    assert page.get_attribute("#preview", "src") == f"/widgets/{SLUG}/petition?accent=ffff00&theme=dark&radius=24&font=serif&layout=compact"
    # The preview is the real widget in that look.
    preview = page.frame_locator("#preview")
    preview.locator("html.theme-dark.font-serif main.layout-compact").wait_for()
    button = preview.locator("#sign button[type=submit]")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 0)"
    assert button.evaluate("b => getComputedStyle(b).borderTopLeftRadius") == "24px"
    # ...and as tall as it: the compact form leaves no empty box below it.
    page.wait_for_function("""() => {
        const f = document.getElementById('preview'), inner = f.contentDocument.documentElement.getBoundingClientRect().height;
        return f.height < 1000 && Math.abs(f.clientHeight - inner) <= 2;
    }""")
    # The button layout: the script snippet asks for it; the iframe, which cannot, is the full widget and says so.
    assert page.locator("#iframe-button-note").is_hidden()
    page.check("#y-button")
    assert page.locator("#iframe-button-note").is_visible()
    wanted = server_snippets(live_service.url, "kind=petition&accent=%23ffff00&theme=dark&radius=24&font=serif&layout=button")
    assert [page.input_value("#snippet-script"), page.input_value("#snippet-iframe")] == wanted
    assert 'data-layout="button"></div>' in wanted[0] and "layout=" not in wanted[1]
    # Back to the defaults: the snippets are the plain ones again.
    page.fill("#b-accent", "#0b6e4f")
    page.check("#t-light")
    page.fill("#b-radius", "6")
    page.check("#t-system")
    page.check("#y-full")
    assert [page.input_value("#snippet-script"), page.input_value("#snippet-iframe")] == server_snippets(live_service.url, "")
    page.reload()  # the address kept the choice
    assert [page.input_value("#snippet-script"), page.input_value("#snippet-iframe")] == server_snippets(live_service.url, "")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("kind", ["petition", "coordinator", "notify"])
def test_a_compact_snippet_keeps_about_the_room_its_form_takes(new_context, host_site, live_service, kind, lang):
    """The compact layout's measured heights (builder.COMPACT_HEIGHTS): the loader starts the
    frame at the snippet's min-height, within 6% of the height the form then reports."""
    snippet = server_snippets(live_service.url, f"kind={kind}&widget_lang={lang}&layout=compact")[0]
    for width in (360, 1280):
        page = new_context(viewport={"width": width, "height": 900}).new_page()
        [widget] = open_host_page(page, host_site.add(f"/compact-{kind}-{lang}-{width}", f"<!doctype html><title>Ally</title><body style='margin:0'>{snippet}</body>"), live_service.url)
        start = int(widget.iframe.get_attribute("height"))
        fitted = widget.wait_until_fitted()
        assert abs(fitted - start) <= start / 16, f"{kind} {lang} at {width}px: starts at {start}px, needs {fitted}px"
