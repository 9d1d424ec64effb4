"""Small things seen on screen, over HTTP: the campaign page shows its title, summary and count
once (its widget shows only the form), in the page's language down to the organisation's name
and the share card; money reads "PKR 5,000", and a campaign that has raised nothing yet shows
its goal, not a row of empty bars."""
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from widget_service import cards

from . import services
from .stripe_server import completed_session, event
from .test_campaign_page import Head
from .test_donate import donor, set_donate  # noqa: F401 (a fixture)
from .test_shared_pages import later

OWN = "http://localhost"  # the test client's origin: the campaign page's


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_on_the_campaign_page_the_widget_shows_only_its_form(client, campaign, lang):
    page = client.get(f"/c/{campaign}?lang={lang}").data.decode()
    title = "Stand up" if lang == "en" else "کھڑے ہوں"
    assert page.count(f"<h1>{title}</h1>") == 1 and page.count("<strong data-count>") == 1
    framed = client.get(f"/widgets/{campaign}/petition?lang={lang}&origin={OWN}").data.decode()
    assert f'<h1 class="vh">{title}</h1>' in framed, "a heading for screen readers, not shown"
    assert "<strong data-count>" not in framed and 'class="summary"' not in framed and "<details" not in framed
    assert 'main class="w compact"' in framed and 'id="sign"' in framed
    # On an ally's page the widget is whole: the ally's page does not show the campaign.
    whole = client.get(f"/widgets/{campaign}/petition?lang={lang}&origin=https://ally.example.org").data.decode()
    assert f"<h1>{title}</h1>" in whole and "<strong data-count>" in whole and 'class="summary"' in whole


def test_after_signing_on_the_campaign_page_without_javascript_the_count_is_not_repeated(widget, campaign):
    html = widget.post_form(campaign, name="Ada", email="ada@example.org", country="PK", origin=OWN).data.decode()
    assert 'id="thanks"' in html and "<strong data-count>" not in html and '<h1 class="vh">' in html


def test_the_urdu_campaign_page_names_the_organisation_in_urdu(client, campaign):
    html = client.get(f"/c/{campaign}?lang=ur").data.decode()
    assert '<p class="org">مائنارٹی سپورٹ پاکستان</p>' in html and "Minority Support Pakistan" not in html
    assert Head(html).one("og:site_name") == "مائنارٹی سپورٹ پاکستان"
    assert Head(client.get(f"/c/{campaign}").data.decode()).one("og:site_name") == "Minority Support Pakistan"


def card(client, campaign, lang):
    image = urlsplit(Head(client.get(f"/c/{campaign}?lang={lang}").data.decode()).one("og:image"))
    response = client.get(f"{image.path}?{image.query}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    return parse_qs(image.query), response


def ink_columns(png, top, bottom):
    """The leftmost and rightmost columns with white text between rows ``top`` and ``bottom``."""
    with Image.open(io.BytesIO(png)) as image:
        band = image.convert("L").crop((0, top, cards.WIDTH, bottom)).point(lambda v: 255 if v > 200 else 0)
        left, _, right, _ = band.getbbox()
        return left, right


def test_the_urdu_page_shares_an_urdu_card(client, campaign):
    if not cards.urdu_font_path():
        services.missing("no Urdu font (Debian's fonts-noto-core) or no libraqm for Pillow")
    english_query, english = card(client, campaign, "en")
    urdu_query, urdu = card(client, campaign, "ur")
    assert "lang" not in english_query and urdu_query["lang"] == ["ur"]
    assert urdu.data != english.data and urdu.headers["ETag"] != english.headers["ETag"]
    # The Urdu title reads from the right: its short title ends at the right margin, far from
    # the left one, where the English title starts.
    assert ink_columns(urdu.data, 150, 500)[1] > cards.WIDTH - cards.MARGIN - 10
    assert ink_columns(urdu.data, 150, 500)[0] > 300
    assert ink_columns(english.data, 150, 500)[0] < cards.MARGIN + 10
    # The same address always names the same image (no Accept-Language in play).
    again = client.get(f"/c/{campaign}/card.png?lang=ur", headers={"Accept-Language": "en"})
    assert again.data == urdu.data


def test_money_keeps_a_letter_symbol_apart_from_its_digits_and_no_empty_bars(donor, monkeypatch):  # noqa: F811
    set_donate(donor, goals={"PKR": 500_000_000, "USD": 2_500_000})
    html = donor.page("en").data.decode()
    assert "Goal: PKR\u00a05,000,000" in html or "Goal: $25,000" in html
    assert "<progress" not in html, "nothing raised yet: the goal, not empty bars"
    assert not re.search(r"PKR\d|Rs\d", html + donor.page("ur", currency="PKR").data.decode())
    donor.deliver(event("checkout.session.completed", completed_session(donor.session(currency="PKR", amount="100000"))))
    later(monkeypatch, 60)  # the kept page is renewed after WIDGET_COUNT_CACHE_SECONDS
    html = donor.page("en").data.decode()
    assert "PKR\u00a01,000 raised of PKR\u00a05,000,000" in html
    assert html.count("<progress") == 1, "a bar for the currency that raised money, none for the others"
