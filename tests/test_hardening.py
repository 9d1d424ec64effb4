"""Hostile requests through real gunicorn: a Host header Werkzeug cannot read, a signed Stripe
event nested absurdly deep, chunked bodies over the limit, and Werkzeug's own redirects, which
must never be built on the Host header. Each is a 4xx (or a redirect to the public address), and
nothing reaches the log as a traceback."""
import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from widget_service.extensions import db
from widget_service.models import Coordinator, Donation, Signature, Subscription

from .builders import make_campaign, signature
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


def post_chunked(url, path, body, content_type, headers=None):
    """POST ``body`` with ``Transfer-Encoding: chunked`` (no Content-Length), 4 KB a chunk."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        chunks = (body[i:i + 4096] for i in range(0, len(body), 4096))
        connection.request("POST", path, body=chunks, headers={"Content-Type": content_type, **(headers or {})},
                           encode_chunked=True)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def padded_json(data, size):
    """``data`` as JSON, then spaces up to ``size`` bytes: cut anywhere past the object, still
    valid JSON, so a body cut at the limit would be taken for the whole."""
    text = json.dumps(data)
    return (text + " " * (size - len(text))).encode()


def padded_form(fields, size):
    """A urlencoded form whose last field pads it to ``size`` bytes: cut short, still a form."""
    text = "&".join(f"{name}={value}" for name, value in fields.items()) + "&padding="
    return (text + "x" * (size - len(text))).encode()


JSON_ROUTES = {
    "signatures": signature(email="chunked@example.org"),
    "coordinators": {"name": "Ali Raza", "email": "ali@example.org", "phone": "0300 1234567", "region": "PK-BA"},
    "subscriptions": {"email": "sub@example.org", "name": "Sana"},
}
FORM_ROUTES = ["petition", "coordinator", "notify", "donate"]


def test_a_chunked_body_over_the_limit_gets_413_on_every_post_route_and_changes_nothing(service):
    over = 40_000  # WIDGET_MAX_BODY_BYTES is 16384
    for route, data in JSON_ROUTES.items():
        for chunked in (True, False):  # as a body of stated length is
            body, path = padded_json(data, over), f"/api/v1/campaigns/{SLUG}/{route}"
            if chunked:
                status, answer = post_chunked(service.url, path, body, "application/json")
            else:
                response = requests.post(service.url + path, data=body, headers={"Content-Type": "application/json"})
                status, answer = response.status_code, response.content
            assert status == 413, (route, chunked, status, answer[:300])
            assert json.loads(answer)["error"] == "too_large"
    fields = {"name": "Pat", "email": "pat@example.org", "country": "PK", "phone": "03001234567", "region": "PK-BA",
              "amount": "1000", "currency": "PKR", "lang": "en"}
    for kind in FORM_ROUTES:
        status, answer = post_chunked(service.url, f"/widgets/{SLUG}/{kind}", padded_form(fields, over),
                                      "application/x-www-form-urlencoded")
        assert status == 413, (kind, status, answer[:300])
    for model in (Signature, Coordinator, Subscription):
        assert rows(service.app, model) == 0, model
    # Under the limit a chunked body is read whole, as before.
    status, answer = post_chunked(service.url, f"/api/v1/campaigns/{SLUG}/signatures",
                                  padded_json(signature(email="small@example.org"), 12_000), "application/json")
    assert status == 202, answer
    assert rows(service.app, Signature) == 1
    assert_no_traceback(service)


def test_the_webhook_keeps_its_own_larger_limit_for_chunked_events(service):
    def chunked_event(size):
        session = {"id": "cs_test_chunked", "object": "checkout.session", "mode": "payment", "payment_status": "unpaid",
                   "padding": "@"}
        payload = json.dumps(event("checkout.session.completed", session))
        payload = payload.replace('"@"', '"' + "x" * (size - len(payload)) + '"')
        return post_chunked(service.url, "/api/v1/stripe/webhook", payload.encode(), "application/json",
                            {"Stripe-Signature": signature_header(payload)})

    status, answer = chunked_event(200_000)  # over the forms' limit, under the webhook's 1 MB
    assert status == 200 and json.loads(answer)["outcome"] == "ignored: not a paid one-time session", answer
    status, answer = chunked_event(1_500_000)
    assert status == 413, answer[:300]
    assert_no_traceback(service)


@pytest.mark.parametrize("public_url", [PUBLIC_URL, ""])
def test_werkzeugs_own_redirects_never_name_the_host_header(make_app, public_url):
    """A merged double slash, or a folder's missing trailing slash (as the console's ``/console/``):
    to ``WIDGET_PUBLIC_URL``, or relative when it is not set, never to the Host a request named."""
    app = make_app(PUBLIC_URL=public_url)
    app.add_url_rule("/folder/", "folder", lambda: "a folder")
    with app.app_context():
        make_campaign(slug=SLUG)
    client = app.test_client()
    for path, target in [(f"/widgets/{SLUG}//petition?lang=ur&ref=ally", f"/widgets/{SLUG}/petition?lang=ur&ref=ally"),
                         (f"/unsubscribe//{'t' * 40}", f"/unsubscribe/{'t' * 40}"), ("/folder", "/folder/")]:
        answer = client.get(path, headers={"Host": "evil.example"})
        assert answer.status_code == 308, (path, answer.status_code)
        assert answer.headers["Location"] == public_url + target
        assert "evil.example" not in answer.get_data(as_text=True)
