"""Without JavaScript, on a phone, in the plain iframe of an ally's page on another site (the
demo ally's documented no-script snippet): the answer to the form is in front of the supporter
wherever they pressed the button. A refused form puts its message in view with the focus on it,
and the first wrong field one Tab and Enter away; a signed one puts the thank-you in view."""
import pytest

from .browser import EmbeddedWidget, wait_for
from .test_panel_return_browser import PHONE, focused_in_view

pytestmark = pytest.mark.browser


def plain_widget(new_context, host_site, live_service, lang):
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(host_site.url + ("/ur" if lang == "ur" else "/"))
    return page, EmbeddedWidget(page, page.locator("#noscript iframe"), live_service.url)


def send(widget, **fields):
    frame = widget.load()
    for name, value in fields.items():
        if name == "country":
            frame.select_option("#f-country", value)
        else:
            frame.fill(f"#f-{name}", value)
    frame.locator("#sign button[type=submit]").click()  # scrolled to, at the foot of the form


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_refused_form_shows_its_message_and_leads_to_the_first_wrong_field(new_context, host_site, live_service, lang):
    page, widget = plain_widget(new_context, host_site, live_service, lang)
    send(widget, name="Ada Lovelace", email="not an email")
    frame = widget.load(scroll=False)
    focused_in_view(widget, frame, "result")
    assert frame.locator("#alert").inner_text().strip()
    page.keyboard.press("Tab")
    assert frame.evaluate("() => document.activeElement.getAttribute('href')") == "#f-email"
    page.keyboard.press("Enter")
    focused_in_view(widget, frame, "f-email")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_signed_form_shows_the_thank_you(new_context, host_site, live_service, lang):
    page, widget = plain_widget(new_context, host_site, live_service, lang)
    send(widget, name="Ada Lovelace", email=f"plain-{lang}@example.org", country="PK")
    # The second step (the shared page carries no token): asked, in view, to press once more.
    frame = widget.load(scroll=False)
    focused_in_view(widget, frame, "result")
    assert ("بٹن ایک بار پھر دبائیں" if lang == "ur" else "press the button once more") in frame.locator("#alert").inner_text()
    assert frame.locator("#f-email").input_value() == f"plain-{lang}@example.org"
    frame.locator("#sign button[type=submit]").click()
    frame = wait_for(page, lambda: (f := widget.load(scroll=False)) and f.locator("#thanks").count() and f, lambda: "no thank-you")
    focused_in_view(widget, frame, "result")
    assert frame.locator("#thanks").is_visible()
    assert live_service.signatures(email=f"plain-{lang}@example.org")
