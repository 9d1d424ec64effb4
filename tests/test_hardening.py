"""Hostile requests through real gunicorn: a Host header Werkzeug cannot read, a signed Stripe
event nested absurdly deep. Each is a 4xx, and nothing reaches the log as a traceback."""
import json

import pytest
import requests
from sqlalchemy import func, select

from widget_service.extensions import db
from widget_service.models import Donation, Signature

from .builders import make_campaign
from .gunicorn_instance import served  # noqa: F401 (a fixture)
from .stripe_server import WEBHOOK_SECRET, event, signature_header

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


def deliver(url, payload):
    """A webhook call signed with the service's secret, as Stripe signs it."""
    headers = {"Stripe-Signature": signature_header(payload), "Content-Type": "application/json"}
    return requests.post(f"{url}/api/v1/stripe/webhook", data=payload.encode(), headers=headers, timeout=30)


def test_a_signed_stripe_event_nested_absurdly_deep_is_refused_without_a_traceback(service):
    def with_extra(extra):
        session = {"id": "cs_test_deep", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
                   "amount_total": 5000, "currency": "pkr", "metadata": {"msp_campaign_id": "1"}, "extra": "@"}
        return json.dumps(event("checkout.session.completed", session)).replace('"@"', extra)

    for opening, closing in (("[", "]"), ('{"a":', "}")):
        for depth in (600, 3000, 100_000):
            deep = deliver(service.url, with_extra(opening * depth + "1" + closing * depth))
            assert deep.status_code == 400 and deep.json()["error"] == "bad_webhook", (opening, depth, deep.text)
        # What nests like Stripe's own objects is read and recorded (once).
        shallow = deliver(service.url, with_extra(opening * 20 + "1" + closing * 20))
        assert shallow.status_code == 200, shallow.text
    assert rows(service.app, Donation) == 1
    assert_no_traceback(service)
