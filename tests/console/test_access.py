"""Every console route (tests/console/routes.py) as every kind of visitor: anonymous, viewer,
admin, a disabled account, a session expired by idleness or by age, and a post with a missing
or wrong CSRF token; each answer's exact status. No answer a viewer gets holds personal data."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from widget_service.console.models import ConsoleSession
from widget_service.extensions import db
from widget_service.models import utcnow

from .conftest import csrf_token
from .routes import IDENTITIES, ROUTES

# What supporters left through the public forms, which only admins may read.
PERSONAL = {"name": "Zarmina Qaiserani", "email": "zarmina.q@example.org", "comment": "Unique comment 4471", "phone": "0300 7654321"}


def seed_personal_data(client, slug):
    signing = {"name": PERSONAL["name"], "email": PERSONAL["email"], "country": "PK", "comment": PERSONAL["comment"]}
    assert client.post(f"/api/v1/campaigns/{slug}/signatures", json=signing).status_code in (201, 202)
    offer = {"name": PERSONAL["name"], "email": "other." + PERSONAL["email"], "phone": PERSONAL["phone"], "region": "PK-BA"}
    assert client.post(f"/api/v1/campaigns/{slug}/coordinators", json=offer).status_code == 202


def age_sessions(app, **ages):
    """Move every session's clock back (as if ``ages`` had passed since it was created or last used)."""
    now = utcnow()
    values = {f"{column}_at": now - age for column, age in ages.items()}
    with app.app_context():
        db.session.execute(update(ConsoleSession).values(**values))
        db.session.commit()


def visitor(identity, app, runner, staff, console_client):
    """A test client in the state ``identity`` names, and the CSRF token it sends with posts."""
    if identity == "anonymous":
        client = app.test_client()
        return client, csrf_token(client)
    role = "viewer" if identity in ("viewer", "disabled") else "admin"
    client = console_client(role)
    token = csrf_token(client, "/console/")
    if identity == "disabled":
        assert runner.invoke(args=["staff", "disable", client.account.email]).exit_code == 0
    elif identity == "expired_idle":
        age_sessions(app, last_seen=timedelta(minutes=30, seconds=5))
    elif identity == "expired_total":
        # Used a minute ago, but begun more than 12 hours ago.
        age_sessions(app, created=timedelta(hours=12, seconds=5), last_seen=timedelta(minutes=1))
    elif identity == "csrf_missing":
        token = None
    elif identity == "csrf_wrong":
        other = app.test_client()
        token = csrf_token(other)  # a good token, of another session
    return client, token


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_console_route_answers_each_visitor_with_the_exact_status(identity, app, runner, staff, console_client, campaign):
    seed_personal_data(app.test_client(), campaign)
    client, token = visitor(identity, app, runner, staff, console_client)
    got, expected = {}, {}
    for route in sorted(ROUTES, key=lambda route: route.ends_session):
        path = route.path.format(slug=campaign)
        if route.method == "GET":
            response = client.get(path)
        else:
            data = {name: value.format(slug=campaign) for name, value in route.data.items()}
            if token is not None:
                data["csrf_token"] = token
            response = client.open(path, method=route.method, data=data)
        key = f"{route.method} {route.path}"
        got[key], expected[key] = response.status_code, route.expected(identity)
        if response.status_code == 302 and route.expected(identity) == 302 and route.role != "public" and identity in ("anonymous", "disabled"):
            assert "/console/sign-in" in response.headers["Location"], key
        if identity == "viewer":
            body = response.get_data(as_text=True)
            leaked = [value for value in PERSONAL.values() if value in body]
            assert leaked == [], f"{key} shows a viewer personal data"
    assert got == expected
