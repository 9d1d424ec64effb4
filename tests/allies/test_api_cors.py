"""Allies' own forms (issue 17, item 6): the JSON API's form endpoints answer CORS for any site
on an ``open`` campaign and only for active partners' registered origins on a ``partners`` one;
a refused origin's post is refused by the service too (403, nothing written), since CORS alone
never stops a browser from sending it. The public count stays readable from anywhere."""
import pytest
from sqlalchemy import func, select

from widget_service.extensions import db
from widget_service.models import Coordinator, Signature, Subscription

from ..builders import signature

PARTNER_SITE = "https://quetta.example"
ELSEWHERE = "https://elsewhere.example"
# Each form endpoint with a valid body and the table it writes to.
FORMS = {
    "signatures": (lambda: signature(), Signature),
    "coordinators": (lambda: {"name": "Ali Raza", "email": "ali@example.org", "phone": "0300 1234567", "region": "PK-BA"}, Coordinator),
    "subscriptions": (lambda: {"email": "sana@example.org", "lang": "en"}, Subscription),
}


def preflight(client, path, origin):
    return client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
    })


def rows(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def assert_allowed(response, origin):
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response.headers.get_all("Vary") or "Origin" in response.vary
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers


def assert_refused(response):
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.vary
    body = response.get_json()
    assert body["error"] == "origin_not_allowed" and "partners" in body["message"]


@pytest.fixture
def partners_campaign(runner, campaign, make_partner):
    make_partner("quetta-net", origins=[PARTNER_SITE])
    make_partner("lahore-net", origins=["https://lahore.example"])
    assert runner.invoke(args=["partners", "policy", campaign, "partners"]).exit_code == 0
    return campaign


@pytest.mark.parametrize("form", sorted(FORMS))
def test_an_open_campaign_takes_forms_from_any_site(app, client, campaign, form):
    body, model = FORMS[form]
    path = f"/api/v1/campaigns/{campaign}/{form}"
    answer = preflight(client, path, ELSEWHERE)
    assert answer.status_code == 204
    assert_allowed(answer, ELSEWHERE)
    assert answer.headers["Access-Control-Allow-Methods"] == "POST"
    assert answer.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert int(answer.headers["Access-Control-Max-Age"]) > 0
    token = client.post(f"/api/v1/campaigns/{campaign}/form-tokens/petition", headers={"Origin": ELSEWHERE})
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    assert_allowed(token, ELSEWHERE)
    sent = client.post(path, json=body(), headers={"Origin": ELSEWHERE})
    assert sent.status_code == 202, sent.data
    assert_allowed(sent, ELSEWHERE)
    assert sent.headers["Access-Control-Expose-Headers"] == "Retry-After"
    assert rows(app, model) == 1
    # An error is readable by the ally's page too, so it can show what went wrong.
    invalid = client.post(path, json={"email": "not an address"}, headers={"Origin": ELSEWHERE})
    assert invalid.status_code == 422
    assert_allowed(invalid, ELSEWHERE)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_partners_campaign_takes_forms_only_from_partners_sites(app, client, runner, partners_campaign, form):
    body, model = FORMS[form]
    path = f"/api/v1/campaigns/{partners_campaign}/{form}"
    allowed = preflight(client, path, PARTNER_SITE)
    assert allowed.status_code == 204
    assert_allowed(allowed, PARTNER_SITE)
    assert_refused(preflight(client, path, ELSEWHERE))
    assert_refused(preflight(client, path, "null"))  # a sandboxed frame or a file

    # The browser sends a refused site's post anyway (CORS only hides the answer): refused
    # here, before any limit is spent or anything is written.
    assert_refused(client.post(path, json=body(), headers={"Origin": ELSEWHERE}))
    assert rows(app, model) == 0
    sent = client.post(path, json=body(), headers={"Origin": PARTNER_SITE})
    assert sent.status_code == 202, sent.data
    assert_allowed(sent, PARTNER_SITE)
    assert rows(app, model) == 1

    # A disabled partner's site is refused at once on this instance.
    assert runner.invoke(args=["partners", "disable", "quetta-net"]).exit_code == 0
    assert_refused(preflight(client, path, PARTNER_SITE))
    assert_refused(client.post(path, json=body(), headers={"Origin": PARTNER_SITE}))
    assert rows(app, model) == 1


def test_a_partners_campaign_gives_form_tokens_only_to_partners_sites(client, partners_campaign):
    path = f"/api/v1/campaigns/{partners_campaign}/form-tokens/petition"
    assert_refused(client.post(path, headers={"Origin": ELSEWHERE}))
    assert_refused(preflight(client, path, ELSEWHERE))
    urdu = client.post(path, headers={"Origin": ELSEWHERE, "Accept-Language": "ur"}).get_json()["message"]
    assert "شراکت داروں" in urdu
    given = client.post(path, headers={"Origin": PARTNER_SITE})
    assert given.status_code == 200 and given.get_json()["form_token"]
    assert_allowed(given, PARTNER_SITE)


def test_the_services_own_widgets_and_clients_without_an_origin_are_unchanged(app, client, widget, partners_campaign):
    """The widget's script posts from the service's own origin; a server-side client sends no
    Origin. Neither is a cross-origin request, so neither gets CORS headers or a refusal."""
    own = client.post(f"/api/v1/campaigns/{partners_campaign}/signatures", json=signature(), headers={"Origin": "http://localhost"})
    assert own.status_code == 202 and "Access-Control-Allow-Origin" not in own.headers
    app.config["PUBLIC_URL"] = "https://widgets.example"
    public = client.post(f"/api/v1/campaigns/{partners_campaign}/signatures", json=signature(), headers={"Origin": "https://widgets.example"})
    assert public.status_code == 202 and "Access-Control-Allow-Origin" not in public.headers
    assert widget.sign(partners_campaign).status_code == 202
    assert widget.count(partners_campaign) == 3


def test_the_count_and_summary_stay_open_to_every_site_for_reading(client, partners_campaign):
    for path in (f"/api/v1/campaigns/{partners_campaign}/count", f"/api/v1/campaigns/{partners_campaign}"):
        response = client.get(path, headers={"Origin": ELSEWHERE})
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_an_unknown_campaigns_404_is_readable_by_the_asking_site(client):
    answer = client.post("/api/v1/campaigns/no-such-campaign/signatures", json=signature(), headers={"Origin": ELSEWHERE})
    assert answer.status_code == 404 and answer.get_json()["error"] == "campaign_not_found"
    assert_allowed(answer, ELSEWHERE)


def test_protection_stays_on_for_other_sites_forms(make_app):
    """A form sent from another site meets the same limits as the widget's, and the refusal
    (429, Retry-After) is readable there."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="2 per minute")
    client = app.test_client()
    with app.app_context():
        from ..builders import make_campaign
        slug = make_campaign().slug
    path = f"/api/v1/campaigns/{slug}/signatures"
    answers = [client.post(path, json=signature(), headers={"Origin": ELSEWHERE}).status_code for _ in range(3)]
    assert answers == [202, 202, 429]
    refused = client.post(path, json=signature(), headers={"Origin": ELSEWHERE})
    assert refused.status_code == 429
    assert_allowed(refused, ELSEWHERE)
    assert int(refused.headers["Retry-After"]) > 0
