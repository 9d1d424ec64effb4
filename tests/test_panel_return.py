"""No dead ends: the coordinator, notify-me and donate widgets that the take-action panel opens
lead back to it, through a plain link (no JavaScript needed) that survives the form's post."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .test_actions import ORIGIN, Links

BACK_TEXT = {"en": "Back to all the ways to help", "ur": "مدد کے تمام طریقوں پر واپس جائیں"}
KINDS = ("coordinator", "notify", "donate")


def back_link(html, lang="en"):
    """The href of the page's way back to the panel, or None."""
    found = [a["href"] for a in Links(html).anchors if BACK_TEXT[lang] in a["text"]]
    assert len(found) <= 1, found
    return found[0] if found else None


def chosen(client, page_url, kind):
    """Follow the panel's link to ``kind`` from the page at ``page_url``."""
    href = Links(client.get(page_url).data.decode()).by_id(f"act-{kind}")["href"]
    response = client.get(href)
    assert response.status_code == 200, (kind, response.status_code)
    return href, response.data.decode()


@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_widget_the_panel_opens_leads_back_to_the_link_that_was_chosen(client, campaign, kind, lang):
    href, html = chosen(client, f"/widgets/{campaign}/actions?lang={lang}&origin={ORIGIN}&ref=ally", kind)
    assert urlsplit(href).fragment == "title" and 'id="title" tabindex="-1"' in html, "it opens at its focusable heading"
    back = urlsplit(back_link(html, lang))
    assert back.path == f"/widgets/{campaign}/actions" and back.fragment == f"act-{kind}"
    assert parse_qs(back.query) == {"lang": [lang], "origin": [ORIGIN], "ref": ["ally"]}, "the same ally, language, partner"
    # The way back comes first, before the heading, so it is the first stop for the keyboard.
    assert html.index(BACK_TEXT[lang]) < html.index('id="title"')
    # And it leads to the panel, where the link chosen is there to land on.
    panel = client.get(f"{back.path}?{back.query}").data.decode()
    assert f'id="act-{kind}"' in panel


@pytest.mark.parametrize("kind", KINDS)
def test_from_the_campaign_page_the_way_back_is_to_that_page(client, campaign, kind):
    _, html = chosen(client, f"/c/{campaign}?lang=ur&ref=ally~whatsapp", kind)
    back = urlsplit(back_link(html, "ur"))
    assert (back.path, back.fragment) == (f"/c/{campaign}", f"act-{kind}")
    assert parse_qs(back.query) == {"lang": ["ur"], "ref": ["ally~whatsapp"]}
    assert f'id="act-{kind}"' in client.get(f"{back.path}?{back.query}").data.decode()


@pytest.mark.parametrize("kind", ["coordinator", "notify"])
def test_the_way_back_outlives_the_forms_post_without_javascript(widget, campaign, kind):
    query = f"?lang=en&origin={ORIGIN}&ref=ally&back=actions"
    page = widget.client.get(f"/widgets/{campaign}/{kind}{query}").data.decode()
    assert '<input type="hidden" name="back" value="actions">' in page
    token = widget.form_token(campaign, kind=kind)  # as the widget's script asks for it
    fields = {"form_token": token, "lang": "en", "origin": ORIGIN, "ref": "ally", "back": "actions"}
    # Sent with a mistake: the form comes back, still with its way back.
    wrong = widget.client.post(f"/widgets/{campaign}/{kind}", data={**fields, "email": "not an email"})
    assert wrong.status_code == 422
    assert urlsplit(back_link(wrong.data.decode())).fragment == f"act-{kind}"
    # Sent right: the thank-you, and the way back to do more.
    right = {"name": "Ada Lovelace", "email": f"{kind}@example.org", "email_lang": "en", "phone": "0300 1234567", "region": "PK-BA"}
    token = re.search(r'name="form_token" value="([^"]+)"', wrong.data.decode()).group(1)
    done = widget.client.post(f"/widgets/{campaign}/{kind}", data={**fields, **right, "form_token": token})
    assert done.status_code == 200 and 'class="thanks"' in done.data.decode()
    back = urlsplit(back_link(done.data.decode()))
    assert back.path == f"/widgets/{campaign}/actions" and parse_qs(back.query)["origin"] == [ORIGIN]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("back", [None, "elsewhere", "https://evil.example/"])
def test_a_widget_opened_some_other_way_offers_no_way_back(client, campaign, kind, back):
    query = f"?lang=en&back={back}" if back else "?lang=en"
    html = client.get(f"/widgets/{campaign}/{kind}{query}").data.decode()
    assert back_link(html) is None and "evil.example" not in html
