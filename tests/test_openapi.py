"""The OpenAPI document (widget_service/openapi.json) against the app: a valid OpenAPI 3.1
document, served at /api/v1/openapi.json, naming exactly the app's /api/v1 routes, and every
status it documents produced by a real request whose answer it describes (openapi-core)."""
import io
import json
import re
import time
import uuid
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from werkzeug.wrappers import Request

from widget_service.campaigns import close_campaign, find_campaign
from widget_service.validation import country_codes

from . import services
from .builders import make_campaign, signature
from .stripe_server import WEBHOOK_SECRET, event, signature_header

DOCUMENT = Path(__file__).resolve().parent.parent / "widget_service" / "openapi.json"
SPEC = json.loads(DOCUMENT.read_text())
OPENAPI = OpenAPI.from_dict(SPEC)
METHODS = ("get", "post", "put", "patch", "delete")

SUMMARY = "/api/v1/campaigns/{slug}"
COUNT = "/api/v1/campaigns/{slug}/count"
TOKENS = "/api/v1/campaigns/{slug}/form-tokens/{kind}"
WEBHOOK = "/api/v1/stripe/webhook"
DOC = "/api/v1/openapi.json"
# form path -> (the widget page's kind, a valid body)
FORMS = {
    "/api/v1/campaigns/{slug}/signatures": ("petition", lambda: signature()),
    "/api/v1/campaigns/{slug}/coordinators": (
        "coordinator", lambda: {**signature(), "phone": "0300 1234567", "region": "PK-BA", "country": None},
    ),
    "/api/v1/campaigns/{slug}/subscriptions": ("notify", lambda: {"email": signature()["email"], "email_lang": "ur"}),
}
CAPTCHA_ON = {"HCAPTCHA_SITEKEY": "10000000-ffff-ffff-ffff-000000000001", "HCAPTCHA_SECRET": "0x" + "0" * 40}


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: what the answers look like does not depend on the database (the fault
    scenarios name a PostgreSQL server that is not there), and this file makes many apps."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}", {"connect_args": {"timeout": 15}}


def dead_database():
    """Settings naming a PostgreSQL server that is not there: every query fails to connect."""
    url = f"postgresql+psycopg://msp@127.0.0.1:{services.free_port()}/test"
    return {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}}


def backdated_token(app, kind, seconds_ago):
    """A ``kind`` form token as the service would have issued it ``seconds_ago``."""

    class Backdated(TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - seconds_ago)

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=f"msp-form-token:{kind}", signer=Backdated)
    return serializer.dumps({"n": uuid.uuid4().hex})


def page_token(client, slug, kind):
    """A fresh token, as the widget's script asks for one."""
    return client.post(f"/api/v1/campaigns/{slug}/form-tokens/{kind}").get_json()["form_token"]


def post_event(client, payload, secret=WEBHOOK_SECRET):
    return client.post(WEBHOOK, data=payload, content_type="application/json",
                       headers={"Stripe-Signature": signature_header(payload, secret)})


# Each scenario: (method, documented path, expected status, app settings, request). The request
# gets the app, its client and a campaign's slug, and returns the response.
SCENARIOS = {
    "summary": ("get", SUMMARY, 200, {}, lambda app, c, s: c.get(f"/api/v1/campaigns/{s}?lang=ur")),
    "summary of an unknown campaign": ("get", SUMMARY, 404, {}, lambda app, c, s: c.get("/api/v1/campaigns/no-such")),
    "summary with the database away": ("get", SUMMARY, 503, "dead", lambda app, c, s: c.get(f"/api/v1/campaigns/{s}")),
    "count": ("get", COUNT, 200, {}, lambda app, c, s: c.get(f"/api/v1/campaigns/{s}/count", headers={"Origin": "https://ally.example"})),
    "count not modified": ("get", COUNT, 304, {}, lambda app, c, s: c.get(
        f"/api/v1/campaigns/{s}/count", headers={"If-None-Match": c.get(f"/api/v1/campaigns/{s}/count").headers["ETag"]})),
    "count of an unknown campaign": ("get", COUNT, 404, {}, lambda app, c, s: c.get("/api/v1/campaigns/no-such/count")),
    "count with the database away": ("get", COUNT, 503, "dead", lambda app, c, s: c.get(f"/api/v1/campaigns/{s}/count")),
    "document": ("get", DOC, 200, {}, lambda app, c, s: c.get(DOC)),
    "document not modified": ("get", DOC, 304, {}, lambda app, c, s: c.get(DOC, headers={"If-None-Match": c.get(DOC).headers["ETag"]})),
    "form token": ("post", TOKENS, 200, {}, lambda app, c, s: c.post(TOKENS.replace("{slug}", s).replace("{kind}", "notify"))),
    "form token of an unknown campaign": ("post", TOKENS, 404, {}, lambda app, c, s: c.post("/api/v1/campaigns/no-such/form-tokens/petition")),
    "form token rate limited": ("post", TOKENS, 429, {"RATELIMIT_ENABLED": True, "RATELIMIT_IP_BURST": "1 per minute"}, lambda app, c, s: [
        c.post(TOKENS.replace("{slug}", s).replace("{kind}", "donate")) for _ in range(2)][-1]),
    "form token with the database away": ("post", TOKENS, 503, "dead", lambda app, c, s: c.post(
        TOKENS.replace("{slug}", s).replace("{kind}", "petition"))),
    "webhook event": ("post", WEBHOOK, 200, {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}, lambda app, c, s: post_event(
        c, json.dumps(event("customer.created", {"id": "cus_1", "object": "customer"})))),
    "webhook forged": ("post", WEBHOOK, 400, {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}, lambda app, c, s: post_event(
        c, json.dumps(event("invoice.paid", {"id": "in_1"})), secret="whsec_forged")),
    "webhook too large": ("post", WEBHOOK, 413, {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}, lambda app, c, s: post_event(
        c, json.dumps(event("invoice.paid", {"id": "in_1", "lines": "x" * (1024 * 1024)})))),
    "webhook without a secret": ("post", WEBHOOK, 503, {}, lambda app, c, s: post_event(c, json.dumps(event("invoice.paid", {})))),
}


def from_elsewhere(path, body=None):
    """A request from a site that is no partner's, to a campaign whose embed policy is ``partners``."""
    def send(app, client, slug):
        assert app.test_cli_runner().invoke(args=["partners", "policy", slug, "partners"]).exit_code == 0
        extra = {} if body is None else {"json": body()}
        return client.post(path.replace("{slug}", slug), headers={"Origin": "https://elsewhere.example"}, **extra)

    return send


SCENARIOS["form token from a site no partner registered"] = (
    "post", TOKENS, 403, {}, from_elsewhere(TOKENS.replace("{kind}", "petition")))


def form_scenarios(path, kind, body):
    url = lambda slug: path.replace("{slug}", slug)  # noqa: E731

    def flood(app, client, slug):
        client.post(url(slug), json=body())
        return client.post(url(slug), json=body())

    def closed(app, client, slug):
        with app.app_context():
            close_campaign(find_campaign(slug))
        return client.post(url(slug), json=body())

    name = path.rsplit("/", 1)[1]
    return {
        f"{name}: accepted": ("post", path, 202, {}, lambda app, c, s: c.post(url(s), json=body())),
        f"{name}: accepted with the captcha solved": (
            "post", path, 202, "captcha", lambda app, c, s: c.post(url(s), json={**body(), "h-captcha-response": PASSING})),
        f"{name}: not a JSON object": ("post", path, 400, {}, lambda app, c, s: c.post(url(s), data="[1", content_type="application/json")),
        f"{name}: captcha missing": ("post", path, 400, CAPTCHA_ON, lambda app, c, s: c.post(url(s), json=body())),
        f"{name}: captcha refused": (
            "post", path, 400, "captcha", lambda app, c, s: c.post(url(s), json={**body(), "h-captcha-response": "wrong"})),
        f"{name}: form expired": ("post", path, 400, {}, lambda app, c, s: c.post(
            url(s), json={**body(), "form_token": backdated_token(app, kind, app.config["FORM_MAX_AGE_SECONDS"] + 60)})),
        f"{name}: form too fast": ("post", path, 400, {"FORM_MIN_SECONDS": 60}, lambda app, c, s: c.post(
            url(s), json={**body(), "form_token": page_token(c, s, kind)})),
        f"{name}: from a site no partner registered": ("post", path, 403, {}, from_elsewhere(path, body)),
        f"{name}: unknown campaign": ("post", path, 404, {}, lambda app, c, s: c.post(url("no-such"), json=body())),
        f"{name}: campaign closed": ("post", path, 409, {}, closed),
        f"{name}: too large": ("post", path, 413, {}, lambda app, c, s: c.post(url(s), json={**body(), "note": "x" * 20_000})),
        f"{name}: not JSON": ("post", path, 415, {}, lambda app, c, s: c.post(url(s), data={"email": "a@example.org"})),
        f"{name}: invalid fields": ("post", path, 422, {}, lambda app, c, s: c.post(url(s), json={"email": "nobody", "name": 7})),
        f"{name}: rate limited": ("post", path, 429, {"RATELIMIT_ENABLED": True, "RATELIMIT_IP_BURST": "1 per minute"}, flood),
        f"{name}: captcha service down": ("post", path, 503, {**CAPTCHA_ON, "HCAPTCHA_VERIFY_URL": "dead"}, lambda app, c, s: c.post(
            url(s), json={**body(), "h-captcha-response": PASSING})),
        f"{name}: database away": ("post", path, 503, "dead", lambda app, c, s: c.post(url(s), json=body())),
    }


PASSING = "10000000-aaaa-bbbb-cccc-000000000001"
for _path, (_kind, _body) in FORMS.items():
    SCENARIOS.update(form_scenarios(_path, _kind, _body))


def keep_bodies(app):
    """Keep the last request's body: the webhook reads its body unbuffered, and the document's
    validator reads the request again. Returns the request as sent, to read again."""
    inner, last = app.wsgi_app, {}

    def middleware(environ, start_response):
        last.update(environ=dict(environ), body=environ["wsgi.input"].read())
        environ["wsgi.input"] = io.BytesIO(last["body"])
        return inner(environ, start_response)

    app.wsgi_app = middleware
    return lambda: Request({**last["environ"], "wsgi.input": io.BytesIO(last["body"])})


def documented_statuses():
    return {
        (path, method, int(status))
        for path, item in SPEC["paths"].items()
        for method, operation in item.items() if method in METHODS
        for status in operation["responses"]
    }


def test_the_document_is_valid_openapi_3_1():
    validate(SPEC)  # raises on any error
    assert SPEC["openapi"].startswith("3.1.")


def test_it_is_served_as_kept_cacheable_and_readable_from_any_origin(client):
    response = client.get(DOC, headers={"Origin": "https://ally.example"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == SPEC
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(DOC, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_every_api_route_is_documented_and_every_documented_operation_is_a_route(app):
    routes = {
        (re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in SPEC["paths"].items() for method in item if method in METHODS}
    assert routes == documented


def test_the_documented_countries_are_the_ones_the_service_takes():
    assert SPEC["components"]["schemas"]["Country"]["enum"] == sorted(country_codes())


def test_every_documented_status_has_a_scenario_and_every_scenario_a_documented_status():
    exercised = {(path, method, status) for method, path, status, _config, _send in SCENARIOS.values()}
    assert exercised == documented_statuses()


@pytest.mark.parametrize("name", SCENARIOS)
def test_real_answers_match_the_document(make_app, name):
    method, path, status, config, send = SCENARIOS[name]
    captcha = None
    if config == "dead":
        app = make_app(create_schema=False, **dead_database())
        slug = "hazara-quetta"
    else:
        if config == "captcha":
            from .captcha_server import CaptchaServer

            captcha = CaptchaServer(hostname="localhost")  # the test client's host
            config = {**CAPTCHA_ON, "HCAPTCHA_VERIFY_URL": f"{captcha.url}/siteverify"}
        elif config.get("HCAPTCHA_VERIFY_URL") == "dead":
            config = {**config, "HCAPTCHA_VERIFY_URL": f"http://127.0.0.1:{services.free_port()}/siteverify"}
        app = make_app(**config)
        with app.app_context():
            slug = make_campaign().slug
    last_request = keep_bodies(app)
    try:
        response = send(app, app.test_client(), slug)
    finally:
        if captcha:
            captcha.stop()
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    request = WerkzeugOpenAPIRequest(last_request())
    OPENAPI.validate_response(request, WerkzeugOpenAPIResponse(response))
    if status < 300 and method == "post":
        OPENAPI.validate_request(request)  # what the tests send as valid is valid by the document
    if status >= 400:
        assert response.is_json and response.get_json()["message"]
