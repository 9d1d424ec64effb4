"""Every widget page in an ally's look and layout (``?accent=&theme=&radius=&font=&layout=``, as
the loader passes a snippet's data-* attributes): the look as one <style> element that the page's
CSP allows by its hash, shared like any widget page; bad values ignored, never a 500, never
reflected; the compact layout the form without the campaign's text."""
import base64
import hashlib
import re
from urllib.parse import quote

import pytest

from widget_service.theme import Theme

KINDS = ("petition", "actions", "coordinator", "notify", "donate", "counter")
LOOK = "accent=%23ffff00&theme=dark&radius=14&font=serif"


def style_of(html):
    found = re.findall(r"<style>(.*?)</style>", html, re.S)
    return found[0] if found else None


def allowed(csp, css):
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    style_src = re.search(r"style-src ([^;]*)", csp).group(1).split()
    return f"'sha256-{digest}'" in style_src


@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_themed_page_carries_its_look_allowed_by_its_csp(client, campaign, kind, lang):
    response = client.get(f"/widgets/{campaign}/{kind}?lang={lang}&{LOOK}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    dir_ = "rtl" if lang == "ur" else "ltr"
    assert f'<html lang="{lang}" dir="{dir_}" class="theme-dark font-serif">' in html
    css = style_of(html)
    assert css == Theme.from_args({"accent": "#ffff00", "theme": "dark", "radius": "14"}).css()
    assert "--accent:#ffff00;--on-accent:#000000" in css and "--radius:14px" in css
    csp = response.headers["Content-Security-Policy"]
    assert allowed(csp, css) and "unsafe-inline" not in csp
    assert "public" in response.headers["Cache-Control"]  # still a page every visitor shares
    # The same bytes for the next visitor of the same look; another look is a page of its own.
    again = client.get(f"/widgets/{campaign}/{kind}?lang={lang}&{LOOK}")
    assert again.data == response.data and again.headers["ETag"] == response.headers["ETag"]
    other = client.get(f"/widgets/{campaign}/{kind}?lang={lang}&accent=c00")
    assert style_of(other.get_data(as_text=True)) != css and allowed(other.headers["Content-Security-Policy"], style_of(other.get_data(as_text=True)))


@pytest.mark.parametrize("kind", KINDS)
def test_todays_look_is_todays_page(client, campaign, kind):
    plain = client.get(f"/widgets/{campaign}/{kind}?lang=en").get_data(as_text=True)
    assert style_of(plain) is None and '<html lang="en" dir="ltr">' in plain
    assert "sha256-" not in client.get(f"/widgets/{campaign}/{kind}?lang=en").headers["Content-Security-Policy"]


@pytest.mark.parametrize("query", [
    "accent=" + quote("</style><script>alert(1)</script>"),
    "accent=red&theme=%22%3E%3Cscript%3E&radius=%3Cb%3E&font=%3Cx%3E&layout=%3Cscript%3E",
    "accent=" + "f" * 5000 + "&radius=" + "9" * 5000,
    "accent=%00%ff&theme=&radius=-&font=",
    "accent=ff0&accent=%3Cx%3E&theme=dark&theme=%3Cy%3E",
])
@pytest.mark.parametrize("kind", KINDS)
def test_bad_values_are_ignored_never_reflected(client, campaign, kind, query):
    response = client.get(f"/widgets/{campaign}/{kind}?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in html and "<x>" not in html and "<b>" not in html and "alert(1)" not in html
    css = style_of(html)
    if css is not None:  # only what the valid first values chose
        assert re.fullmatch(r"[@:\w(){}#;\- .]+", css)
        assert allowed(response.headers["Content-Security-Policy"], css)


def test_auto_follows_the_visitors_colour_scheme(client, campaign):
    html = client.get(f"/widgets/{campaign}/petition?theme=auto").get_data(as_text=True)
    assert 'class="theme-auto"' in html
    assert "@media (prefers-color-scheme:dark){:root.theme-auto{--brand:" in style_of(html)


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_compact_is_the_form_with_the_title_and_count(client, campaign, lang):
    full = client.get(f"/widgets/{campaign}/petition?lang={lang}").get_data(as_text=True)
    compact = client.get(f"/widgets/{campaign}/petition?lang={lang}&layout=compact").get_data(as_text=True)
    for html in (full, compact):
        assert "<h1>" in html and "data-count" in html and '<form id="sign"' in html
    assert 'class="summary"' in full and '<details class="petition">' in full
    assert 'class="summary"' not in compact and "<details" not in compact
    assert 'class="w layout-compact"' in compact


@pytest.mark.parametrize("kind", ["coordinator", "notify", "donate"])
def test_compact_forms_leave_the_introduction_out(client, campaign, kind):
    full = client.get(f"/widgets/{campaign}/{kind}").get_data(as_text=True)
    compact = client.get(f"/widgets/{campaign}/{kind}?layout=compact").get_data(as_text=True)
    assert 'class="summary"' in full and 'class="summary"' not in compact
    assert compact.count("<h1") == 1


@pytest.mark.parametrize("layout", ["button", "full", "modal", ""])
def test_any_other_layout_is_the_full_page(client, campaign, layout):
    html = client.get(f"/widgets/{campaign}/petition?layout={layout}").get_data(as_text=True)
    assert 'class="summary"' in html and "layout-compact" not in html


def test_the_look_follows_the_supporter_through_the_widget(client, campaign):
    """From the panel to a form and back, and through a post without JavaScript."""
    html = client.get(f"/widgets/{campaign}/actions?lang=ur&{LOOK}&layout=compact").get_data(as_text=True)
    look = "accent=ffff00&amp;theme=dark&amp;radius=14&amp;font=serif&amp;layout=compact"
    coordinator = re.search(r'id="act-coordinator" href="([^"]+)"', html).group(1)
    assert coordinator.endswith(f"back=actions&amp;{look}#title"), coordinator
    form = client.get(coordinator.replace("&amp;", "&")).get_data(as_text=True)
    assert 'class="theme-dark font-serif"' in form and "layout-compact" in form
    assert re.search(rf'<form id="coordinator" method="post" novalidate\s+action="/widgets/{campaign}/coordinator\?{look}#result"', form)
    back = re.search(r'<p class="back"><a href="([^"]+)"', form).group(1)
    assert look in back
    answer = client.post(f"/widgets/{campaign}/coordinator?{LOOK}", data={"lang": "en", "name": ""})
    assert answer.status_code in (400, 422) and 'class="theme-dark font-serif"' in answer.get_data(as_text=True)
    assert allowed(answer.headers["Content-Security-Policy"], style_of(answer.get_data(as_text=True)))


def test_the_donate_page_keeps_its_checkout_form_target_with_a_look(app, client, campaign):
    response = client.get(f"/widgets/{campaign}/donate?{LOOK}")
    csp = response.headers["Content-Security-Policy"]
    assert app.config["STRIPE_CHECKOUT_ORIGIN"] in re.search(r"form-action ([^;]*)", csp).group(1)
    assert allowed(csp, style_of(response.get_data(as_text=True)))
