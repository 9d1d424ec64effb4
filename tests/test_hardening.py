"""Hostile requests through real gunicorn: a Host header Werkzeug cannot read is a 4xx, and
nothing reaches the log as a traceback."""

import pytest
import requests
from sqlalchemy import func, select

from widget_service.extensions import db
from widget_service.models import Signature

from .builders import make_campaign
from .gunicorn_instance import served  # noqa: F401 (a fixture)
from .stripe_server import WEBHOOK_SECRET

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SLUG = "hardening"
BAD_HOSTS = ["x..y", "a" * 64 + ".example.org", "."]
PUBLIC_URL = "https://widgets.example.org"


@pytest.fixture
def service(make_app, served):
    """The service under gunicorn, with a campaign and Stripe's webhook secret."""
    app = make_app()
    with app.app_context():
        make_campaign(slug=SLUG)
    instance = served(WIDGET_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, WIDGET_MAX_BODY_BYTES="16384")
    instance.app = app
    return instance


def rows(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def assert_no_traceback(instance):
    logs = instance.logs()
    assert "Traceback" not in logs and "Error handling request" not in logs, logs[-3000:]
    assert '" 500 ' not in logs


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_header_that_names_no_host_gets_400_on_every_path_without_a_traceback(service, host):
    requests_ = [
        ("GET", "/healthz"), ("GET", "/embed.js"), ("GET", f"/widgets/{SLUG}/petition"), ("GET", f"/c/{SLUG}"),
        ("GET", "/privacy"), ("GET", "/no/such/page"), ("GET", f"/unsubscribe/{'t' * 40}"),
        ("POST", f"/widgets/{SLUG}/petition"), ("GET", f"/api/v1/campaigns/{SLUG}/count"),
        ("POST", f"/api/v1/campaigns/{SLUG}/signatures"),
    ]
    for method, path in requests_:
        answer = requests.request(method, service.url + path, headers={"Host": host}, data="name=x", timeout=10)
        assert answer.status_code == 400, (path, answer.status_code, answer.text[:300])
        if path.startswith("/api/"):
            assert answer.json() == {"error": "bad_host", "message": "The Host header does not name a valid host."}
        else:
            assert answer.text == "The Host header does not name a valid host.\n"
    assert rows(service.app, Signature) == 0
    assert_no_traceback(service)
