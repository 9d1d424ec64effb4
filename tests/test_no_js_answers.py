"""Without JavaScript, the page that answers a widget form's post puts the answer in front of the
supporter: the form's action leads to ``#result``, the thank-you or the message there; the
message links to the first wrong field, which is also autofocused where the browser allows."""
import re

import pytest

ORIGIN = "https://ally.example.org"


def action(html, form_id):
    return re.search(rf'<form id="{form_id}"[^>]*action="([^"]+)"', html, re.S).group(1)


def result(html):
    """What the ``#result`` element holds (up to the next form or the end)."""
    start = html.index('id="result"')
    return html[start:html.find("<form", start) if "<form" in html[start:] else len(html)]


@pytest.mark.parametrize(("kind", "form_id"), [("petition", "sign"), ("coordinator", "coordinator"), ("notify", "notify")])
def test_every_form_posts_to_the_answer_of_its_own_page(client, campaign, kind, form_id):
    html = client.get(f"/widgets/{campaign}/{kind}?lang=ur").data.decode()
    assert action(html, form_id) == f"/widgets/{campaign}/{kind}#result"
    assert html.count('id="result"') == 1


@pytest.mark.parametrize(("lang", "message", "label"), [
    ("en", "Please correct the fields marked below, starting with", "Email"),
    ("ur", "براہِ کرم نیچے نشان زدہ خانوں کو درست کریں،", "ای میل"),
])
def test_a_refused_petition_links_to_and_focuses_the_first_wrong_field(widget, campaign, lang, message, label):
    response = widget.post_form(campaign, name="Ada", email="not an email", country="", lang=lang, origin=ORIGIN)
    assert response.status_code == 422
    html = response.data.decode()
    answer = result(html)
    assert message in answer and f'<a href="#f-email">{label}</a>' in answer, answer
    # The first wrong field in the page's order (email, then country) takes the focus.
    assert re.findall(r'<(?:input|select|textarea) id="(f-\w+)"[^>]* autofocus', html) == ["f-email"]
    assert html.count('id="result"') == 1


def test_a_signed_petition_answers_with_the_thank_you_at_the_anchor(widget, campaign):
    response = widget.post_form(campaign, name="Ada", email="ada@example.org", country="PK", origin=ORIGIN)
    html = response.data.decode()
    assert response.status_code == 200 and html.count('id="result"') == 1
    assert result(html).startswith('id="result" tabindex="-1"><section class="thanks" id="thanks"')


@pytest.mark.parametrize(("kind", "fields", "first"), [
    ("coordinator", {"name": "Ada", "email": "ada@example.org", "phone": "12", "region": ""}, "f-phone"),
    ("notify", {"email": "", "name": "x" * 101}, "f-email"),
])
def test_the_other_forms_link_to_their_first_wrong_field_too(widget, campaign, kind, fields, first):
    response = widget.post_form(campaign, kind, lang="en", **fields)
    assert response.status_code == 422
    html = response.data.decode()
    assert re.search(rf'starting with <a href="#{first}">[^<]+</a>\.', result(html)), result(html)
    assert re.findall(r'<(?:input|select|textarea) id="(f-\w+)"[^>]* autofocus', html) == [first]


@pytest.mark.parametrize("kind", ["coordinator", "notify"])
def test_the_other_forms_thank_at_the_anchor(widget, campaign, kind):
    fields = {"name": "Ada", "email": f"{kind}-thanks@example.org", "phone": "0300 1234567", "region": "PK-SD", "email_lang": "en"}
    response = widget.post_form(campaign, kind, lang="en", **fields)
    html = response.data.decode()
    assert response.status_code == 200 and html.count('id="result"') == 1
    assert 'class="thanks" id="thanks"' in result(html)
