"""The dashboard in Chromium, as MSP staff read it: signed in with a TOTP code the test works
out, in English and Urdu, at phone and desktop widths; the numbers are the public count's and
the page fits the screen, with no blocked inline style or script."""
import re

import pytest
import requests

from ..browser import SLUG, digits
from .conftest import make_staff


def sign(service_url, count, **fields):
    for n in range(count):
        body = {"name": f"Browser Supporter {n}", "email": f"browser{n}-{fields.get('ref', '')}@example.org",
                "country": "PK", **fields}
        response = requests.post(f"{service_url}/api/v1/campaigns/{SLUG}/signatures", json=body, timeout=10)
        assert response.status_code == 202, response.text


def sign_in(page, service_url, account):
    page.goto(f"{service_url}/console/sign-in")
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", account.password)
    page.fill("input[name=code]", account.code())
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/dashboard"))


@pytest.mark.parametrize("width", [360, 1280])
def test_staff_read_the_dashboard_in_both_languages(live_service, new_context, width):
    sign(live_service.url, 5, ref="ally-browser")
    sign(live_service.url, 2, lang="ur")
    account = make_staff(live_service.app, "viewer")
    context = new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    sign_in(page, live_service.url, account)
    page.click(f"a[href*='/console/dashboard/{SLUG}']")
    total = live_service.count()
    assert total == 7
    for lang, heading in (("en", "Signatures per hour, last 48 hours"), ("ur", "فی گھنٹہ دستخط، پچھلے 48 گھنٹے")):
        page.goto(f"{live_service.url}/console/dashboard/{SLUG}?lang={lang}")
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ur" else "ltr")
        assert digits(page.locator("[data-total]").inner_text()) == total
        assert page.locator("#hourly-heading").inner_text() == heading
        # The chart is drawn, as wide as the page allows, with a column per hour.
        chart = page.locator("section[aria-labelledby=hourly-heading] svg")
        box = chart.bounding_box()
        assert box["width"] > width * 0.7 and box["height"] > 100
        assert chart.locator("rect").count() == 48
        # Its numbers open in a table.
        page.locator("section[aria-labelledby=hourly-heading] summary").click()
        table = page.locator("section[aria-labelledby=hourly-heading] table")
        assert table.is_visible() and table.locator("tbody tr").count() == 48
        assert sum(digits(cell) for cell in table.locator("td").all_inner_texts()) == total
        partner = page.locator("section[aria-labelledby=by-ref] tr[data-key=ally-browser]")
        assert partner.is_visible()
        assert digits(partner.locator("td").first.evaluate("cell => cell.firstChild.textContent")) == 5
        # Nothing runs off the side of a phone: the page scrolls only down.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{lang} at {width}px is {overflow}px too wide"
    assert problems == [], problems  # a blocked inline style or script would be reported here
