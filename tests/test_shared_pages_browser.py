"""Signing after a kept widget page, in headless Chromium on an ally's page, in both languages:
the page every visitor shares carries no token; the widget's script asks for one when the
supporter starts on the form, and a form sent before it came waits for it."""
import pytest
import requests

from widget_service.models import Signature

from .browser import PARTNER, SLUG, LateScript, open_host_page, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def kept_page(live_service, lang):
    """The widget page, fetched twice by other clients: the service's kept copy, unchanged."""
    url = f"{live_service.url}/widgets/{SLUG}/petition?lang={lang}&ref={PARTNER}"
    first, second = requests.get(url, timeout=10), requests.get(url, timeout=10)
    assert first.content == second.content and first.headers["ETag"] == second.headers["ETag"]
    assert 'name="form_token" value=""' in first.text
    return first.headers["ETag"]


def sign(frame, email):
    frame.fill("#f-name", "Zahra Hazara")
    frame.fill("#f-email", email)
    frame.select_option("#f-country", "PK")
    frame.click("#sign button[type=submit]")


def thanked(page, frame):
    wait_for(page, lambda: frame.locator("#thanks").is_visible() or frame.locator("#alert").inner_text(),
             lambda: "neither thanks nor a message appeared")
    assert frame.locator("#thanks").is_visible(), frame.locator("#alert").inner_text()


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_script_fetches_a_token_when_the_supporter_starts_and_signs(new_context, host_site, live_service, lang):
    kept_page(live_service, lang)
    page = new_context().new_page()
    tokens = []
    page.on("request", lambda r: "/form-tokens/" in r.url and tokens.append(r.method))
    [widget] = open_host_page(page, host_site.url + ("/ur" if lang == "ur" else "/"), live_service.url)
    frame = widget.frame
    page.wait_for_timeout(200)
    assert tokens == [], "a view that never uses the form asks for nothing"
    email = f"cached-{lang}@example.org"
    sign(frame, email)
    thanked(page, frame)
    assert tokens == ["POST"]
    [stored] = live_service.signatures(email=email)
    assert (stored["state"], stored["lang"]) == (Signature.COUNTED, lang)


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_form_sent_before_its_token_came_waits_for_it(new_context, host_site, live_service, lang):
    kept_page(live_service, lang)
    context = new_context()
    page = context.new_page()
    token = LateScript(context, "**/form-tokens/**")  # a slow network: the token is held back
    [widget] = open_host_page(page, host_site.url + ("/ur" if lang == "ur" else "/"), live_service.url)
    frame = widget.frame
    email = f"early-{lang}@example.org"
    sign(frame, email)
    wait_for(page, lambda: token.held, lambda: "the token was never asked for")
    page.wait_for_timeout(300)
    assert live_service.signatures(email=email) == [], "nothing is sent without its token"
    token.release()
    thanked(page, frame)
    [stored] = live_service.signatures(email=email)
    assert stored["state"] == Signature.COUNTED
