"""Embed policy: a ``partners`` campaign's widget pages (its counter badge too) may be framed
only by active partners' registered origins (frame-ancestors depends on the campaign alone); the
loader's question ``/embed/<slug>/refusal`` answers 204 or the explanation with MSP's contact."""
import pytest

KINDS = ("petition", "actions", "coordinator", "notify", "donate", "counter")


def ancestors(response):
    return response.headers["Content-Security-Policy"].split("frame-ancestors ")[1].split(";")[0]


def test_open_by_default_and_partners_only_when_set(app, client, runner, campaign, make_partner):
    app.config["PRIVACY_CONTACT"] = "privacy@msp.example"
    assert ancestors(client.get(f"/widgets/{campaign}/petition")) == "*"
    assert client.get(f"/embed/{campaign}/refusal?origin=https://any.example").status_code == 204
    make_partner("quetta-net", origins=["https://quetta.example", "https://blog.quetta.example"])
    make_partner("lahore-net", origins=["https://lahore.example"])
    assert runner.invoke(args=["partners", "policy", campaign, "partners"]).exit_code == 0
    for kind in KINDS:
        response = client.get(f"/widgets/{campaign}/{kind}?origin=https://elsewhere.example")
        assert response.status_code == 200, kind
        assert ancestors(response) == "'self' https://blog.quetta.example https://lahore.example https://quetta.example", kind
    allowed = client.get(f"/embed/{campaign}/refusal?origin=https://lahore.example")
    assert allowed.status_code == 204 and allowed.headers["Access-Control-Allow-Origin"] == "*"
    refused = client.get(f"/embed/{campaign}/refusal?origin=https://elsewhere.example&lang=en")
    assert refused.status_code == 200 and "privacy@msp.example" in refused.get_data(as_text=True)
    assert refused.mimetype == "text/plain"
    urdu = client.get(f"/embed/{campaign}/refusal?origin=https://elsewhere.example&lang=ur").get_data(as_text=True)
    assert urdu != refused.get_data(as_text=True) and "privacy@msp.example" in urdu
    assert client.get(f"/embed/{campaign}/refusal").status_code == 200  # no origin: not allowed either
    # A disabled partner's sites drop out at once on this instance.
    assert runner.invoke(args=["partners", "disable", "lahore-net"]).exit_code == 0
    assert "lahore" not in ancestors(client.get(f"/widgets/{campaign}/petition"))
    assert client.get(f"/embed/{campaign}/refusal?origin=https://lahore.example").status_code == 200
    assert runner.invoke(args=["partners", "policy", campaign, "open"]).exit_code == 0
    assert ancestors(client.get(f"/widgets/{campaign}/petition")) == "*"
    assert "campaign.embed_policy" in runner.invoke(args=["audit", "tail"]).output


def test_the_header_is_the_same_for_every_visitor(client, runner, campaign, make_partner):
    make_partner("quetta-net", origins=["https://quetta.example"])
    runner.invoke(args=["partners", "policy", campaign, "partners"])
    seen = {
        ancestors(client.get(f"/widgets/{campaign}/petition?origin={origin}", headers={"Referer": f"{origin}/page"}))
        for origin in ("https://quetta.example", "https://other.example", "")
    }
    assert seen == {"'self' https://quetta.example"}


def test_the_services_own_pages_may_frame_a_partners_only_campaigns_widgets(app, client, runner, campaign):
    """The campaign page and the snippet builder's preview frame the widget from the service's
    own origin: 'self' in frame-ancestors, and the loader's question answered 204 there."""
    runner.invoke(args=["partners", "policy", campaign, "partners"])
    app.config["PUBLIC_URL"] = "https://widgets.example"
    assert client.get(f"/embed/{campaign}/refusal?origin=https://widgets.example").status_code == 204
    assert client.get(f"/embed/{campaign}/refusal?origin=https://widgets.example.evil").status_code == 200
    assert ancestors(client.get(f"/widgets/{campaign}/petition")).startswith("'self'")


def test_no_partner_origins_leaves_only_the_services_own_pages_and_unknown_campaigns_are_unchanged(client, runner, campaign):
    runner.invoke(args=["partners", "policy", campaign, "partners"])
    assert ancestors(client.get(f"/widgets/{campaign}/petition")) == "'self'"  # the service's own pages only
    assert client.get("/embed/no-such-campaign/refusal?origin=https://a.example").status_code == 204
    assert runner.invoke(args=["partners", "policy", "no-such-campaign", "partners"]).exit_code != 0
    assert runner.invoke(args=["partners", "policy", campaign, "closed"]).exit_code != 0


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unregistered_site_shows_the_explanation_a_registered_one_the_widget(page, host_site, live_service):
    from tests.browser import SLUG, open_host_page

    runner = live_service.app.test_cli_runner()
    assert runner.invoke(args=["partners", "create", "quetta-net", "Q", "q@q.example", "--origin", host_site.origin]).exit_code == 0
    assert runner.invoke(args=["partners", "policy", SLUG, "partners"]).exit_code == 0
    html = (
        f'<!doctype html><title>Ally</title><body><div class="msp-widget" data-campaign="{SLUG}" data-lang="ur"></div>'
        f'<script async src="{live_service.url}/embed.js"></script></body>'
    )
    open_host_page(page, host_site.add("/registered", html), live_service.url, 1)
    page.goto(host_site.other_origin_url + "/registered")  # the same page on an origin nobody registered
    page.wait_for_function("() => !document.querySelector('iframe') && document.body.innerText.length > 20")
    text = page.inner_text("body")
    assert "شراکت داروں" in text and "Minority Support Pakistan" in text


def test_a_partners_only_campaigns_error_pages_are_narrowed_too(client, runner, campaign, make_partner):
    """An error page under /widgets/ (here an unknown kind's 404) gets its CSP from the core's
    headers hook, which runs after the policy's; it is narrowed all the same."""
    make_partner("quetta-net", origins=["https://quetta.example"])
    runner.invoke(args=["partners", "policy", campaign, "partners"])
    response = client.get(f"/widgets/{campaign}/no-such-kind")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert ancestors(response) == "'self' https://quetta.example"
    assert "X-Frame-Options" not in response.headers and "Cross-Origin-Opener-Policy" not in response.headers
