"""Only /console ever sets a cookie: after signing in to the console, every public route (every
rule outside /console, each method, with and without the console cookie sent along) answers
without ``Set-Cookie`` and without ``Vary: Cookie``; the console's own cookie is HttpOnly,
SameSite=Strict, Secure outside development, and scoped to /console."""
import pytest

from tests.conftest import Widget

from .conftest import sign_in

KINDS = ("petition", "actions", "coordinator", "donate", "notify", "counter")
VALUES = {"extension": "png", "filename": "widget.css"}  # any other argument: a made-up token


def public_requests(app, slug):
    """(method, path) for every rule outside /console, with this campaign and every widget kind."""
    adapter = app.url_map.bind("localhost")
    requests = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/console"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            choices = [{}]
            for argument in rule.arguments:
                if argument == "slug":
                    options = [slug, "no-such-campaign"]
                elif argument == "kind":
                    converter = rule._converters["kind"]
                    options = sorted(converter.items) if hasattr(converter, "items") else KINDS
                else:
                    options = [VALUES.get(argument, "not-a-token")]
                choices = [dict(choice, **{argument: option}) for choice in choices for option in options]
            for values in choices:
                requests.add((method, adapter.build(rule.endpoint, values, method=method)))
    return sorted(requests)


def test_public_routes_set_no_cookie_after_a_console_sign_in(app, staff, campaign):
    account = staff("admin")
    client = app.test_client()
    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    console_cookie = client.get_cookie("msp_console", path="/console")
    assert console_cookie is not None
    Widget(client).sign(campaign)  # a real signature, as a supporter's

    requests = public_requests(app, campaign)
    paths = {path for _, path in requests}
    # The surfaces the issue names are among them.
    for path in ("/embed.js", f"/c/{campaign}", "/privacy", f"/api/v1/campaigns/{campaign}/count",
                 *(f"/widgets/{campaign}/{kind}" for kind in KINDS)):
        assert path in paths
    # The browser's jar sends the console cookie to /console only; a client that sends it
    # everywhere must not make a public route answer with one either.
    sends_it_everywhere = app.test_client(use_cookies=False)
    everywhere = {"Cookie": f"msp_console={console_cookie.value}"}
    set_cookie = []
    for method, path in requests:
        for sender, headers in ((client, {}), (sends_it_everywhere, everywhere)):
            for body in ({"json": {}}, {"data": {}}) if method == "POST" else ({},):
                response = sender.open(path, method=method, headers=headers, **body)
                response.close()  # static files are streamed from open files
                assert response.status_code != 500, (method, path)
                if "Set-Cookie" in response.headers or "cookie" in response.headers.get("Vary", "").lower():
                    set_cookie.append((method, path, response.headers.get("Set-Cookie")))
    assert set_cookie == []
    # And the console session is still there: the public routes neither read nor ended it.
    assert client.get("/console/account").status_code == 200


@pytest.mark.parametrize("env, secure", [("production", True), ("testing", True), ("development", False)])
def test_the_console_cookie_is_httponly_strict_scoped_and_secure_outside_development(make_app, env, secure):
    overrides = {"WIDGET_ENV": env}
    if env == "production":
        overrides["PUBLIC_URL"] = "https://widgets.example.org"
    app = make_app(**overrides)
    client = app.test_client()
    response = client.get("/console/sign-in")
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies
    attributes = [part.strip() for part in cookies[0].split(";")]
    assert attributes[0].startswith("msp_console=") and len(attributes[0]) > 40
    assert "HttpOnly" in attributes and "SameSite=Strict" in attributes and "Path=/console" in attributes
    assert ("Secure" in attributes) is secure
    assert not any(part.lower().startswith(("expires", "max-age", "domain")) for part in attributes)
