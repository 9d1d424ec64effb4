"""Accounts from the command line to the first sign-in: ``flask staff create`` prints a link;
following it, the person sets a password, enrols an authenticator (QR code as SVG, the secret
as text) and is shown recovery codes once. ``staff reset`` and ``staff disable`` end sessions."""
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select, update

from widget_service.console.models import AuditEntry, Staff
from widget_service.console.sessions import COOKIE_NAME
from widget_service.extensions import db
from widget_service.models import utcnow

from .conftest import PASSWORD, post_form, sign_in

PUBLIC_URL = "https://widgets.example.org"


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL=PUBLIC_URL)


def create(runner, email, role="viewer", command="create"):
    """Run ``flask staff create|reset``; the set-up link's path and query, as printed."""
    args = ["staff", command, email] + (["--role", role] if command == "create" else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    links = re.findall(r"https?://\S+", result.output)
    assert len(links) == 1 and links[0].startswith(f"{PUBLIC_URL}/console/setup?token=")
    parts = urlsplit(links[0])
    return f"{parts.path}?{parts.query}"


def set_up(client, link, password=PASSWORD):
    """Follow the link as the person would; returns (TOTP secret, recovery codes, the code used)."""
    response = client.get(link)
    assert response.status_code == 302 and "token" not in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Choose a password" in page.get_data(as_text=True)
    response = post_form(client, "/console/setup/password", {"password": password, "confirm": password}, token_from="/console/setup/password")
    assert response.status_code == 302
    html = client.get("/console/setup/authenticator").get_data(as_text=True)
    assert "<svg" in html and "</svg>" in html  # the QR code, drawn by the service
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    code = pyotp.TOTP(secret).now()
    response = post_form(client, "/console/setup/authenticator", {"code": code}, token_from="/console/setup/authenticator")
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes, code


def test_an_account_set_up_from_its_link_signs_in_with_both_factors(app, runner):
    link = create(runner, "Amina@MSP.example", "admin")
    client = app.test_client()
    secret, _, enrolled_with = set_up(client, link)
    assert client.get("/console/audit").status_code == 200  # signed in by the set-up
    assert post_form(client, "/console/sign-out", {}, token_from="/console/account").status_code == 302
    assert client.get("/console/audit").status_code == 302

    # The link is spent.
    assert app.test_client().get(link).status_code == 404
    # A password alone is not enough, nor an old code; a fresh one is.
    other = app.test_client()
    assert sign_in(other, "amina@msp.example", PASSWORD, "").status_code == 401
    assert sign_in(other, "amina@msp.example", PASSWORD, enrolled_with).status_code == 401  # used at set-up
    assert sign_in(other, "amina@msp.example", PASSWORD, pyotp.TOTP(secret).at(time.time() + 30)).status_code == 302
    result = runner.invoke(args=["staff", "list"])
    assert "amina@msp.example\tadmin\tactive" in result.output

    with app.app_context():
        actions = [(entry.actor, entry.action, entry.target) for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[0][1:] == ("staff.create", "amina@msp.example") and actions[0][0].startswith("cli:")
    assert ("amina@msp.example", "staff.setup", "amina@msp.example") in actions
    assert [action for _, action, _ in actions[1:]] == ["staff.setup_password", "staff.setup", "sign-out", "sign-in.failed", "sign-in.failed", "sign-in"]


def test_a_recovery_code_signs_in_once(app, runner):
    client = app.test_client()
    _, codes, _ = set_up(client, create(runner, "farah@msp.example"))
    assert sign_in(app.test_client(), "farah@msp.example", PASSWORD, codes[0].upper()).status_code == 302
    assert sign_in(app.test_client(), "farah@msp.example", PASSWORD, codes[0]).status_code == 401
    assert sign_in(app.test_client(), "farah@msp.example", PASSWORD, codes[1]).status_code == 302
    assert "Recovery codes left</dt><dd>8<" in client.get("/console/account").get_data(as_text=True)


def test_set_up_refuses_a_weak_password_and_a_wrong_code(app, runner):
    client = app.test_client()
    client.get(create(runner, "sana@msp.example"))
    for password, confirm in (("short", "short"), ("long enough password", "another long password")):
        response = post_form(client, "/console/setup/password", {"password": password, "confirm": confirm}, token_from="/console/setup/password")
        assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Staff.password_hash).where(Staff.email == "sana@msp.example")) is None
    # Straight to the authenticator without a password: back to step one.
    assert client.get("/console/setup/authenticator").headers["Location"].startswith("/console/setup/password")
    post_form(client, "/console/setup/password", {"password": PASSWORD, "confirm": PASSWORD}, token_from="/console/setup/password")
    response = post_form(client, "/console/setup/authenticator", {"code": "123456"}, token_from="/console/setup/authenticator")
    assert response.status_code == 422 and "<code>" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Staff.state).where(Staff.email == "sana@msp.example")) == "pending"


def test_a_link_older_than_a_day_opens_nothing(app, runner):
    link = create(runner, "old@msp.example")
    with app.app_context():
        db.session.execute(update(Staff).values(setup_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 404 and "more than a day old" in response.get_data(as_text=True)


def test_reset_ends_sessions_and_replaces_the_link_and_factors(app, runner):
    client = app.test_client()
    first_link = create(runner, "hina@msp.example", "admin")
    set_up(client, first_link)
    assert client.get("/console/audit").status_code == 200
    half_way = app.test_client()
    second_link = create(runner, "hina@msp.example", command="reset")
    assert client.get("/console/audit").status_code == 302  # the session ended server-side
    assert sign_in(app.test_client(), "hina@msp.example", PASSWORD, "000000").status_code == 401
    half_way.get(second_link)
    # A third link makes the half-used second one worthless too.
    third_link = create(runner, "hina@msp.example", command="reset")
    assert half_way.get("/console/setup/password").status_code == 404
    set_up(app.test_client(), third_link)
    assert "hina@msp.example\tadmin\tactive" in runner.invoke(args=["staff", "list"]).output


def test_disable_ends_sessions_and_refuses_sign_in_like_a_wrong_password(app, runner, staff):
    account = staff("admin")
    client = app.test_client()
    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    assert runner.invoke(args=["staff", "disable", account.email.upper()]).exit_code == 0
    assert client.get("/console/audit").status_code == 302
    refused = sign_in(app.test_client(), account.email, account.password, account.code())
    wrong = sign_in(app.test_client(), account.email, "wrong password!", account.code())
    assert refused.status_code == wrong.status_code == 401
    assert "disabled" in runner.invoke(args=["staff", "list"]).output


def test_commands_refuse_bad_input_and_change_nothing(app, runner):
    assert runner.invoke(args=["staff", "create", "not-an-address", "--role", "admin"]).exit_code == 1
    assert runner.invoke(args=["staff", "create", "a@msp.example", "--role", "owner"]).exit_code == 2
    assert runner.invoke(args=["staff", "disable", "nobody@msp.example"]).exit_code == 1
    assert runner.invoke(args=["staff", "reset", "nobody@msp.example"]).exit_code == 1
    create(runner, "dup@msp.example")
    result = runner.invoke(args=["staff", "create", "DUP@msp.example", "--role", "admin"])
    assert result.exit_code == 1 and "already" in result.output
    assert runner.invoke(args=["staff", "list"]).output.count("@") == 1


@pytest.mark.parametrize("email", ["@", "amina@", "@msp.example", "amina@msp", "amina msp@msp.example", "a" * 250 + "@msp.example"])
def test_create_refuses_what_is_not_an_email_address(runner, email):
    result = runner.invoke(args=["staff", "create", email, "--role", "viewer"])
    assert result.exit_code == 1 and "is not an email address" in result.output
    assert "@" not in runner.invoke(args=["staff", "list"]).output


def test_create_keeps_one_spelling_of_an_address_invisible_characters_dropped(app, runner):
    create(runner, "Pat\u034f@MSP.example")  # a combining grapheme joiner: printable, and invisible
    assert runner.invoke(args=["staff", "list"]).output.split("\t")[0] == "pat@msp.example"
    again = runner.invoke(args=["staff", "create", "pat@msp.example", "--role", "admin"])
    assert again.exit_code == 1 and "already" in again.output


def test_without_a_public_url_production_refuses_to_print_a_link(make_app):
    app = make_app(PUBLIC_URL="")
    result = app.test_cli_runner().invoke(args=["staff", "create", "x@msp.example", "--role", "viewer"])
    assert result.exit_code == 1 and "WIDGET_PUBLIC_URL" in result.output
    assert "x@msp.example" not in app.test_cli_runner().invoke(args=["staff", "list"]).output


def test_audit_tail_prints_the_last_entries(app, runner):
    for n in range(4):
        create(runner, f"person{n}@msp.example")
    lines = runner.invoke(args=["audit", "tail", "-n", "2"]).output.splitlines()
    assert len(lines) == 2 and lines[0].endswith("staff.create\tperson2@msp.example\t{'role': 'viewer'}")
    assert "person3@msp.example" in lines[1]


def test_a_session_id_planted_before_the_set_up_link_is_worth_nothing_after_it(app, runner):
    """An attack on the console found it: a session id planted before the set-up link was
    followed took over the new account."""

    def cookie(client):
        found = client.get_cookie(COOKIE_NAME, path="/console")
        return found.value if found else None

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
