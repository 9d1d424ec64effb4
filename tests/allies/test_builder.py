"""The snippet builder ``/embed/<slug>``: a GET form that works without JavaScript, its snippets
the documented ones (the loader's titles and starting heights), any typed key credited as the
signing path would credit it, nothing reflected unescaped, linked from the campaign page."""
import html
import re
from pathlib import Path

import pytest

from widget_service.allies import builder
from widget_service.views.embed import reserved_height

from ..test_embed_browser import TITLES as LOADER_TITLES

LOADER = Path(__file__).resolve().parents[2] / "embed" / "embed.js"


def snippets(response):
    """The two snippets as a browser shows them in their text boxes."""
    return [html.unescape(box) for box in re.findall(r"<textarea[^>]*>(.*?)</textarea>", response.get_data(as_text=True), re.S)]


def credited(response):
    return html.unescape(re.search(r'id="b-partner-credited"[^>]*>(.*?)</p>', response.get_data(as_text=True)).group(1))


def test_the_builders_titles_and_heights_are_the_loaders():
    # The plain iframe cannot resize: as tall as the loader starts its kind at most (Urdu, a phone).
    loader = {kind: [int(h) for h in row.split(", ")] for kind, row in re.findall(r"(\w+): \[[^\]]*?', ([\d, ]+)\]", LOADER.read_text(encoding="utf-8"))}
    assert {kind: height for kind, (_, height) in builder.KINDS.items()} == {kind: max(heights[:2]) for kind, heights in loader.items()}
    assert {kind: titles for kind, titles in builder.TITLES.items()} == {
        kind: (LOADER_TITLES["en"][kind], LOADER_TITLES["ur"][kind]) for kind in builder.KINDS
    }


@pytest.mark.parametrize("lang, heading", [("en", "Add the campaign to your website"), ("ur", "مہم کو اپنی ویب سائٹ پر لگائیں")])
def test_the_default_choice_is_the_petition_in_the_visitors_language(app, client, campaign, lang, heading):
    app.config["PUBLIC_URL"] = "https://widgets.example"
    response = client.get(f"/embed/{campaign}?lang={lang}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and heading in page and f'<html lang="{lang}"' in page
    assert snippets(response) == [
        f'<div class="msp-widget" data-campaign="{campaign}" data-widget="petition" '
        'style="min-height:clamp(804px, calc(1094px - 40.25vw), 965px)"></div>\n'
        '<script async src="https://widgets.example/embed.js"></script>',
        f'<iframe src="https://widgets.example/widgets/{campaign}/petition" title="Minority Support Pakistan petition" '
        'width="100%" height="1258" style="border:0" loading="lazy" allow="clipboard-write; web-share"></iframe>',
    ]
    assert f'id="preview" class="msp-widget-frame preview" src="/widgets/{campaign}/petition"' in page
    for where in ("WordPress", "Squarespace", "Wix"):
        assert f"<dt>{where}</dt>" in page
    assert "script-src https://widgets.example\nframe-src https://widgets.example" in page
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "frame-src 'self'" in csp and "unsafe-inline" not in csp
    assert "Set-Cookie" not in response.headers


def test_a_choice_made_without_javascript(app, client, campaign):
    app.config["PUBLIC_URL"] = "https://widgets.example"
    response = client.get(f"/embed/{campaign}?kind=donate&widget_lang=ur&partner=Quetta+Solidarity+Network")
    script, iframe = snippets(response)
    assert script == (
        f'<div class="msp-widget" data-campaign="{campaign}" data-widget="donate" data-lang="ur" '
        f'data-partner="Quetta-Solidarity-Network" style="min-height:{reserved_height("donate", "ur")}"></div>\n'
        '<script async src="https://widgets.example/embed.js"></script>'
    )
    assert f'src="https://widgets.example/widgets/{campaign}/donate?lang=ur&amp;ref=Quetta-Solidarity-Network"' in iframe
    assert 'title="مائنارٹی سپورٹ پاکستان: عطیہ دیں"' in iframe and 'height="1313"' in iframe
    assert credited(response) == "Credited as Quetta-Solidarity-Network."
    page = response.get_data(as_text=True)
    assert 'id="k-donate" name="kind" value="donate"' in page and re.search(r'id="k-donate"[^>]*checked', page)
    assert re.search(r'id="l-ur"[^>]*checked', page)
    # A key within the rule is credited as it is: no note.
    assert credited(client.get(f"/embed/{campaign}?partner=quetta-net")) == ""


@pytest.mark.parametrize("query", [
    "kind=%3Cscript%3E&widget_lang=xx",
    "kind=petition&partner=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "partner=" + "x" * 5000,
    "partner=%00%01",
    "kind=petition&kind=donate&lang=zz",
])
def test_odd_choices_fall_back_and_reflect_nothing_unescaped(client, campaign, query):
    response = client.get(f"/embed/{campaign}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in page and "alert(1)</" not in page
    script, _ = snippets(response)
    assert re.fullmatch(
        rf'<div class="msp-widget" data-campaign="{campaign}" data-widget="(petition|donate)"'
        r'( data-partner="[\w.~-]{1,64}")? style="min-height:clamp\([^"<>]+\)"></div>\n'
        r'<script async src="http://localhost/embed.js"></script>', script), script


def test_an_unknown_campaign_is_a_404(client):
    assert client.get("/embed/no-such-campaign").status_code == 404


@pytest.mark.parametrize("lang, link", [("en", "/embed/{}"), ("ur", "/embed/{}?lang=ur")])
def test_the_campaign_page_links_to_the_builder(client, campaign, lang, link):
    page = client.get(f"/c/{campaign}?lang={lang}").get_data(as_text=True)
    assert f'href="{link.format(campaign)}"' in page


def test_the_builders_script_and_style_are_served(client):
    for name, mimetype in (("builder.js", "text/javascript"), ("builder.css", "text/css")):
        with client.get(f"/allies/static/{name}") as response:
            assert response.status_code == 200 and response.mimetype == mimetype


def test_a_look_and_layout_reach_both_snippets_and_the_preview(app, client, campaign):
    app.config["PUBLIC_URL"] = "https://widgets.example"
    response = client.get(
        f"/embed/{campaign}?kind=petition&widget_lang=ur&accent=%23FFFF00&theme=dark&radius=30&font=serif&layout=compact"
    )
    script, iframe = snippets(response)
    assert script == (
        f'<div class="msp-widget" data-campaign="{campaign}" data-widget="petition" data-lang="ur" '
        'data-accent="#ffff00" data-theme="dark" data-radius="24" data-font="serif" data-layout="compact" '
        # the compact form's room, shorter than the full widget's
        'style="min-height:clamp(815px, calc(1022px - 28.75vw), 930px)"></div>\n'
        '<script async src="https://widgets.example/embed.js"></script>'
    )
    query = "lang=ur&amp;accent=ffff00&amp;theme=dark&amp;radius=24&amp;font=serif&amp;layout=compact"
    assert f'src="https://widgets.example/widgets/{campaign}/petition?{query}"' in iframe and 'height="930"' in iframe
    page = response.get_data(as_text=True)
    assert f'id="preview" class="msp-widget-frame preview" src="/widgets/{campaign}/petition?{query}"' in page
    for control in ('id="t-dark"', 'id="t-serif"', 'id="y-compact"'):
        assert re.search(control + r'[^>]*checked', page), control
    assert 'id="b-accent" name="accent" type="color" value="#ffff00"' in page and 'value="24"' in page
    assert re.search(r'id="iframe-button-note" hidden', page)
    # The other language's builder keeps the whole choice.
    assert "accent=ffff00&amp;theme=dark&amp;radius=24&amp;font=serif&amp;layout=compact" in re.search(r'<nav class="langs".*?</nav>', page, re.S).group(0)
    # The preview is the themed widget page itself.
    widget = client.get(f"/widgets/{campaign}/petition?{html.unescape(query)}").get_data(as_text=True)
    assert 'class="theme-dark font-serif"' in widget and "layout-compact" in widget


def test_the_defaults_leave_the_snippets_as_they_were(client, campaign):
    # What a form without JavaScript sends when nothing was changed: the picker's colour, 6 px.
    chosen = snippets(client.get(f"/embed/{campaign}?kind=notify&accent=%230b6e4f&theme=light&radius=6&font=system&layout=full"))
    assert chosen == snippets(client.get(f"/embed/{campaign}?kind=notify"))
    assert "data-accent" not in chosen[0] and "?" not in re.search(r'src="([^"]+)"', chosen[1]).group(1)


def test_the_button_layout_keeps_no_room_and_its_iframe_is_the_full_widget(client, campaign):
    response = client.get(f"/embed/{campaign}?kind=donate&layout=button&accent=c00")
    script, iframe = snippets(response)
    assert 'data-accent="#cc0000" data-layout="button"></div>' in script and "min-height" not in script
    assert f"/widgets/{campaign}/donate?accent=cc0000\"" in iframe and "layout" not in iframe
    page = response.get_data(as_text=True)
    assert re.search(r'id="iframe-button-note">', page)  # shown: says the iframe is the full widget


@pytest.mark.parametrize("query", [
    "accent=%3Cscript%3E&theme=%22%3E&radius=%3Cb%3E&font=x&layout=%3Ci%3E",
    "accent=" + "f" * 3000 + "&radius=" + "9" * 3000,
])
def test_odd_looks_fall_back_to_the_defaults(client, campaign, query):
    response = client.get(f"/embed/{campaign}?{query}")
    assert response.status_code == 200
    assert snippets(response) == snippets(client.get(f"/embed/{campaign}"))
    assert "<b>" not in response.get_data(as_text=True) and "<i>" not in response.get_data(as_text=True)


def test_the_counter_is_offered_where_the_service_has_it(client, campaign):
    from widget_service.views.embed import HEIGHTS

    page = client.get(f"/embed/{campaign}?kind=counter").get_data(as_text=True)
    if "counter" in HEIGHTS:  # the loader knows it: listed, and its page answers
        assert re.search(r'id="k-counter"[^>]*checked', page)
        assert client.get(f"/widgets/{campaign}/counter").status_code == 200
    else:
        assert 'id="k-counter"' not in page


def test_the_look_is_translated(client, campaign):
    page = client.get(f"/embed/{campaign}?lang=ur").get_data(as_text=True)
    for urdu in ("نمایاں رنگ", "کونوں کی گولائی", "مختصر: صرف فارم", "گہرا"):
        assert urdu in page
    assert "Accent colour" not in page
