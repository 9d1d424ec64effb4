"""Whatever arrives, the API answers with a client status and never a server error: any JSON
to the forms (hypothesis), and the whole API fuzzed from its OpenAPI document (schemathesis),
every answer as the document describes it and nothing stored by a refused request."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import request
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select
from werkzeug.serving import make_server

from widget_service.extensions import db
from widget_service.models import Signature

from .browser import ServerThread
from .builders import make_campaign

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=200),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(json_values, st.text(max_size=300), st.sampled_from(["PK", "ur", "en", "a@example.org", "on"]))
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={name: field_values for name in ("name", "email", "country", "region", "comment", "opt_in", "lang", "ref", "origin")},
    ),
)


def test_any_json_body_gets_a_client_answer(app):
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def sign(body):
        response = client.post(f"/api/v1/campaigns/{slug}/signatures", data=json.dumps(body), content_type="application/json")
        assert response.status_code in (202, 400, 422), (body, response.data)
        assert response.is_json

    sign()


supporter_values = st.one_of(
    field_values,
    st.sampled_from(["0300 1234567", "+44 7911 123456", "۰۳۰۰ ۱۲۳۴۵۶۷", "PK-BA", "outside", "GB", "ur"]),
)
supporter_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            name: supporter_values
            for name in ("name", "email", "phone", "region", "country", "note", "lang", "email_lang", "ref", "origin", "form_token")
        },
    ),
)


def test_any_json_body_to_the_coordinator_and_notify_forms_gets_a_client_answer(app):
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=supporter_bodies, path=st.sampled_from(["coordinators", "subscriptions"]))
    def send(body, path):
        response = client.post(f"/api/v1/campaigns/{slug}/{path}", data=json.dumps(body), content_type="application/json")
        assert response.status_code in (202, 400, 422), (body, response.data)
        assert response.is_json

    send()


# --- the whole API, from its OpenAPI document, by schemathesis ---------------------------------

# Schemathesis's checks, but for two that ask more of a JSON Schema than it can say here:
# positive_data_acceptance expects every schema-valid body to be taken, while the service also
# refuses (422) names without a letter, invalid phone numbers and addresses at special-use
# domains (name@x.test), and the webhook refuses (400) every event it cannot verify;
# negative_data_rejection expects a string over maxLength to be refused, while lengths are
# counted after control characters are removed and runs of spaces folded.
FUZZ_CHECKS = ["--checks", "all", "--exclude-checks", "positive_data_acceptance,negative_data_rejection"]
FUZZ_EXAMPLES = 40  # per operation and phase: about a minute here, in CI's budget


class StoredRows:
    """Flags any request answered with a 4xx or 5xx that changed the number of rows in a table."""

    def __init__(self, app):
        self.app, self.refused_but_stored = app, []
        app.before_request(self.before)
        app.after_request(self.after)

    def counts(self):
        with db.engine.connect() as connection:  # its own connection: the request's may have failed
            return {table.name: connection.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}

    def before(self):
        request.environ["test.rows"] = self.counts()

    def after(self, response):
        if response.status_code >= 400 and "test.rows" in request.environ:
            after = self.counts()
            if after != request.environ["test.rows"]:
                self.refused_but_stored.append((request.method, request.path, response.status_code, after))
        return response


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(make_app, tmp_path):
    app = make_app(STRIPE_WEBHOOK_SECRET="whsec_fuzz")  # the webhook checks signatures, not a 503
    with app.app_context():
        slug = make_campaign().slug
    stored = StoredRows(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    running = ServerThread(server)
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\nslug = "{slug}"\n')
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--no-color", "--config-file", str(config), "run",
        f"http://127.0.0.1:{server.server_port}/api/v1/openapi.json", *FUZZ_CHECKS,
        "--max-examples", str(FUZZ_EXAMPLES), "--workers", "1", "--generation-database", "none",
        "--request-timeout", "30",
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    finally:
        running.stop()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert re.search(r"Tested: [1-9]", run.stdout), run.stdout[-3000:]
    with app.app_context():
        assert stored.refused_but_stored == []
        assert stored.counts()[Signature.__tablename__] > 0  # the fuzzer did reach the forms' storing path
