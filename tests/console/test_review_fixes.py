"""Holes an attack on the console found: a session id planted before a set-up link was followed
took over the new account, and the language links answered 500 to some query arguments."""
import pytest

from widget_service.console.sessions import COOKIE_NAME

from .test_auth_setup import PUBLIC_URL, app, create  # noqa: F401


def cookie(client):
    found = client.get_cookie(COOKIE_NAME, path="/console")
    return found.value if found else None


def test_a_session_id_planted_before_the_set_up_link_is_worth_nothing_after_it(app, runner):
    link = create(runner, "amina@msp.example", "admin")
    attacker = app.test_client()
    attacker.get("/console/sign-in")
    planted = cookie(attacker)
    victim = app.test_client()
    victim.set_cookie(COOKIE_NAME, planted, path="/console")
    assert victim.get(link).status_code == 302
    assert cookie(victim) not in (None, planted), "the link gives the browser a new session id"
    assert victim.get("/console/setup/password").status_code == 200
    assert attacker.get("/console/setup/password").status_code == 404, "the planted id holds no set-up"


@pytest.mark.parametrize("query", ["endpoint=x", "_method=DELETE", "_external=1", "lang=xx&values=1"])
def test_the_language_links_take_any_query_without_a_500(app, query):
    response = app.test_client().get(f"/console/sign-in?{query}", headers={"Host": "evil.example"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "evil.example" not in page
    assert 'href="/console/sign-in?' in page and "lang=ur" in page
