"""What a person finds at the service's own address: a front page that leads to the open
campaigns instead of a 404, and an icon."""
import io
from html.parser import HTMLParser

import pytest
from PIL import Image

from widget_service.campaigns import close_campaign, find_campaign
from widget_service.extensions import db

from .builders import make_campaign


class Links(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.links = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))


@pytest.mark.parametrize(("lang", "title", "heading"), [
    ("en", "Stand up", "Sign our petitions"), ("ur", "کھڑے ہوں", "ہماری پٹیشنز پر دستخط کریں"),
])
def test_the_front_page_links_each_open_campaign_page(app, client, lang, title, heading):
    with app.app_context():
        shown, closed = make_campaign().slug, make_campaign().slug
        close_campaign(find_campaign(closed))
        db.session.commit()
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.data.decode()
    assert f'<html lang="{lang}"' in html and f"<h1>{heading}</h1>" in html
    hrefs = [link["href"] for link in Links(html).links]
    page = f"http://localhost/c/{shown}" + ("?lang=ur" if lang == "ur" else "")
    assert page in hrefs and f">{title}</a>" in html
    assert not [href for href in hrefs if f"/c/{closed}" in href], "a closed campaign is not offered"
    assert response.headers["Cache-Control"] == "public, max-age=60" and "Set-Cookie" not in response.headers
    assert "Accept-Language" in response.headers["Vary"]


def test_with_no_open_campaign_the_front_page_says_so(client):
    response = client.get("/")
    assert response.status_code == 200 and "No campaign is open just now." in response.data.decode()


def check_icon(response_bytes, content_type):
    assert content_type == "image/vnd.microsoft.icon"
    with Image.open(io.BytesIO(response_bytes)) as icon:
        assert icon.format == "ICO" and (16, 16) in icon.info["sizes"] and (32, 32) in icon.info["sizes"]
    assert len(response_bytes) < 10_000


def test_the_service_has_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    check_icon(response.data, response.mimetype)
    assert "max-age" in response.headers["Cache-Control"]
