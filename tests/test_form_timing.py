"""A form sent sooner after it was shown than a person types: autofill and password managers do
that, so the supporter is asked to send it again (or the captcha judges it), never thanked and
dropped; and however often a form is shown again, it counts from when it was first shown."""
import json
import re
import time
from types import SimpleNamespace

import pytest

from widget_service import protection
from widget_service.models import Signature

from . import captcha_server
from .builders import signature
from .conftest import Widget
from .test_protection import API, captcha_app, new_campaign, stored, token_issued, verify_server  # noqa: F401

ASKED_AGAIN = "Please check that your details are right, then send the form again."
# Far longer than a loaded machine takes between showing a form and taking it back, so "at once"
# is at once however slow the test runs; ``later`` moves the check's clock past it.
MIN_SECONDS = 30


@pytest.fixture
def timed_app(make_app):
    return make_app(FORM_MIN_SECONDS=MIN_SECONDS)


def later(monkeypatch, seconds=MIN_SECONDS + 1):
    """From now on the form checks see a clock ``seconds`` ahead (only theirs: nothing else's)."""
    monkeypatch.setattr(protection, "time", SimpleNamespace(time=lambda: time.time() + seconds))


def token_in(response):
    return re.search(r'name="form_token" value="([^"]+)"', response.data.decode()).group(1)


def test_a_form_sent_at_once_is_asked_for_again_and_stored_nowhere(timed_app):
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    widget = Widget(client)
    instant = widget.post_form(slug, name="Ali", email="ali@example.org", country="PK")
    assert instant.status_code == 400
    page = instant.data.decode()
    assert ASKED_AGAIN in page and 'value="ali@example.org"' in page, "the form comes back filled in"
    assert stored(timed_app) == [] and widget.count(slug) == 0


def test_a_form_sent_again_counts_once_the_supporter_has_had_it_for_long_enough(timed_app, monkeypatch):
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    widget = Widget(client)
    fields = dict(name="Ali", email="ali@example.org", country="PK")
    first = widget.post_form(slug, **fields)
    again_at_once = widget.post_form(slug, form_token=token_in(first), **fields)
    assert (first.status_code, again_at_once.status_code) == (400, 400), "a re-issued token is no pass"
    later(monkeypatch)
    after_a_while = widget.post_form(slug, form_token=token_in(again_at_once), **fields)
    assert after_a_while.status_code == 200 and "Thank you for signing!" in after_a_while.data.decode()
    assert [s.state for s in stored(timed_app)] == [Signature.COUNTED] and widget.count(slug) == 1


def test_the_api_answers_a_fast_form_with_a_message_and_a_token_that_keeps_the_time(timed_app):
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    token = Widget(client).form_token(slug)
    fast = client.post(API.format(slug), json=signature(form_token=token))
    body = fast.get_json()
    assert fast.status_code == 400 and body["error"] == "form_too_fast" and body["message"] == ASKED_AGAIN
    assert client.post(API.format(slug), json=signature(form_token=body["form_token"])).status_code == 400
    assert stored(timed_app) == []
    # The same answer in Urdu, for an Urdu form.
    urdu = client.post(API.format(slug) + "?lang=ur", json=signature(form_token=body["form_token"], lang="ur"))
    assert urdu.status_code == 400 and urdu.get_json()["message"] != ASKED_AGAIN


def test_with_the_captcha_on_a_fast_form_that_solves_it_is_counted(captcha_app):
    captcha_app.config["FORM_MIN_SECONDS"] = MIN_SECONDS
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    token = Widget(client).form_token(slug)
    unsolved = client.post(API.format(slug), json=signature(email="bot@example.org", form_token=token))
    assert unsolved.status_code == 400 and unsolved.get_json()["error"] == "captcha_failed"
    solved = client.post(API.format(slug), json=signature(
        email="ali@example.org", form_token=token, **{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    assert solved.status_code == 202, solved.get_json()
    assert [(s.email, s.state) for s in stored(captcha_app)] == [("ali@example.org", Signature.COUNTED)]


def test_a_form_shown_again_after_a_mistake_keeps_its_first_time(timed_app):
    """A bot that sends a wrong form at once, to be shown the form again, gains no time."""
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    widget = Widget(client)
    wrong = widget.post_form(slug, name="Bot", email="", country="PK")  # 422, sent at once
    assert wrong.status_code == 422
    flooded = widget.post_form(slug, name="Bot", email="bot@example.org", country="PK", form_token=token_in(wrong))
    assert flooded.status_code == 400 and stored(timed_app) == []


def test_a_person_correcting_a_mistake_is_counted_at_once(timed_app):
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    widget = Widget(client)
    first = widget.post_form(slug, name="Ali", email="ali@example.org", form_token=token_issued(timed_app, MIN_SECONDS + 10))
    assert first.status_code == 422
    fixed = widget.post_form(slug, name="Ali", email="ali@example.org", country="PK", form_token=token_in(first))
    assert fixed.status_code == 200 and [s.state for s in stored(timed_app)] == [Signature.COUNTED]
    # With JavaScript the widget sends the same token again, corrected.
    token = token_issued(timed_app, MIN_SECONDS + 10)
    mistake = client.post(API.format(slug), json=signature(email="zahra@example.org", country="", form_token=token))
    fixed = client.post(API.format(slug), json=signature(email="zahra@example.org", form_token=token))
    assert (mistake.status_code, fixed.status_code) == (422, 202)


def test_an_expired_form_shown_again_keeps_its_first_time_too(timed_app):
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    old = token_issued(timed_app, timed_app.config["FORM_MAX_AGE_SECONDS"] + 60, s=int(time.time()))
    expired = client.post(API.format(slug), json=signature(form_token=old))
    assert expired.status_code == 400 and expired.get_json()["error"] == "form_expired"
    # The old token says the form was shown just now (a forged claim cannot be made: it is signed).
    again = client.post(API.format(slug), json=signature(form_token=expired.get_json()["form_token"]))
    assert again.get_json()["error"] == "form_too_fast" and stored(timed_app) == []


BODIES = {
    "signatures": {"name": "Ali", "email": "ali@example.org", "country": "PK"},
    "coordinators": {"name": "Ali Raza", "email": "ali@example.org", "phone": "0300 1234567", "region": "PK-BA"},
    "subscriptions": {"email": "ali@example.org"},
}


@pytest.mark.parametrize("path", sorted(BODIES))
def test_a_token_no_codec_can_write_is_a_forged_one_not_a_500(timed_app, path):
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    body = json.dumps({**BODIES[path], "form_token": "\ud800"})  # a lone surrogate, escaped in JSON
    response = client.post(f"/api/v1/campaigns/{slug}/{path}", data=body, content_type="application/json")
    assert response.status_code == 202, "answered like any forged token"
