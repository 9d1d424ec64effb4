"""Errors in console views are the console's pages, in the page's language: a missing
campaign (404), a request without a session (401, with the sign-in link), a role too low (403)."""
import pytest

from .conftest import csrf_token


@pytest.mark.parametrize("path, role", [
    ("/console/dashboard/nope", "viewer"),
    ("/console/campaigns/nope", "admin"),
    ("/console/moderation?campaign=nope", "admin"),
])
@pytest.mark.parametrize("lang, html_tag, message", [
    ("en", '<html lang="en" dir="ltr">', "There is no such campaign."),
    ("ur", '<html lang="ur" dir="rtl">', "ایسی کوئی مہم موجود نہیں۔"),
])
def test_a_missing_campaign_is_the_consoles_404_page(console_client, path, role, lang, html_tag, message):
    client = console_client(role)
    response = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert html_tag in page and 'class="console"' in page and message in page
    assert client.account.email in page  # the console's bar, with the signed-in account


def test_other_errors_in_console_views_are_the_consoles_pages(app, console_client):
    anonymous = app.test_client()
    token = csrf_token(anonymous)
    refused = anonymous.post("/console/sign-out?lang=ur", data={"csrf_token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 401 and 'class="console"' in page and 'dir="rtl"' in page
    assert "/console/sign-in?lang=ur" in page  # the sign-in link
    viewer = console_client("viewer")
    forbidden = viewer.get("/console/campaigns")
    assert forbidden.status_code == 403 and 'class="console"' in forbidden.get_data(as_text=True)
