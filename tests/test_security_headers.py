"""Security headers on every route (listed from the app's url_map: a new route without a row here
fails) and on the error pages, as one table: Content-Security-Policy and its frame-ancestors
(widget pages frameable by any site, nothing else), X-Content-Type-Options, Referrer-Policy,
Permissions-Policy, Cross-Origin-Opener-Policy on top-level pages, Cache-Control, no cookie
outside /console, and Strict-Transport-Security when the public URL is https."""
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from widget_service.extensions import db
from widget_service.models import Subscription
from widget_service.subscriptions import unsubscribe_token

from .builders import make_campaign, signature
from .console.conftest import make_staff, sign_in
from .console.routes import ROUTES as CONSOLE_ROUTES

HTTPS = {"PUBLIC_URL": "https://widgets.example.org"}
PUBLIC, NO_STORE, NO_CACHE = "public", "no-store", "no-cache"  # what a GET's Cache-Control starts with
# The pages every visitor shares (widget pages, the campaign page): kept briefly, served stale
# while revalidated or while the service is down.
SHARED = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"
# Error pages that are safe to keep: an unknown campaign's, the same for everyone.
SHARED_ERRORS = {"/c/no-such-campaign", "/widgets/no-such-campaign/petition"}
TOO_LARGE = "x" * 20_000
REFERRER_POLICIES = {"strict-origin-when-cross-origin", "same-origin", "no-referrer", "strict-origin"}
OFF = ("camera", "microphone", "geolocation", "payment", "usb")

# (method, path, request keywords, Cache-Control of a successful GET). ``{slug}`` is an open
# campaign's, ``{token}`` a subscription's link token.
ROWS = [
    ("GET", "/", {}, PUBLIC),
    ("GET", "/favicon.ico", {}, PUBLIC),
    ("GET", "/healthz", {}, NO_STORE),
    ("GET", "/privacy?lang=ur", {}, NO_STORE),
    ("GET", "/static/widget.css", {}, NO_CACHE),
    ("GET", "/static/widget.css?v=1", {}, PUBLIC),
    ("GET", "/embed.js", {}, PUBLIC),
    ("GET", "/embed/modal.js", {}, PUBLIC),
    ("GET", "/embed/{slug}/refusal?origin=https://ally.example", {}, None),
    ("GET", "/partners/stats/not-a-token", {}, None),
    ("GET", "/embed/{slug}?kind=donate&widget_lang=ur", {}, NO_CACHE),
    ("GET", "/allies/static/builder.js", {}, NO_CACHE),
    ("GET", "/c/{slug}", {}, SHARED),
    ("GET", "/c/{slug}/report", {}, None),
    ("GET", "/c/{slug}/card.png", {}, PUBLIC),
    ("GET", "/widgets/{slug}/petition?lang=ur", {}, SHARED),
    ("POST", "/widgets/{slug}/petition", {"data": signature()}, None),
    ("GET", "/widgets/{slug}/actions", {}, SHARED),
    ("GET", "/widgets/{slug}/counter?lang=ur", {}, SHARED),
    ("GET", "/widgets/{slug}/coordinator", {}, SHARED),
    ("POST", "/widgets/{slug}/coordinator", {"data": {"name": "Bilal"}}, None),
    ("GET", "/widgets/{slug}/notify", {}, SHARED),
    ("POST", "/widgets/{slug}/notify", {"data": {"email": "sana@example.org"}}, None),
    ("GET", "/widgets/{slug}/donate", {}, SHARED),
    ("POST", "/widgets/{slug}/donate", {"data": {"currency": "USD", "amount": "2500"}}, None),
    ("GET", "/widgets/{slug}/donate/thanks", {}, NO_STORE),
    ("GET", "/widgets/{slug}/donate/cancelled", {}, NO_STORE),
    ("GET", "/unsubscribe/{token}", {}, NO_STORE),
    ("POST", "/unsubscribe/{token}", {}, None),
    ("POST", "/unsubscribe/{token}/resubscribe", {}, None),
    ("GET", "/confirm/{token}", {}, NO_STORE),
    ("POST", "/confirm/{token}", {}, None),
    ("GET", "/supporters/confirm/not-a-token", {}, None),
    ("POST", "/supporters/confirm/not-a-token", {}, None),
    ("GET", "/supporters/not-me/not-a-token", {}, None),
    ("POST", "/supporters/not-me/not-a-token", {}, None),
    ("GET", "/api/v1/campaigns/{slug}", {}, PUBLIC),
    ("GET", "/api/v1/campaigns/{slug}/count", {}, PUBLIC),
    ("GET", "/api/v1/openapi.json", {}, PUBLIC),
    ("POST", "/api/v1/campaigns/{slug}/signatures", {"json": signature()}, None),
    ("POST", "/api/v1/campaigns/{slug}/coordinators", {"json": {"email": "x"}}, None),
    ("POST", "/api/v1/campaigns/{slug}/subscriptions", {"json": {"email": "ayesha@example.org"}}, None),
    ("POST", "/api/v1/campaigns/{slug}/form-tokens/petition", {}, None),
    ("POST", "/api/v1/stripe/webhook", {"data": "{}", "headers": {"Stripe-Signature": "t=1,v1=0"}}, None),
]
# The error pages, HTML and JSON: 404, 405 and 413 here; 429 in their own test below.
ERRORS = [
    ("GET", "/no-such-page", {}, 404),
    ("GET", "/c/no-such-campaign", {}, 404),
    ("GET", "/widgets/{slug}/no-such-kind", {}, 404),
    ("GET", "/widgets/no-such-campaign/petition", {}, 404),
    ("GET", "/api/v1/no-such-thing", {}, 404),
    ("GET", "/api/v1/campaigns/no-such-campaign/count", {}, 404),
    ("PUT", "/privacy", {}, 405),
    ("DELETE", "/widgets/{slug}/petition", {}, 405),
    ("DELETE", "/api/v1/campaigns/{slug}", {}, 405),
    ("POST", "/widgets/{slug}/petition", {"data": {"comment": TOO_LARGE}}, 413),
    ("POST", "/api/v1/campaigns/{slug}/signatures", {"json": {"comment": TOO_LARGE}}, 413),
]


def policy(header, separator):
    """``{directive: value}`` of a policy header (CSP: ``;`` and spaces; others: ``,``/``;`` and ``=``)."""
    items = (item.strip() for item in (header or "").split(separator))
    if separator == ";" and "=" not in (header or ""):
        return {item.split()[0]: " ".join(item.split()[1:]) for item in items if item}
    return {name.strip(): value.strip() for name, _, value in (item.partition("=") for item in items) if name.strip()}


def check(response, method, path, https, cache=None):
    """Every header rule, for the answer to ``method path``; returns what is wrong."""
    headers, wrong = response.headers, []
    console = path.startswith("/console")
    framed = urlsplit(path).path.startswith("/widgets/")  # in allies' iframes, error pages too
    page = response.mimetype == "text/html"

    def expect(condition, what):
        if not condition:
            wrong.append(what)

    expect(headers.get("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options: nosniff")
    expect(headers.get("Referrer-Policy") in REFERRER_POLICIES, f"Referrer-Policy: {headers.get('Referrer-Policy')}")

    permissions = policy(headers.get("Permissions-Policy"), ",")
    expect(all(permissions.get(feature) == "()" for feature in OFF), f"Permissions-Policy turns off {OFF}: {permissions}")
    if framed:
        expect(permissions.get("clipboard-write") == permissions.get("web-share") == "(self)",
               f"Permissions-Policy lets the widget copy its link and share: {permissions}")

    csp = policy(headers.get("Content-Security-Policy"), ";")
    ancestors = csp.get("frame-ancestors")
    if page:
        expect(csp.get("default-src") == "'none'", f"CSP default-src 'none': {csp}")
        if framed:
            expect(ancestors == "*", f"CSP frame-ancestors * on a widget page: {ancestors}")
        else:
            expect(ancestors in (("'none'",) if console else ("'none'", "'self'")), f"CSP frame-ancestors, no other site: {ancestors}")
            expect(headers.get("Cross-Origin-Opener-Policy") == "same-origin", "Cross-Origin-Opener-Policy: same-origin")
    elif response.mimetype != "application/pdf":  # a CSP would stop the browser's PDF viewer
        expect(csp.get("default-src") == "'none'" and ancestors == "'none'", f"CSP of what is not a page: {csp}")

    control = headers.get("Cache-Control", "")
    if method == "GET" and path in SHARED_ERRORS:
        expect(control == SHARED, f"Cache-Control: {SHARED} ({control})")
    elif console or method != "GET" or response.status_code >= 400:
        expect("no-store" in control and "public" not in control, f"Cache-Control: no-store ({control})")
    else:
        expect(control.startswith(cache or ""), f"Cache-Control: {cache or 'any'}... ({control})")

    cookies = headers.getlist("Set-Cookie")
    if console:
        flags = ("Secure", "HttpOnly", "SameSite", "Path=/console")
        expect(all(flag in cookie for cookie in cookies for flag in flags), f"console cookies {flags}: {cookies}")
    else:
        expect(cookies == [], f"no Set-Cookie outside /console: {cookies}")

    hsts = headers.get("Strict-Transport-Security")
    if https:
        expect(int(policy(hsts, ";").get("max-age") or 0) >= 31_536_000, f"Strict-Transport-Security for a year: {hsts}")
    else:
        expect(hsts is None, f"no Strict-Transport-Security without HTTPS: {hsts}")
    return wrong


def subscription_token(app, client, slug):
    assert client.post(f"/api/v1/campaigns/{slug}/subscriptions", json={"email": "rows@example.org"}).status_code == 202
    with app.app_context():
        return unsubscribe_token(db.session.scalars(select(Subscription)).one())


def send(client, method, path, slug, token, kwargs):
    return client.open(path.format(slug=slug, token=token), method=method, **kwargs)


@pytest.fixture
def database_url(tmp_path):
    """SQLite: the headers do not depend on the database."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}", {"connect_args": {"timeout": 15}}


def test_every_route_has_a_row_here(app):
    adapter = app.url_map.bind("localhost")
    listed = {adapter.match(urlsplit(path.format(slug="s", token="t")).path, method=method)[0] + " " + method
              for method, path, _kwargs, _cache in ROWS}
    listed |= {adapter.match(urlsplit(route.path.format(slug="s")).path, method=route.method)[0] + " " + route.method
               for route in CONSOLE_ROUTES}
    every = {f"{rule.endpoint} {method}" for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert every - listed == set()


@pytest.mark.parametrize("https", [True, False], ids=["https", "http"])
def test_every_route_and_error_page_sends_the_security_headers(make_app, https):
    app = make_app(**(HTTPS if https else {"PUBLIC_URL": "http://widgets.example.org"}))
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()
    token = subscription_token(app, client, slug)
    wrong = {}
    for method, path, kwargs, cache in ROWS:
        response = send(client, method, path, slug, token, kwargs)
        assert response.status_code != 500, (method, path, response.status_code)
        wrong[f"{method} {path} ({response.status_code})"] = check(response, method, path, https, cache)
        response.close()  # a static file's answer holds the file open
    for method, path, kwargs, status in ERRORS:
        response = send(client, method, path, slug, token, kwargs)
        assert response.status_code == status, (method, path, response.status_code)
        wrong[f"{method} {path} ({status})"] = check(response, method, path, https)
    assert {request: problems for request, problems in wrong.items() if problems} == {}


def test_every_console_route_signed_in_sends_the_security_headers(make_app):
    app = make_app(**HTTPS)
    with app.app_context():
        slug = make_campaign().slug
    account = make_staff(app, "admin")
    client = app.test_client()
    wrong = {"sign-in": check(sign_in(client, account.email, account.password, account.code()), "POST", "/console/sign-in", True)}
    html = client.get("/console/").get_data(as_text=True) or client.get("/console/", follow_redirects=True).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/account").get_data(as_text=True)).group(1)
    assert html
    for route in sorted(CONSOLE_ROUTES, key=lambda route: route.ends_session):
        path = route.path.format(slug=slug)
        data = {name: value.format(slug=slug) for name, value in route.data.items()}
        response = client.open(path, method=route.method, data={**data, "csrf_token": csrf} if route.method != "GET" else None)
        wrong[f"{route.method} {route.path} ({response.status_code})"] = check(response, route.method, path, True)
    assert {request: problems for request, problems in wrong.items() if problems} == {}


@pytest.mark.parametrize("path", ["/widgets/{slug}/petition", "/api/v1/campaigns/{slug}/signatures"])
def test_a_rate_limited_answer_sends_them_too(make_app, path):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="1 per minute", **HTTPS)
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()
    kwargs = {"json": signature()} if path.startswith("/api/") else {"data": signature()}
    send(client, "POST", path, slug, None, kwargs)
    response = send(client, "POST", path, slug, None, kwargs)
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert check(response, "POST", path.format(slug=slug), True) == []
