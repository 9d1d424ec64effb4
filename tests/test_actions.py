"""The take-action panel: after signing (with and without JavaScript) and on its own at
/widgets/<slug>/actions; its share links and the refs they carry."""
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from widget_service.campaigns import close_campaign, find_campaign
from widget_service.validation import clean_ref

from . import stripe_server as stripe_loop
from .builders import make_campaign
from .test_attachments import PDF, attach, zip_bytes

ORIGIN = "https://ally.example.org"


class Links(HTMLParser):
    """Every <a> (href, attributes, text) and <button> in a page."""

    def __init__(self, html):
        super().__init__()
        self.anchors, self.buttons, self._open = [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = dict(attrs, text="")
            self.anchors.append(self._open)
        elif tag == "button":
            self.buttons.append(dict(attrs))

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def by_id(self, anchor_id):
        [anchor] = [a for a in self.anchors if a.get("id") == anchor_id]
        return anchor

    def share(self):
        return [a for a in self.anchors if a.get("class", "").startswith("s-")]

    def by_text(self, text):
        [anchor] = [a for a in self.anchors if a["text"].strip() == text]
        return anchor


def actions_page(client, slug, lang="en", **query):
    response = client.get(f"/widgets/{slug}/actions", query_string={"lang": lang, "origin": ORIGIN, "ref": "ally", **query})
    return response, response.data.decode()


def shared_url(channel, href):
    """The campaign-page address a share link carries, and the text that goes with it."""
    parts = urlsplit(href)
    query = parse_qs(parts.query)
    if channel == "whatsapp":
        text = query["text"][0]
        return text.rsplit(" ", 1)[1], text.rsplit(" ", 1)[0]
    if channel == "facebook":
        return query["u"][0], None
    if channel in ("x", "telegram"):
        return query["url"][0], query["text"][0]
    if channel == "email":
        body = query["body"][0]
        return body.rsplit("\n", 1)[1], body.split("\n", 1)[0] + " | " + query["subject"][0]
    raise AssertionError(channel)


@pytest.mark.parametrize(
    ("lang", "phrase", "title"),
    [("en", "Please sign the petition “Stand up” and pass it on:", "Stand up"),
     ("ur", "براہِ کرم پٹیشن ”کھڑے ہوں“ پر دستخط کریں اور اسے آگے بھیجیں:", "کھڑے ہوں")],
)
def test_share_links_point_to_the_campaign_page_with_the_ref_and_the_text_in_the_widgets_language(client, campaign, lang, phrase, title):
    response, html = actions_page(client, campaign, lang)
    assert response.status_code == 200
    links = Links(html)
    share = links.share()
    assert [a["class"] for a in share] == ["s-whatsapp", "s-facebook", "s-x", "s-telegram", "s-email"]
    hosts = [urlsplit(a["href"])[:3] for a in share]
    assert hosts == [
        ("https", "wa.me", "/"), ("https", "www.facebook.com", "/sharer/sharer.php"), ("https", "x.com", "/intent/post"),
        ("https", "t.me", "/share/url"), ("mailto", "", ""),
    ]
    for anchor in share:
        channel = anchor["class"][2:]
        assert anchor["target"] == "_blank" and anchor["rel"] == "noopener noreferrer"
        url, text = shared_url(channel, anchor["href"])
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost", f"/c/{campaign}")
        query = parse_qs(parts.query)
        assert query["ref"] == [f"ally~{channel}"] and clean_ref(query["ref"][0]) == (f"ally~{channel}", None)
        assert query.get("lang") == (["ur"] if lang == "ur" else None)
        if text is not None:
            assert text.startswith(phrase), text
        if channel == "email":
            assert text.endswith(" | " + title)
    copy = re.search(r'<input id="share-link"[^>]*value="([^"]+)"', html).group(1)
    assert parse_qs(urlsplit(unescape(copy)).query)["ref"] == ["ally~link"]
    [native] = [b for b in links.buttons if "data-share-url" in b]
    assert parse_qs(urlsplit(native["data-share-url"]).query)["ref"] == ["ally~share"] and "hidden" in native
    [copy_button] = [b for b in links.buttons if "data-copy" in b]
    assert "hidden" in copy_button, "shown only where JavaScript can copy; the field works without it"


@pytest.mark.parametrize(
    ("ref", "channel", "expected"),
    [
        (None, "whatsapp", "msp~whatsapp"),
        ("", "x", "msp~x"),
        ("demo-ally", "facebook", "demo-ally~facebook"),
        ("demo-ally~whatsapp", "telegram", "demo-ally~telegram"),  # a share of a share: first partner, last channel
        ("bad ref!", "email", "bad-ref~email"),  # a key outside the rule keeps its credit (issue 13)
        ("Quetta Solidarity Network", "whatsapp", "Quetta-Solidarity-Network~whatsapp"),
        ("!!!", "email", "msp~email"),
        ("p" * 64, "whatsapp", "p" * 55 + "~whatsapp"),
    ],
)
def test_share_refs_credit_the_partner_and_the_channel_and_always_validate(ref, channel, expected):
    from widget_service.sharing import share_ref

    result = share_ref(ref, channel)
    assert result == expected and len(result) <= 64
    assert clean_ref(result) == (result, None)


def test_the_panel_links_to_the_other_widgets_in_the_same_frame_keeping_lang_origin_and_ref(client, campaign):
    _, html = actions_page(client, campaign, "ur")
    links = Links(html)
    for text, kind in (("علاقائی مہم کوآرڈینیٹر بنیں", "coordinator"), ("مزید اقدامات کی اطلاع پائیں", "notify"), ("MSP کو عطیہ دیں", "donate")):
        anchor = links.by_text(text)
        parts = urlsplit(anchor["href"])
        assert parts.path == f"/widgets/{campaign}/{kind}" and not parts.netloc
        assert parse_qs(parts.query) == {"lang": ["ur"], "origin": [ORIGIN], "ref": ["ally"], "back": ["actions"]}
        assert parts.fragment == "title", "it opens at its heading"
        assert "target" not in anchor, "the next widget opens in the same frame"


def test_report_and_kit_are_offered_only_when_the_campaign_has_them(client, runner, campaign, tmp_path):
    _, html = actions_page(client, campaign)
    assert "/report" not in html and "/kit" not in html and "Read the report" not in html
    (tmp_path / "r.pdf").write_bytes(PDF)
    attach(runner, campaign, "report", str(tmp_path / "r.pdf"))
    attach(runner, campaign, "kit", "--url", "https://example.org/kit.zip")
    links = Links(actions_page(client, campaign)[1])
    report, kit = links.by_text("Read the report"), links.by_text("Download the campaign kit")
    assert report["href"] == f"/c/{campaign}/report" and kit["href"] == f"/c/{campaign}/kit"
    assert report["target"] == kit["target"] == "_blank"
    share_report = links.by_text("Share it on WhatsApp")
    text = parse_qs(urlsplit(share_report["href"]).query)["text"][0]
    assert text.endswith(f" http://localhost/c/{campaign}/report") and "Stand up" in text


def test_the_actions_page_is_a_frameable_shared_widget_page_without_cookies(client, campaign):
    response, html = actions_page(client, campaign, "ur")
    assert '<html lang="ur" dir="rtl">' in html and f'data-host-origin="{ORIGIN}"' in html
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"].startswith("public, max-age=") and "Set-Cookie" not in response.headers
    assert not re.search(r'<(?!a )[^>]*(src|href)="(https?:)?//', html), "loads nothing from elsewhere"
    assert "<strong data-count>0</strong>" in html
    missing = client.get("/widgets/no-such-campaign/actions?lang=ur")
    assert missing.status_code == 404 and "frame-ancestors *" in missing.headers["Content-Security-Policy"]


def test_a_closed_campaign_offers_only_its_report_and_kit(app, client, runner, campaign, tmp_path):
    """Sharing, coordinating, notify-me and donating all end with the campaign (the notify and
    donate widgets answer a closed campaign with "closed")."""
    with app.app_context():
        close_campaign(find_campaign(campaign))
    response, html = actions_page(client, campaign)
    assert response.status_code == 200 and "This petition is closed" in html
    assert 'id="actions-title"' not in html, "no take-action heading over nothing to take"
    (tmp_path / "r.pdf").write_bytes(PDF)
    attach(runner, campaign, "report", str(tmp_path / "r.pdf"))
    for lang in ("en", "ur"):
        for html in (actions_page(client, campaign, lang)[1], client.get(f"/c/{campaign}?lang={lang}").data.decode()):
            assert 'id="actions-title"' in html and f'href="/c/{campaign}/report"' in html
            assert "wa.me/?text=" in html, "the report can still be shared"
            for kind in ("coordinator", "notify", "donate"):
                assert f"/widgets/{campaign}/{kind}" not in html


def test_the_petition_carries_the_panel_for_after_signing(client, campaign):
    html = client.get(f"/widgets/{campaign}/petition?ref=ally&origin={ORIGIN}").data.decode()
    thanks = html[html.index('<section class="thanks"'):]
    assert re.match(r'<section class="thanks"[^>]*hidden>', thanks)
    assert 'id="actions-title"' in thanks and "ally~whatsapp" in unquote(thanks)


def test_without_javascript_the_thank_you_page_is_the_take_action_step(app, widget, campaign):
    response = widget.post_form(campaign, name="علی", email="ali@example.org", country="PK", lang="ur", ref="ally", origin=ORIGIN)
    html = response.data.decode()
    assert response.status_code == 200 and "دستخط کرنے کا شکریہ" in html
    assert "عملی قدم اٹھائیں" in html  # "Take action"
    links = Links(html)
    whatsapp = links.share()[0]
    url, text = shared_url("whatsapp", whatsapp["href"])
    assert parse_qs(urlsplit(url).query) == {"lang": ["ur"], "ref": ["ally~whatsapp"]}
    notify = urlsplit(links.by_text("مزید اقدامات کی اطلاع پائیں")["href"])
    assert parse_qs(notify.query) == {"lang": ["ur"], "origin": [ORIGIN], "ref": ["ally"], "back": ["actions"]}


def test_a_signature_from_a_share_is_credited_to_the_partner_and_channel(app, widget, campaign):
    assert widget.sign(campaign, ref="ally~whatsapp").status_code == 202
    from sqlalchemy import select

    from widget_service.extensions import db
    from widget_service.models import Signature

    with app.app_context():
        assert db.session.scalars(select(Signature.ref)).all() == ["ally~whatsapp"]


def test_the_kit_zip_offered_is_the_one_attached(client, runner, campaign, tmp_path):
    (tmp_path / "kit.zip").write_bytes(zip_bytes())
    attach(runner, campaign, "kit", str(tmp_path / "kit.zip"))
    href = Links(actions_page(client, campaign)[1]).by_text("Download the campaign kit")["href"]
    assert client.get(href).data == zip_bytes()


def on_this_service(href):
    """``href`` (relative, or absolute on the test client's host) as a path and query to GET."""
    parts = urlsplit(href)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), href
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_every_link_in_the_panel_leads_to_a_working_page(make_app, stripe_api, tmp_path, lang):
    # Donations through the (loopback) Stripe, so the donate widget shows its form.
    app = make_app(STRIPE_SECRET_KEY=stripe_loop.SECRET_KEY, STRIPE_API_BASE=stripe_api.url,
                   STRIPE_CHECKOUT_ORIGIN=stripe_api.url)
    with app.app_context():
        campaign = make_campaign().slug
    client, runner = app.test_client(), app.test_cli_runner()
    (tmp_path / "r.pdf").write_bytes(PDF)
    attach(runner, campaign, "report", str(tmp_path / "r.pdf"))
    attach(runner, campaign, "kit", "--url", "https://example.org/kit.zip")
    _, html = actions_page(client, campaign, lang)
    panel = html[html.index('<section class="actions"'):html.index("</section>", html.index('<section class="actions"'))]
    links = Links(panel)
    followed = set()

    # The other widgets open in the same frame, in the same language, for the same ally's page
    # and partner: the forms there carry the origin and ref on.
    for kind in ("coordinator", "notify", "donate"):
        [anchor] = [a for a in links.anchors if urlsplit(a["href"]).path == f"/widgets/{campaign}/{kind}"]
        assert parse_qs(urlsplit(anchor["href"]).query) == {"lang": [lang], "origin": [ORIGIN], "ref": ["ally"], "back": ["actions"]}
        response = client.get(anchor["href"])
        page = response.data.decode()
        assert response.status_code == 200, (kind, response.status_code)
        assert f'<html lang="{lang}"' in page and f'data-host-origin="{ORIGIN}"' in page
        assert '<input type="hidden" name="ref" value="ally">' in page
        assert '<input type="hidden" name="origin" value="https://ally.example.org">' in page
        followed.add(anchor["href"])

    # The report is served, the linked kit redirects, and the report's share link carries the report.
    report = links.by_text({"en": "Read the report", "ur": "رپورٹ پڑھیں"}[lang])
    response = client.get(report["href"])
    assert response.status_code == 200 and response.data == PDF
    kit = [a for a in links.anchors if urlsplit(a["href"]).path == f"/c/{campaign}/kit"][0]
    response = client.get(kit["href"])
    assert response.status_code == 302 and response.headers["Location"] == "https://example.org/kit.zip"
    [report_share] = [a for a in links.anchors if a["href"].startswith("https://wa.me/") and "/report" in unquote(a["href"])]
    shared_report = parse_qs(urlsplit(report_share["href"]).query)["text"][0].rsplit(" ", 1)[1]
    assert client.get(on_this_service(shared_report)).data == PDF
    followed |= {report["href"], kit["href"], report_share["href"]}

    # Every share (each channel, the copied link, the share sheet's) opens the campaign page,
    # in the widget's language, crediting the ally and the channel.
    pages = [shared_url(a["class"][2:], a["href"])[0] for a in links.share()]
    followed |= {a["href"] for a in links.share()}
    [copied] = re.findall(r'<input id="share-link"[^>]* value="([^"]+)"', panel)
    [native] = [b["data-share-url"] for b in links.buttons if "data-share-url" in b]
    for url in pages + [unescape(copied), native]:
        response = client.get(on_this_service(url))
        assert response.status_code == 200, url
        page = response.data.decode()
        assert f'<html lang="{lang}"' in page and 'data-widget="petition"' in page
        assert re.search(r'data-partner="ally~(whatsapp|facebook|x|telegram|email|link|share)"', page), url

    assert {a["href"] for a in links.anchors} == followed, "every link in the panel was followed"
