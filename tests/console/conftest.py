"""Console fixtures: ``staff(role)`` makes a fully set-up account, ``console_client(role)`` a
test client signed in as one, ``sign_in`` signs a client in the way a person does (the TOTP
code computed with pyotp), ``post_form`` posts a console form with its CSRF token.

    def test_viewer_sees_totals(console_client):
        client = console_client("viewer")
        assert client.get("/console/").status_code == 302
        response = post_form(client, "/console/sign-out", {})
"""
import re
import secrets
import time

import pyotp
import pytest

from widget_service.console import accounts
from widget_service.extensions import db

PASSWORD = "correct horse battery staple"


class StaffAccount:
    """A set-up account as its owner knows it: email, role, password, TOTP secret, recovery codes."""

    def __init__(self, email, role, password, secret, recovery_codes):
        self.email = email
        self.role = role
        self.password = password
        self.secret = secret
        self.recovery_codes = recovery_codes
        self.last_step = 0

    def code(self):
        """A TOTP code the service will take: it accepts the previous, current or next time
        step's code, once per step, so successive sign-ins use successive steps. Never the
        previous one: the step may turn between here and the service's check."""
        while True:
            current = int(time.time() // 30)
            step = max(current, self.last_step + 1)
            if step <= current + 1:
                self.last_step = step
                return pyotp.TOTP(self.secret).at(step * 30)
            time.sleep(1)


def make_staff(app, role="viewer", email=None, password=PASSWORD):
    """A fully set-up account (the state ``flask staff create`` plus the set-up pages leave)."""
    email = email or f"{role}-{secrets.token_hex(4)}@msp.example"
    with app.app_context():
        staff, _ = accounts.create(email, role)
        accounts.set_password(staff, password)
        secret = accounts.new_totp_secret()
        accounts.store_totp_secret(staff, secret)
        codes = accounts.new_recovery_codes(staff)
        accounts.complete_setup(staff)
        db.session.commit()
    return StaffAccount(email, role, password, secret, codes)


def csrf_token(client, path="/console/sign-in"):
    """The CSRF token of the client's console session, as a page at ``path`` carries it."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path, data, token_from="/console/sign-in", **kwargs):
    """POST a console form the way the browser does: with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **data}, **kwargs)


def sign_in(client, email, password, code):
    """Sign ``client`` in through the sign-in form; returns the POST's response."""
    return post_form(client, "/console/sign-in", {"email": email, "password": password, "code": code})


@pytest.fixture
def staff(app):
    """Makes set-up accounts: ``staff("admin")`` -> a ``StaffAccount``."""

    def make(role="viewer", **kwargs):
        return make_staff(app, role, **kwargs)

    return make


@pytest.fixture
def console_client(app, staff):
    """Makes test clients signed in as a new account of a role: ``console_client("admin")``.
    The client's ``account`` is the ``StaffAccount``."""

    def make(role="viewer"):
        account = staff(role)
        client = app.test_client()
        response = sign_in(client, account.email, account.password, account.code())
        assert response.status_code == 302, response.get_data(as_text=True)
        client.account = account
        return client

    return make
