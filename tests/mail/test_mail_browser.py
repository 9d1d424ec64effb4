"""From the widget on an ally's page to the mailbox and back, in headless Chromium: a signature
confirmed from the mail a loopback SMTP server received, "this was not me", and a subscription's
unsubscribe link; the count watched throughout."""
import pytest

from ..browser import SLUG, TIMEOUT_MS, open_host_page
from .conftest import links

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config(smtp):
    return {"SMTP_URL": smtp.url, "MAIL_FROM": "MSP <campaigns@msp.example>", "CONFIRM_SIGNATURES": True,
            "COUNT_CACHE_SECONDS": 0}


def deliver(live_service, smtp, count):
    result = live_service.app.test_cli_runner().invoke(args=["mail", "work", "--once"])
    assert result.exit_code == 0, result.output
    return smtp.wait_for(count)


def link(message, part):
    return next(url for url in links(message) if part in url)


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_signature_counts_once_confirmed_from_its_mail(page, new_context, host_site, live_service, smtp, lang):
    url = host_site.url + ("/ur" if lang == "ur" else "/")
    [widget] = open_host_page(page, url, live_service.url)
    before = live_service.count()
    frame = widget.sign("Ayesha Khan", "ayesha@example.org")
    thanks = frame.locator("#thanks").inner_text()
    assert ("check your inbox" in thanks) if lang == "en" else ("ان باکس" in thanks)
    assert live_service.count() == before
    [mail] = deliver(live_service, smtp, 1)
    assert mail["To"] == "ayesha@example.org" and mail["Content-Language"] == lang

    reader = new_context().new_page()  # the mail opened in another tab, without the ally's page
    reader.goto(link(mail, "/supporters/confirm/"))
    assert live_service.count() == before  # opening the link is not confirming
    assert reader.locator("html").get_attribute("dir") == ("rtl" if lang == "ur" else "ltr")
    reader.click("form button[type=submit]")
    reader.locator("#done").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert live_service.count() == before + 1
    assert [s["state"] for s in live_service.signatures(email="ayesha@example.org")] == ["counted"]


def test_this_was_not_me_from_the_mail_deletes_it(page, new_context, host_site, live_service, smtp):
    [widget] = open_host_page(page, host_site.url, live_service.url)
    widget.sign("Not Me", "activist@example.org")
    [mail] = deliver(live_service, smtp, 1)
    reader = new_context().new_page()
    reader.goto(link(mail, "/supporters/confirm/"))
    reader.click("text=This was not me")
    assert live_service.signatures(email="activist@example.org") != []
    reader.click("form button[type=submit]")
    reader.locator("#done").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert live_service.signatures(email="activist@example.org") == []
    assert live_service.count() == 0


def test_a_subscription_confirmed_and_unsubscribed_from_its_mails(page, new_context, live_service, smtp):
    reader = new_context().new_page()
    reader.goto(f"{live_service.url}/widgets/{SLUG}/notify")
    reader.fill("#f-email", "listener@example.org")
    reader.click("form button[type=submit]")
    reader.locator("#thanks").wait_for(state="visible", timeout=TIMEOUT_MS)
    [ask] = deliver(live_service, smtp, 1)
    reader.goto(link(ask, "/confirm/"))
    reader.click("form button[type=submit]")
    reader.locator("#done").wait_for(state="visible", timeout=TIMEOUT_MS)
    [_, welcome] = deliver(live_service, smtp, 2)
    # A mail app's one-click unsubscribe (RFC 8058): a POST to the header's address, no page.
    one_click = welcome["List-Unsubscribe"].strip("<>")
    answer = reader.request.post(one_click, form={"List-Unsubscribe": "One-Click"})
    assert answer.status == 200 and answer.text().strip() == "Unsubscribed."
    reader.goto(link(welcome, "/unsubscribe/"))
    assert "You are unsubscribed" in reader.locator("h1").inner_text()
