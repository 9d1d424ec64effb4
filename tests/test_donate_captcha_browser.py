"""A donation from a campaign with the captcha on, in a real Chromium on an ally's page: the
captcha renders in the donate widget, its answer travels with the form to the new tab, and the
widget asks for a fresh one for the next gift."""
import pytest

from widget_service import demo_campaign
from widget_service.donations import change_donate_settings
from widget_service.extensions import db
from widget_service.models import Campaign

from . import captcha_server
from . import stripe_server as stripe_loop
from .browser import SLUG, TIMEOUT_MS, open_host_page, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config(stripe_api, verify_server):
    return {
        **stripe_loop.service_config(stripe_api),
        "HCAPTCHA_SITEKEY": captcha_server.SITEKEY,
        "HCAPTCHA_SECRET": captcha_server.SECRET,
        "HCAPTCHA_VERIFY_URL": verify_server.url + "/siteverify",
        "HCAPTCHA_SCRIPT_URL": verify_server.url + "/1/api.js",
    }


def test_a_donor_passes_the_captcha_and_reaches_checkout_twice(new_context, host_site, live_service, stripe_api, verify_server):
    with live_service.app.app_context():
        change_donate_settings(db.session.scalar(db.select(Campaign).filter_by(slug=SLUG)), **demo_campaign.DONATE)
    context = new_context()
    page = context.new_page()
    [widget] = open_host_page(page, f"{host_site.url}/donate", live_service.url)
    frame = widget.frame
    frame.locator("#donate").wait_for(timeout=TIMEOUT_MS)
    assert verify_server.script_loads == 0, "the captcha script waits until the form is used"
    frame.focus("#f-custom_amount")
    wait_for(page, lambda: frame.locator("#captcha textarea[name=h-captcha-response]").count() == 1,
             lambda: "the captcha never rendered in the donate widget")
    frame.click("label[for=a-5000]")
    for gift in (1, 2):
        page.wait_for_timeout(1100)  # a person's pace, and the fresh token the widget fetches
        with context.expect_page(timeout=TIMEOUT_MS) as opened:
            frame.click("#donate button[type=submit]")
        checkout = opened.value
        checkout.wait_for_load_state()
        assert checkout.url.startswith(f"{stripe_api.url}/c/pay/cs_test_"), checkout.content()[:500]
        assert len(stripe_api.requests) == gift
        assert verify_server.requests[-1]["response"] == captcha_server.PASSING_TOKEN
        wait_for(page, lambda: frame.evaluate("window.captchaResets || 0") == gift,
                 lambda: "the widget did not ask for a fresh captcha after the form went to the new tab")
        checkout.close()
