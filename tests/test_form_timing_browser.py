"""A supporter whose browser fills the form by itself (autofill, a password manager) and who
sends it at once, in headless Chromium on an ally's page: asked to send it again, then counted."""
import pytest

from widget_service.models import Signature

from .browser import open_host_page, wait_for
from .test_form_timing import MIN_SECONDS, later

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)]


@pytest.fixture
def live_config():
    return {"FORM_MIN_SECONDS": MIN_SECONDS}  # "at once", however slowly a loaded machine loads the page


@pytest.mark.parametrize(("path", "asked"), [
    ("/", "Please check that your details are right, then send the form again."),
    ("/ur", "براہِ کرم دیکھ لیں کہ آپ کی تفصیلات درست ہیں، پھر فارم دوبارہ بھیجیں۔"),
])
def test_a_form_filled_and_sent_at_once_is_asked_for_again_then_counted(page, host_site, live_service, path, asked, monkeypatch):
    [widget] = open_host_page(page, host_site.url + path, live_service.url)
    frame = widget.frame
    frame.wait_for_selector("#sign button[type=submit]")
    frame.evaluate("""() => {  // what autofill does: every field at once, no typing
        const form = document.getElementById('sign');
        form.elements.name.value = 'Zahra Hazara';
        form.elements.email.value = 'zahra@example.org';
        form.elements.country.value = 'PK';
    }""")
    frame.click("#sign button[type=submit]")
    alert = frame.locator("#alert")
    wait_for(page, lambda: alert.inner_text(), lambda: "no message shown")
    assert alert.inner_text() == asked
    assert frame.locator("#thanks").is_hidden() and live_service.signatures() == []
    assert frame.input_value("#f-email") == "zahra@example.org", "what was filled in stays"
    later(monkeypatch)  # the supporter reads the message and presses again (the service runs in this process)
    frame.click("#sign button[type=submit]")
    frame.locator("#thanks").wait_for(state="visible")
    [stored] = live_service.signatures()
    assert stored["state"] == Signature.COUNTED and live_service.count() == 1
