"""Signing in and out of the console: two factors, server-side sessions that end on sign-out,
idleness and age, sign-in limits, the same answer for every kind of failure, headers that
keep console pages out of frames and caches, an audit log nobody can edit, and logs that
hold no address, password or token."""
import logging
import re
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from widget_service.console.models import AuditEntry
from widget_service.extensions import db

from .conftest import csrf_token, make_staff, post_form, sign_in


def test_signed_in_staff_reach_the_console_and_sign_out_ends_the_session(app, console_client):
    client = console_client("admin")
    assert client.get("/console/audit").status_code == 200
    cookie = client.get_cookie("msp_console", path="/console")
    response = post_form(client, "/console/sign-out", {}, token_from="/console/audit")
    assert response.status_code == 302 and "signed_out" in response.headers["Location"]
    assert "You have signed out" in client.get(response.headers["Location"]).get_data(as_text=True)
    # The old cookie, replayed by whoever copied it, opens nothing.
    thief = app.test_client()
    thief.set_cookie("msp_console", cookie.value, path="/console")
    assert thief.get("/console/audit").status_code == 302
    assert thief.post("/console/sign-out").status_code == 401


def test_signing_in_gives_a_new_session_id_and_csrf_token(app, staff):
    account = staff("viewer")
    client = app.test_client()
    old_token = csrf_token(client)
    before = client.get_cookie("msp_console", path="/console").value
    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    assert client.post("/console/sign-out", data={"csrf_token": old_token}).status_code == 400
    after = client.get_cookie("msp_console", path="/console").value
    assert after != before
    planted = app.test_client()  # somebody who had planted the pre-sign-in id
    planted.set_cookie("msp_console", before, path="/console")
    assert planted.get("/console/account").status_code == 302


def answer(response):
    """The page without its per-session token and the address typed back into the form."""
    html = response.get_data(as_text=True)
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    return re.sub(r'id="email" name="email"[^>]*>', "", html)


def test_every_failed_sign_in_gets_the_same_answer(app, staff, runner):
    account = staff("viewer")
    disabled = staff("viewer")
    runner.invoke(args=["staff", "disable", disabled.email])
    client = app.test_client()
    answers = [
        sign_in(client, "nobody@msp.example", account.password, account.code()),  # unknown account
        sign_in(client, account.email, "wrong password here", account.code()),  # wrong password
        sign_in(client, account.email, account.password, "000000"),  # wrong code
        sign_in(client, disabled.email, disabled.password, disabled.code()),  # disabled
    ]
    assert {response.status_code for response in answers} == {401}
    assert len({answer(response) for response in answers}) == 1
    assert client.get("/console/account").status_code == 302
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sign-in.failed").order_by(AuditEntry.id)).all()
        assert [entry.actor for entry in entries] == ["unknown account", account.email, account.email, disabled.email]
        # What was typed for an unknown account is not kept, only a keyed hash of it.
        assert "nobody" not in str([(entry.target, entry.details) for entry in entries])


@pytest.fixture
def karachi_clock(monkeypatch):
    """The process's local time zone is Pakistan's (a server set to local time)."""
    monkeypatch.setenv("TZ", "Asia/Karachi")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_codes_follow_the_clock_not_the_local_time_zone(app, staff, karachi_clock):
    account = staff("viewer")
    assert sign_in(app.test_client(), account.email, account.password, account.code()).status_code == 302


def test_a_code_is_accepted_once(app, staff):
    account = staff("viewer")
    code = account.code()
    assert sign_in(app.test_client(), account.email, account.password, code).status_code == 302
    assert sign_in(app.test_client(), account.email, account.password, code).status_code == 401


def limited(make_app, per_account, per_network):
    return make_app(
        RATELIMIT_ENABLED=True, CONSOLE_SIGN_IN_PER_ACCOUNT=f"{per_account} per 15 minutes",
        CONSOLE_SIGN_IN_PER_NETWORK=f"{per_network} per 15 minutes",
    )


def test_sign_in_is_limited_per_account(make_app):
    limited_app = limited(make_app, per_account=3, per_network=100)
    account = make_staff(limited_app, "viewer")
    client = limited_app.test_client()
    for _ in range(3):
        assert sign_in(client, account.email, "wrong password here", "000000").status_code == 401
    # Even the right password and code wait now, and the answer says why.
    refused = sign_in(client, account.email, account.password, account.code())
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    # Retry-After is when the account's window frees a slot (15 minutes after the first
    # attempt), not the sign-in page's own limit of a minute.
    assert 850 <= int(refused.headers["Retry-After"]) <= 900
    # An address nobody has is limited alike: the limit tells nothing about who has an account.
    for _ in range(3):
        assert sign_in(client, "nobody@msp.example", "x", "0").status_code == 401
    assert sign_in(client, "nobody@msp.example", "x", "0").status_code == 429


def test_sign_in_is_limited_per_network(make_app):
    limited_app = limited(make_app, per_account=100, per_network=6)
    client = limited_app.test_client()
    statuses = [sign_in(client, f"person{n}@msp.example", "x", "0").status_code for n in range(8)]
    assert statuses == [401] * 6 + [429] * 2
    assert 850 <= int(sign_in(client, "person9@msp.example", "x", "0").headers["Retry-After"]) <= 900
    # Another network is not held back by this one.
    other = limited_app.test_client()
    token_page = other.get("/console/sign-in", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page.get_data(as_text=True)).group(1)
    response = other.post(
        "/console/sign-in", data={"csrf_token": token, "email": "person9@msp.example", "password": "x", "code": "0"},
        environ_base={"REMOTE_ADDR": "192.0.2.9"},
    )
    assert response.status_code == 401


def test_the_sign_in_page_is_limited_per_network(make_app):
    app = make_app(RATELIMIT_ENABLED=True, CONSOLE_SIGN_IN_PAGES="3 per minute")
    client = app.test_client()
    assert [client.get("/console/sign-in").status_code for _ in range(4)] == [200, 200, 200, 429]
    other = app.test_client()
    assert other.get("/console/sign-in", environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 200


@pytest.fixture
def short_app(make_app):
    return make_app(CONSOLE_IDLE_SECONDS=2, CONSOLE_MAX_SECONDS=4)


def test_a_session_ends_after_its_idle_limit_and_its_total_limit(short_app):
    account = make_staff(short_app, "viewer")
    client = short_app.test_client()
    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    started = time.monotonic()
    # In use every half second, it outlives its idle limit...
    while time.monotonic() - started < 3:
        assert client.get("/console/account").status_code == 200
        time.sleep(0.5)
    # ...but not its total one.
    time.sleep(max(0, 4.2 - (time.monotonic() - started)))
    assert client.get("/console/account").status_code == 302

    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    assert client.get("/console/account").status_code == 200
    time.sleep(2.3)  # idle
    assert client.get("/console/account").status_code == 302


@pytest.mark.parametrize("path", ["/console/sign-in", "/console/audit", "/console/setup", "/console/no-such-page"])
def test_console_pages_are_never_framed_or_cached(client, path):
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_the_audit_log_refuses_updates_and_deletes(app, staff, console_client):
    console_client("admin")  # a sign-in: one entry at least
    with app.app_context():
        assert db.session.query(AuditEntry).count() >= 1
        for statement in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.query(AuditEntry).filter(AuditEntry.actor == "someone else").count() == 0


def test_the_audit_page_lists_entries_newest_first_in_pages(make_app):
    app = make_app(PUBLIC_URL="https://widgets.example.org")
    runner = app.test_cli_runner()
    for n in range(60):
        assert runner.invoke(args=["staff", "create", f"p{n:02}@msp.example", "--role", "viewer"]).exit_code == 0
    account = make_staff(app, "admin")
    client = app.test_client()
    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    first = client.get("/console/audit").get_data(as_text=True)
    assert "sign-in" in first and "Page 1 of 2" in first
    second = client.get("/console/audit?page=2").get_data(as_text=True)
    assert "p00@msp.example" in second and "p00@msp.example" not in first
    assert client.get("/console/audit?page=99").status_code == 200
    assert client.get("/console/audit?page=-1").status_code == 200


def test_logs_hold_no_email_password_token_or_address(app, staff, caplog, runner):
    caplog.set_level(logging.DEBUG)
    account = staff("admin")
    client = app.test_client()
    sign_in(client, account.email, "wrong password here", "000000")
    sign_in(client, account.email, account.password, account.code())
    post_form(client, "/console/sign-out", {}, token_from="/console/account")
    runner.invoke(args=["staff", "reset", account.email])
    logged = caplog.text
    for secret in (account.email, account.password, "wrong password here", account.secret, "127.0.0.1"):
        assert secret not in logged
