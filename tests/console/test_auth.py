"""Signing in and out of the console, with two factors and server-side sessions."""
from .conftest import post_form, sign_in


def test_signed_in_staff_reach_the_console_and_sign_out_ends_the_session(app, console_client):
    client = console_client("admin")
    assert client.get("/console/audit").status_code == 200
    cookie = client.get_cookie("msp_console", path="/console")
    assert post_form(client, "/console/sign-out", {}, token_from="/console/audit").status_code == 302
    # The old cookie, replayed, opens nothing.
    thief = app.test_client()
    thief.set_cookie("msp_console", cookie.value, path="/console")
    assert thief.get("/console/audit").status_code == 302


def test_wrong_code_and_unknown_account_get_the_same_answer(app, staff):
    account = staff("viewer")
    client = app.test_client()
    wrong_code = sign_in(client, account.email, account.password, "000000")
    unknown = sign_in(client, "nobody@msp.example", account.password, account.code())
    assert wrong_code.status_code == unknown.status_code == 401
