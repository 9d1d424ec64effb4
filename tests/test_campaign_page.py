"""The public campaign page GET /c/<slug> that shares point to, its Open Graph / Twitter
metadata, and the share image it names."""
import io
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from widget_service.campaigns import close_campaign, find_campaign

from .test_attachments import attach, png_bytes


class Head(HTMLParser):
    """The page's <meta> and <link> tags, and its widget placeholder."""

    def __init__(self, html):
        super().__init__()
        self.meta, self.links, self.placeholders, self.scripts = {}, [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta.setdefault(attrs.get("property") or attrs["name"], []).append(attrs["content"])
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "div" and "msp-widget" in attrs.get("class", ""):
            self.placeholders.append(attrs)
        elif tag == "script":
            self.scripts.append(attrs.get("src"))

    def one(self, name):
        [value] = self.meta[name]
        return value


def page(client, slug, query=""):
    response = client.get(f"/c/{slug}{query}")
    return response, response.data.decode()


@pytest.mark.parametrize(
    ("lang", "title", "summary", "locale", "alternate"),
    [("en", "Stand up", "A summary.", "en_GB", "ur_PK"), ("ur", "کھڑے ہوں", "خلاصہ", "ur_PK", "en_GB")],
)
def test_open_graph_and_twitter_metadata_describe_the_campaign(client, campaign, lang, title, summary, locale, alternate):
    response, html = page(client, campaign, f"?lang={lang}&ref=ally~whatsapp")
    assert response.status_code == 200
    head = Head(html)
    assert head.one("og:type") == "website"
    assert head.one("og:title") == head.one("twitter:title") == title
    assert head.one("og:description") == head.one("twitter:description") == head.one("description") == summary
    assert head.one("og:locale") == locale and head.meta["og:locale:alternate"] == [alternate]
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("og:image") == head.one("twitter:image")
    assert (head.one("og:image:width"), head.one("og:image:height"), head.one("og:image:type")) == ("1200", "630", "image/png")
    og_url = urlsplit(head.one("og:url"))
    assert (og_url.scheme, og_url.netloc, og_url.path) == ("http", "localhost", f"/c/{campaign}")
    expected = {"ref": ["ally~whatsapp"]} | ({"lang": ["ur"]} if lang == "ur" else {})
    assert parse_qs(og_url.query) == expected, "a preview's link keeps the share's ref"
    [canonical] = [link["href"] for link in head.links if link.get("rel") == "canonical"]
    assert canonical == f"http://localhost/c/{campaign}" + ("?lang=ur" if lang == "ur" else "")
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ur" else "ltr"}">' in html


def test_canonical_and_image_urls_use_the_public_url(make_app):
    from tests.builders import make_campaign

    app = make_app(PUBLIC_URL="https://widgets.example.org")
    with app.app_context():
        slug = make_campaign().slug
    head = Head(app.test_client().get(f"/c/{slug}?lang=ur", base_url="http://10.0.0.5:8000").data.decode())
    [canonical] = [link["href"] for link in head.links if link.get("rel") == "canonical"]
    assert canonical == f"https://widgets.example.org/c/{slug}?lang=ur"
    assert head.one("og:image").startswith(f"https://widgets.example.org/c/{slug}/card.png?v=")
    assert head.one("og:url") == canonical


def test_the_image_it_names_is_a_1200_by_630_png_cached_with_an_etag(client, campaign):
    head = Head(page(client, campaign)[1])
    image_url = urlsplit(head.one("og:image"))
    response = client.get(f"{image_url.path}?{image_url.query}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    with Image.open(io.BytesIO(response.data)) as image:
        assert (image.format, image.size) == ("PNG", (1200, 630))
        # Not a blank: the title is drawn on it in more than one colour.
        assert len(image.convert("RGB").getcolors(maxcolors=100_000)) > 10
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    etag = response.headers["ETag"]
    again = client.get(image_url.path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"/c/{campaign}/card.jpg").status_code == 404, "a generated card is a PNG"
    assert client.get("/c/no-such-campaign/card.png").status_code == 404


def test_an_attached_jpeg_replaces_the_generated_card(app, client, runner, campaign, tmp_path):
    jpeg = png_bytes(kind="JPEG")
    path = tmp_path / "card.jpeg"
    path.write_bytes(jpeg)
    before = Head(page(client, campaign)[1]).one("og:image")
    result = attach(runner, campaign, "image", str(path))
    assert result.exit_code == 0, result.output
    head = Head(page(client, campaign)[1])
    assert head.one("og:image") != before and head.one("og:image:type") == "image/jpeg"
    image_url = urlsplit(head.one("og:image"))
    assert image_url.path == f"/c/{campaign}/card.jpg"
    response = client.get(image_url.path)
    assert response.status_code == 200 and response.mimetype == "image/jpeg" and response.data == jpeg
    assert client.get(f"/c/{campaign}/card.png").status_code == 404


def jpeg_with_a_large_profile(size):
    """A JPEG whose size comes after 200 kB of colour profile, far past the first bytes."""
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 40)).save(out, "JPEG", icc_profile=b"\0" * 200_000)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "size", "content_type"),
    [
        (png_bytes((600, 315)), (600, 315), "image/png"),
        (png_bytes((1910, 1000), kind="JPEG"), (1910, 1000), "image/jpeg"),
        (jpeg_with_a_large_profile((1260, 630)), (1260, 630), "image/jpeg"),
    ],
)
def test_the_page_declares_the_attached_images_real_size(client, runner, campaign, tmp_path, data, size, content_type):
    path = tmp_path / "card"
    path.write_bytes(data)
    result = attach(runner, campaign, "image", str(path))
    assert result.exit_code == 0, result.output
    for lang in ("en", "ur"):
        head = Head(page(client, campaign, f"?lang={lang}")[1])
        declared = (head.one("og:image:width"), head.one("og:image:height"), head.one("og:image:type"))
        assert declared == (str(size[0]), str(size[1]), content_type)
        image_url = urlsplit(head.one("og:image"))
        with Image.open(io.BytesIO(client.get(image_url.path).data)) as served:
            assert served.size == size


def test_the_page_shows_the_petition_the_count_and_embeds_the_widget_with_the_ref(client, widget, campaign):
    widget.sign(campaign)
    response, html = page(client, campaign, "?ref=ally~telegram")
    assert "Demand one." in html and "Demand two." in html
    assert "<strong data-count>1</strong>" in html
    head = Head(html)
    [placeholder] = head.placeholders
    assert placeholder["data-campaign"] == campaign and placeholder["data-partner"] == "ally~telegram"
    assert "/embed.js" in head.scripts
    # Without JavaScript; the page's own origin tells the widget to show only its form.
    assert f'src="/widgets/{campaign}/petition?lang=en&amp;ref=ally~telegram&amp;origin=http://localhost"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "frame-src 'self'" in csp and "script-src 'self'" in csp
    assert "Set-Cookie" not in response.headers
    # Its share links carry on the ref it was opened with (a share of a share).
    assert "ref%3Dally~whatsapp" in html and "ref%3Dally~telegram" in html


@pytest.mark.parametrize(("ref", "kept"), [
    ('"><script>alert(1)</script>', "script-alert-1-script"), ("a b", "a-b"), ("x" * 65, "x" * 64),
])
def test_a_ref_outside_the_rule_is_kept_made_safe(client, campaign, ref, kept):
    response = client.get(f"/c/{campaign}", query_string={"ref": ref})
    html = response.data.decode()
    assert response.status_code == 200 and "<script>alert" not in html
    assert parse_qs(urlsplit(Head(html).one("og:url")).query) == {"ref": [kept]}


def test_a_ref_with_nothing_to_keep_is_dropped(client, campaign):
    html = client.get(f"/c/{campaign}", query_string={"ref": "<>!!"}).data.decode()
    assert "data-partner" not in html and parse_qs(urlsplit(Head(html).one("og:url")).query) == {}


def test_unknown_campaign_is_a_404_page_in_the_readers_language(client):
    response = client.get("/c/no-such-campaign?lang=ur")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert '<html lang="ur" dir="rtl">' in response.data.decode()
    assert client.get("/c/Bad_Slug!").status_code == 404


def test_a_closed_campaign_still_shows_and_says_so(app, client, campaign):
    with app.app_context():
        close_campaign(find_campaign(campaign))
    response, html = page(client, campaign)
    assert response.status_code == 200
    assert "This petition is closed" in html and "Demand one." in html
    assert Head(html).placeholders == [] and "/embed.js" not in html
    assert "wa.me" not in html, "nobody is asked to share a closed petition"
    assert Head(html).one("og:title") == "Stand up"
