"""What a security review of the console found, each fixed and tested here: guessing the second
factor from a stolen session, out-of-range dates, NUL bytes, and gaps in the audit log."""
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from widget_service.console.models import AuditEntry
from widget_service.extensions import db

from .conftest import PASSWORD, csrf_token, make_staff, post_form, sign_in
from .test_auth_setup import PUBLIC_URL, create, set_up


def actions(app, action_prefix=""):
    with app.app_context():
        return [
            (entry.action, entry.target, entry.details)
            for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if entry.action.startswith(action_prefix)
        ]


def signed_in(app, role="viewer"):
    account = make_staff(app, role)
    client = app.test_client()
    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    client.account = account
    return client


def test_new_recovery_codes_are_limited_and_failures_audited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, CONSOLE_CODE_CHECKS_PER_ACCOUNT="3 per 15 minutes")
    client = signed_in(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/account").get_data(as_text=True)).group(1)

    def guess(number):
        return client.post("/console/account/recovery-codes", data={"csrf_token": token, "code": f"{number:06d}"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(guess, range(40)))
    assert statuses.count(422) == 3 and statuses.count(429) == 37
    # Even the right code waits now, and the page says why.
    refused = post_form(client, "/console/account/recovery-codes", {"code": client.account.code()}, token_from="/console/account")
    assert refused.status_code == 429 and "Too many codes tried" in refused.get_data(as_text=True)
    assert 850 <= int(refused.headers["Retry-After"]) <= 900  # the code checks' window, 15 minutes
    audited = [action for action, target, _ in actions(app, "staff.recovery-codes") if target == client.account.email]
    assert audited.count("staff.recovery-codes.failed") == 3
    assert audited.count("staff.recovery-codes.limited") == 38
    assert "staff.recovery-codes" not in audited


def audit_count(app):
    with app.app_context():
        return db.session.query(AuditEntry).count()


@pytest.mark.parametrize("fields, field", [
    ({"until": "9999-12-31"}, "until"),
    ({"since": "0001-01-01"}, "since"),
    ({"since": "0001-01-01", "until": "9999-12-31"}, "since"),
])
def test_an_export_at_the_calendars_ends_is_refused_beside_the_field_and_not_audited(app, campaign, console_client, fields, field):
    admin = console_client("admin")
    token = csrf_token(admin, "/console/exports")
    before = audit_count(app)
    response = admin.post("/console/exports", data={"csrf_token": token, "campaign": campaign, "kind": "signatures", **fields})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert audit_count(app) == before


@pytest.mark.parametrize("since, until", [
    ("0001-01-01T00:00", "0001-01-02T00:00"),
    ("0001-01-01T06:00", "0001-01-02T00:00"),
    ("", "0001-01-01T06:00"),
])
def test_moderation_at_the_calendars_start_is_refused_beside_the_field(app, campaign, widget, console_client, since, until):
    assert widget.sign(campaign).status_code == 202
    admin = console_client("admin")
    page = admin.get(f"/console/moderation?campaign={campaign}&since={since}&until={until}")
    assert page.status_code == 422 and 'class="field-error"' in page.get_data(as_text=True)
    token = csrf_token(admin, "/console/moderation")
    before = audit_count(app)
    posted = admin.post("/console/moderation/hold", data={"csrf_token": token, "campaign": campaign, "since": since or "0001-01-01T00:00", "expected": "1"})
    assert posted.status_code == 422
    assert widget.count(campaign) == 1 and audit_count(app) == before


@pytest.mark.parametrize("closes_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_closing_time_at_the_calendars_ends_is_refused_beside_the_field(app, client, campaign, console_client, closes_at):
    admin = console_client("admin")
    token = csrf_token(admin, "/console/campaigns")
    before, audited = client.get(f"/api/v1/campaigns/{campaign}").get_json(), audit_count(app)
    response = admin.post(f"/console/campaigns/{campaign}/texts", data={
        "csrf_token": token, "title_en": "Changed", "goal": "10", "closes_at": closes_at,
    })
    assert response.status_code == 422 and 'id="closes_at-error"' in response.get_data(as_text=True)
    assert client.get(f"/api/v1/campaigns/{campaign}").get_json() == before and audit_count(app) == audited


def test_a_nul_in_the_sign_in_address_is_an_unknown_account(app, staff):
    account = staff("viewer")
    for email in ("x@example.org\x00", account.email + "\x00"):
        response = sign_in(app.test_client(), email, account.password, account.code())
        assert response.status_code == 401
        assert "do not match an account" in response.get_data(as_text=True)
    assert [action for action, _, _ in actions(app, "sign-in")] == ["sign-in.failed"] * 2


def test_nul_bytes_in_partner_names_domains_and_keys_are_refused_not_500(app, campaign, console_client):
    admin = console_client("admin")
    created = post_form(admin, "/console/partners", {"key": "nul-ally", "name": "N\x00ull", "contact_email": "a@ally.example"})
    assert created.status_code == 303
    assert ">Null<" in admin.get("/console/partners/nul-ally").get_data(as_text=True)
    empty = post_form(admin, "/console/partners", {"key": "nul-two", "name": "\x00\x00", "contact_email": "a@ally.example"})
    assert empty.status_code == 422 and 'id="name-error"' in empty.get_data(as_text=True)
    assert admin.get("/console/partners/nul-two").status_code == 404
    page = admin.get(f"/console/moderation?campaign={campaign}&domain=a%00b")
    assert page.status_code == 422 and 'id="domain-error"' in page.get_data(as_text=True)
    assert admin.get("/console/partners/a%00b").status_code == 404


def test_the_set_up_password_and_a_recovery_code_sign_in_are_audited(make_app):
    app = make_app(PUBLIC_URL=PUBLIC_URL)
    link = create(app.test_cli_runner(), "amina@msp.example", "viewer")
    secret, codes, _ = set_up(app.test_client(), link)
    setup_rows = [action for action, target, _ in actions(app, "staff.setup") if target == "amina@msp.example"]
    assert setup_rows == ["staff.setup_password", "staff.setup"]
    assert sign_in(app.test_client(), "amina@msp.example", PASSWORD, codes[0]).status_code == 302
    account = make_staff(app, "viewer")
    assert sign_in(app.test_client(), account.email, account.password, account.code()).status_code == 302
    signed = {target: details for action, target, details in actions(app, "sign-in") if action == "sign-in"}
    assert signed == {"amina@msp.example": {"second_factor": "recovery-code"}, account.email: {"second_factor": "totp"}}


def test_removing_an_origin_the_partner_never_had_changes_and_audits_nothing(app, console_client):
    admin = console_client("admin")
    created = post_form(admin, "/console/partners", {
        "key": "ally-o", "name": "Ally", "contact_email": "a@ally.example", "origins": "https://ally.example",
    })
    assert created.status_code == 303
    before = actions(app, "partner.")
    refused = post_form(admin, "/console/partners/ally-o/origins", {"action": "remove", "origin": "https://never.example"},
                        token_from="/console/partners/ally-o")
    assert refused.status_code == 422 and "nothing changed" in refused.get_data(as_text=True)
    assert actions(app, "partner.") == before
    removed = post_form(admin, "/console/partners/ally-o/origins", {"action": "remove", "origin": "https://ally.example"},
                        token_from="/console/partners/ally-o")
    assert removed.status_code == 303
    assert actions(app, "partner.")[-1] == ("partner.origin_remove", "ally-o", {"origin": "https://ally.example"})


def test_the_export_audit_keeps_the_filters_applied_not_the_forms_text(app, campaign, console_client):
    admin = console_client("admin")
    token = csrf_token(admin, "/console/exports")
    for kind, extra in (("donations", {"state": "x" * 5000, "subscribers": "y" * 100}), ("signatures", {"subscribers": "z" * 100})):
        response = admin.post("/console/exports", data={
            "csrf_token": token, "campaign": campaign, "kind": kind, "since": " 2025-03-01 ", **extra,
        })
        assert response.status_code == 200
        response.get_data()
    assert [(action, details) for action, _, details in actions(app, "export.")] == [
        ("export.donations", {"since": "2025-03-01"}),
        ("export.signatures", {"since": "2025-03-01", "state": "counted"}),
    ]


@pytest.mark.parametrize("query", ["endpoint=x", "_method=DELETE", "_external=1", "lang=xx&values=1"])
def test_the_language_links_take_any_query_without_a_500(app, query):
    """An attack on the console found the language links answering 500 to some arguments."""
    response = app.test_client().get(f"/console/sign-in?{query}", headers={"Host": "evil.example"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "evil.example" not in page
    assert 'href="/console/sign-in?' in page and "lang=ur" in page
