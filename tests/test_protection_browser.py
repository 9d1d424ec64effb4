"""The petition widget with every protection on, in headless Chromium on an ally's page:
rate limits, the form-token timing, and hCaptcha through a local stand-in of its script and
its siteverify endpoint."""
import pytest

from widget_service.models import Signature

from . import captcha_server
from .browser import SLUG, LateScript, open_host_page, wait_for, widgets

def wait_for_thanks(page, frame):
    """Wait for the thank-you panel; fail with what the widget said instead, if anything."""
    wait_for(
        page,
        lambda: frame.locator("#thanks").is_visible() or frame.locator("#alert").inner_text(),
        lambda: "neither thanks nor a message appeared",
    )
    alert = frame.locator("#alert").inner_text()
    assert frame.locator("#thanks").is_visible(), f"the widget said: {alert!r}"


pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)]


@pytest.fixture
def live_config(verify_server):
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_IP_BURST": "2 per minute",
        "FORM_MIN_SECONDS": 1,
        "HCAPTCHA_SITEKEY": captcha_server.SITEKEY,
        "HCAPTCHA_SECRET": captcha_server.SECRET,
        "HCAPTCHA_VERIFY_URL": verify_server.url + "/siteverify",
        "HCAPTCHA_SCRIPT_URL": verify_server.url + "/1/api.js",
    }


def test_a_supporter_passes_the_captcha_and_is_counted(page, host_site, live_service, verify_server):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    frame = widget.frame
    page.wait_for_timeout(300)
    assert verify_server.script_loads == 0, "the captcha script waits until the form is used"
    frame.fill("#f-name", "Zahra Hazara")
    wait_for(page, lambda: frame.locator("#captcha textarea[name=h-captcha-response]").count() == 1,
             lambda: "the captcha never rendered")
    assert verify_server.script_loads == 1
    frame.fill("#f-email", "zahra@example.org")
    frame.select_option("#f-country", "PK")
    page.wait_for_timeout(1100)  # a person takes longer than FORM_MIN_SECONDS
    frame.click("#sign button[type=submit]")
    wait_for_thanks(page, frame)
    [stored] = live_service.signatures(email="zahra@example.org")
    assert stored["state"] == Signature.COUNTED
    assert verify_server.requests[-1]["response"] == captcha_server.PASSING_TOKEN
    assert live_service.count() == 1


@pytest.mark.parametrize("theme, scheme, expected", [
    ("dark", "light", "dark"), ("auto", "dark", "dark"), ("auto", "light", "light"), ("light", "dark", "light"),
])
def test_the_captcha_takes_the_widgets_light_or_dark_palette(new_context, live_service, theme, scheme, expected):
    page = new_context(color_scheme=scheme).new_page()
    page.goto(f"{live_service.url}/widgets/{SLUG}/petition?lang=en&theme={theme}")
    page.fill("#f-name", "Zahra Hazara")
    wait_for(page, lambda: page.locator("#captcha textarea[name=h-captcha-response]").count() == 1,
             lambda: "the captcha never rendered")
    assert page.locator("#captcha").get_attribute("data-rendered-theme") == expected


def test_a_flood_from_one_address_is_told_to_wait_in_its_language(new_context, host_site, live_service):
    page = new_context().new_page()
    for n in range(3):
        [widget] = open_host_page(page, host_site.url + "/ur", live_service.url)
        frame = widget.frame
        frame.fill("#f-name", "علی رضا")
        frame.wait_for_selector("#captcha textarea", state="attached")
        frame.fill("#f-email", f"ali{n}@example.org")
        frame.select_option("#f-country", "PK")
        page.wait_for_timeout(1100)
        frame.click("#sign button[type=submit]")
        if n < 2:
            wait_for_thanks(page, frame)
    alert = frame.locator("#alert")
    wait_for(page, lambda: alert.inner_text(), lambda: "no message shown")
    assert "چند منٹ بعد دوبارہ کوشش کریں" in alert.inner_text()
    assert frame.evaluate("() => document.activeElement.id") == "alert"
    assert len(live_service.signatures()) == 2


def test_a_form_sent_by_a_script_at_once_is_kept_uncounted(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    frame = widget.frame
    frame.fill("#f-name", "Fast Bot")
    frame.wait_for_selector("#captcha textarea", state="attached")
    frame.fill("#f-email", "bot@example.org")
    frame.select_option("#f-country", "PK")
    frame.fill("#f-website", "http://spam.example")  # what a bot fills and a person never sees
    frame.click("#sign button[type=submit]")
    wait_for_thanks(page, frame)  # the bot is told it worked
    [stored] = live_service.signatures(email="bot@example.org")
    assert stored["state"] == Signature.SUSPECT
    assert live_service.count() == 0
    honeypot = frame.locator("#f-website")
    box = honeypot.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, "a person never sees the honeypot"
    assert honeypot.get_attribute("tabindex") == "-1", "nor reaches it with the keyboard"


def test_a_supporter_who_types_before_the_script_arrives_still_gets_the_captcha(
    page, host_site, live_service, verify_server
):
    script = LateScript(page.context, "**/static/widget.js*")
    page.goto(host_site.url + "/", wait_until="commit")  # "load" would wait for the held script
    wait_for(page, lambda: script.held, lambda: "the widget never asked for its script")
    [widget] = widgets(page, live_service.url)
    frame = widget.frame
    frame.fill("#f-name", "Early Typist")  # focus lands in the form before any listener exists
    page.wait_for_timeout(300)
    assert verify_server.script_loads == 0
    script.release()
    wait_for(page, lambda: frame.locator("#captcha textarea[name=h-captcha-response]").count() == 1,
             lambda: "the captcha never rendered for a form already in use")
    assert verify_server.script_loads == 1
    assert frame.evaluate("() => document.activeElement.id") == "f-name", "the supporter keeps their place"


def test_a_supporter_who_corrects_the_form_is_counted(page, host_site, live_service):
    [widget] = open_host_page(page, host_site.url + "/", live_service.url)
    frame = widget.frame
    frame.fill("#f-name", "Karim Hazara")
    frame.wait_for_selector("#captcha textarea", state="attached")
    page.wait_for_timeout(1100)
    frame.click("#sign button[type=submit]")  # no email, no country yet
    frame.locator("#e-email").wait_for(state="visible")
    frame.fill("#f-email", "karim@example.org")
    frame.select_option("#f-country", "PK")
    frame.click("#sign button[type=submit]")  # at once: a person correcting, not a bot
    wait_for_thanks(page, frame)
    [stored] = live_service.signatures(email="karim@example.org")
    assert stored["state"] == Signature.COUNTED
    assert live_service.count() == 1
