"""The button layout (issue #17, item 4), in a real Chromium on an ally's page on another origin:
a button on the host page opens the widget in a modal dialog, used with the keyboard alone (focus
moves in and stays in, Escape and the close button close it, focus returns to the button), also
on a page whose CSP allows only the service; its code (embed/modal.js) comes only to a page that
uses the layout."""
import pytest

from .browser import SLUG, TIMEOUT_MS, EmbeddedWidget, ally_page, open_host_page, wait_for
from .test_accessibility_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

# Recorded before any of the page's own scripts, whatever its CSP: what the CSP blocked.
RECORD = """
window.mspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.mspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
# Where the focus is, seen from the host page: in the dialog (its close button, or the widget's
# frame, which holds the focus while a field of the widget has it) or elsewhere.
FOCUS = """() => {
  const a = document.activeElement, d = document.querySelector('dialog.msp-widget-dialog');
  if (a && a.classList.contains('msp-widget-close')) return 'close';
  if (a && a.tagName === 'IFRAME' && d.contains(a)) return 'frame';
  if (a && a.classList.contains('msp-widget-button')) return 'button';
  return a ? (a.id || a.tagName) : 'none';
}"""


def page_html(service_url, body, lang="en", head=""):
    """An ally's page with a link before and after the snippet, to tab from and to."""
    around = f'<main><a id="before" href="#x">Before</a><p>An ally.</p>{body}<a id="after" href="#y">After</a></main>'
    return ally_page(service_url, around, lang, head)


def button_snippet(lang="en", kind="petition"):
    return (f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="{kind}" data-lang="{lang}" '
            'data-layout="button" data-accent="ffd23f" data-radius="14"></div>')


def open_with_keyboard(page):
    """Tab from the page's first link to the button and press Enter; the dialog opens."""
    page.locator("#before").focus()
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS) == "button"
    page.keyboard.press("Enter")
    page.locator("dialog.msp-widget-dialog[open]").wait_for(timeout=TIMEOUT_MS)


def the_widget(page, live_service):
    widget = EmbeddedWidget(page, page.locator("dialog.msp-widget-dialog iframe.msp-widget-frame"), live_service.url)
    return widget.load(scroll=False)


def use_the_dialog_with_the_keyboard(page, live_service, label, title):
    button = page.locator("button.msp-widget-button")
    button.wait_for(timeout=TIMEOUT_MS)
    assert button.inner_text() == label
    assert page.locator("iframe").count() == 0  # nothing of the widget loads before it is asked for

    open_with_keyboard(page)
    dialog = page.locator("dialog.msp-widget-dialog")
    assert dialog.get_attribute("aria-modal") == "true" and dialog.get_attribute("aria-label") == title
    assert page.evaluate(FOCUS) == "close"  # focus moved in
    frame = the_widget(page, live_service)
    # Focus stays in the dialog all the way round: through the widget's fields and back.
    # (Focus passes into the frame's own process a moment after the key: the host page's body
    # has it meanwhile, so each step waits for it to settle; focus that left stays left.)
    places = []
    for _ in range(40):
        page.keyboard.press("Tab")
        places.append(wait_for(page, lambda: page.evaluate(FOCUS) if page.evaluate(FOCUS) in ("close", "frame") else None,
                               lambda: f"focus left the dialog after {places}: {page.evaluate(FOCUS)}"))
    assert "frame" in places and places.count("close") >= 1, places
    # Escape on the dialog's own button closes it; focus returns to the page's button.
    page.locator("dialog.msp-widget-dialog .msp-widget-close").focus()
    page.keyboard.press("Escape")
    wait_for(page, lambda: not dialog.evaluate("d => d.open"), lambda: "Escape left the dialog open")
    assert page.evaluate(FOCUS) == "button"

    # Escape in the widget (its frame has the focus: the key never reaches the host page).
    page.keyboard.press("Enter")
    page.locator("dialog.msp-widget-dialog[open]").wait_for(timeout=TIMEOUT_MS)
    page.keyboard.press("Tab")
    wait_for(page, lambda: page.evaluate(FOCUS) == "frame", lambda: f"Tab from the close button went to {page.evaluate(FOCUS)}")
    assert frame.evaluate("() => document.activeElement !== document.body")
    page.keyboard.press("Escape")
    wait_for(page, lambda: not dialog.evaluate("d => d.open"), lambda: "Escape in the widget left the dialog open")
    assert page.evaluate(FOCUS) == "button"

    # The close button, with the keyboard.
    page.keyboard.press("Space")
    page.locator("dialog.msp-widget-dialog[open]").wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate(FOCUS) == "close"
    page.keyboard.press("Enter")
    wait_for(page, lambda: not dialog.evaluate("d => d.open"), lambda: "the close button left the dialog open")
    assert page.evaluate(FOCUS) == "button"
    return frame


def test_the_button_opens_the_widget_in_a_dialog_used_with_the_keyboard(new_context, host_site, live_service):
    context = new_context(viewport={"width": 1280, "height": 900})
    scripts = []
    context.on("request", lambda request: request.resource_type == "script" and scripts.append(request.url))
    page = context.new_page()
    page.goto(host_site.add("/button", page_html(live_service.url, button_snippet())))
    use_the_dialog_with_the_keyboard(page, live_service, "Sign the petition", "Minority Support Pakistan petition")
    assert [url for url in scripts if "/embed/modal.js?v=" in url], scripts
    # The colours the ally chose, the text kept readable on them (a light accent: dark text).
    style = page.locator("button.msp-widget-button").evaluate(
        "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color, getComputedStyle(b).borderTopLeftRadius]")
    assert style == ["rgb(255, 210, 63)", "rgb(0, 0, 0)", "14px"]
    # A supporter signs in the dialog; the count and the form are the widget's own.
    page.locator("button.msp-widget-button").click()
    frame = the_widget(page, live_service)
    frame.fill("#f-name", "Samina Hazara")
    frame.fill("#f-email", "samina.modal@example.org")
    frame.select_option("#f-country", "PK")
    frame.click("#sign button[type=submit]")
    frame.locator("#thanks").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert live_service.signatures(email="samina.modal@example.org")


def test_the_dialog_in_urdu_on_a_page_whose_csp_allows_only_the_service(new_context, host_site, live_service):
    service = live_service.url
    csp = f"default-src 'none'; script-src {service}; frame-src {service}; connect-src {service}; style-src 'self'"
    head = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    context = new_context(viewport={"width": 412, "height": 900})
    context.add_init_script(RECORD)
    page = context.new_page()
    page.goto(host_site.add("/button-strict", page_html(service, button_snippet("ur"), lang="ur", head=head)))
    use_the_dialog_with_the_keyboard(page, live_service, "پٹیشن پر دستخط کریں", "مائنارٹی سپورٹ پاکستان کی پٹیشن")
    dialog = page.locator("dialog.msp-widget-dialog")
    assert dialog.get_attribute("dir") == "rtl" and dialog.get_attribute("lang") == "ur"
    assert page.locator(".msp-widget-close").inner_text() == "بند کریں"
    # Styled through the CSSOM, which the CSP allows: the button looks like one, nothing blocked.
    assert page.locator("button.msp-widget-button").evaluate("b => getComputedStyle(b).borderTopLeftRadius") == "14px"
    assert page.evaluate("() => window.mspViolations") == []


@pytest.mark.parametrize("given, corners", [("0", "0px"), ("14", "14px"), ("40", "24px"), ("x", "6px")])
def test_the_button_takes_the_snippet_s_corner_radius_as_the_widget_does(page, host_site, live_service, given, corners):
    """0 is square corners (it read as no value, 6px); out of range is clamped to 0-24; not a number, the default."""
    snippet = button_snippet().replace('data-radius="14"', f'data-radius="{given}"')
    page.goto(host_site.add(f"/button-radius-{given}", page_html(live_service.url, snippet)))
    button = page.locator("button.msp-widget-button")
    button.wait_for(timeout=TIMEOUT_MS)
    assert button.evaluate("b => b.style.borderRadius") == corners


def test_no_dialog_code_comes_to_a_page_without_the_button_layout(new_context, host_site, live_service):
    context = new_context()
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    body = f'<div class="msp-widget" data-campaign="{SLUG}" data-widget="counter"></div>'
    [widget] = open_host_page(page, host_site.add("/no-button", page_html(live_service.url, body)), live_service.url)
    widget.load()
    assert any(url.endswith("/embed.js") for url in requested)
    assert not [url for url in requested if "modal" in url], requested
    assert page.evaluate("() => 'modal' in window.MSPWidget") is False


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_open_dialog_and_the_widget_in_it_pass_axe(new_context, host_site, live_service, lang):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(host_site.add(f"/button-axe-{lang}", page_html(live_service.url, button_snippet(lang), lang=lang)))
    open_with_keyboard(page)
    the_widget(page, live_service)
    assert_accessible(page, f"the button layout's open dialog ({lang})")


def test_a_partners_only_campaign_on_an_unregistered_site_explains_instead_of_a_button(page, host_site, live_service):
    runner = live_service.app.test_cli_runner()
    assert runner.invoke(args=["partners", "create", "quetta-net", "Q", "q@q.example", "--origin", host_site.origin]).exit_code == 0
    assert runner.invoke(args=["partners", "policy", SLUG, "partners"]).exit_code == 0
    html = page_html(live_service.url, button_snippet("ur"), lang="ur")
    host_site.add("/button-policy", html)
    page.goto(host_site.url + "/button-policy")  # a registered origin: the button
    page.locator("button.msp-widget-button").wait_for(timeout=TIMEOUT_MS)
    page.goto(host_site.other_origin_url + "/button-policy")  # the same page where nobody registered
    page.wait_for_function("() => document.body.innerText.includes('Minority Support Pakistan')", timeout=TIMEOUT_MS)
    assert "شراکت داروں" in page.inner_text("body")
    assert page.locator("button.msp-widget-button, dialog").count() == 0
