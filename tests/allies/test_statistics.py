"""A partner's private statistics link: numbers per campaign, day and own origin; nothing about
a person; a wrong, rotated or revoked token is a 404 like any unknown page."""
from tests.builders import make_campaign
from tests.console.conftest import post_form

from widget_service.log_privacy import mask

from .conftest import sign_from


def test_the_link_shows_what_the_partner_brought_and_nothing_about_people(app, client, widget, campaign, make_partner, stats_link):
    make_partner("quetta-net", origins=["https://quetta.example"])
    sign_from(widget, campaign, ref="quetta-net", origin="https://quetta.example", name="Amina Secretname", email="amina@private.example")
    sign_from(widget, campaign, ref="quetta-net~whatsapp")
    sign_from(widget, campaign, ref="quetta-network")  # another key that merely starts alike
    sign_from(widget, campaign, ref="other", origin="https://quetta.example")  # the partner's site, another key
    offer = {"name": "Bilal Offername", "email": "bilal@private.example", "phone": "+923001234567",
             "region": "PK-BA", "country": "PK", "lang": "en", "ref": "quetta-net"}
    assert client.post(f"/api/v1/campaigns/{campaign}/coordinators", json=offer).status_code == 202
    sign_from(widget, campaign, ref="quetta-net~mail", opt_in=True, email="subscriber@private.example")
    notify = {"email": "notified@private.example", "lang": "en", "ref": "quetta-net"}  # the notify-me widget's
    assert client.post(f"/api/v1/campaigns/{campaign}/subscriptions", json=notify).status_code == 202
    other_notify = {"email": "elsewhere@private.example", "lang": "en", "ref": "quetta-network"}
    assert client.post(f"/api/v1/campaigns/{campaign}/subscriptions", json=other_notify).status_code == 202
    with app.app_context():
        other = make_campaign().slug
    sign_from(widget, other, ref="quetta-net")
    path = stats_link("quetta-net")
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "quetta-net" in html and other in html
    campaign_part = html.split(f"({campaign})")[1].split("</section>")[0]
    # Signatures 3 (key, key~whatsapp, key~mail), offers 1, subscriptions 2 (the petition's
    # opt-in and the notify-me form's).
    assert "<dd>3</dd>" in campaign_part and campaign_part.count("<dd>1</dd>") == 1 and "<dd>2</dd>" in campaign_part
    assert "<th scope=\"row\" dir=\"ltr\">https://quetta.example</th><td>2</td>" in campaign_part
    for private in ("Secretname", "amina@", "Offername", "bilal@", "subscriber@", "notified@", "+92300"):
        assert private not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers
    urdu = client.get(f"{path}?lang=ur").get_data(as_text=True)
    assert 'dir="rtl"' in urdu and "English" in urdu


def test_wrong_rotated_revoked_and_disabled_links_answer_the_same_404(client, runner, make_partner, stats_link):
    make_partner("quetta-net")
    unknown = client.get("/partners/stats/not-a-token")
    first = stats_link("quetta-net")
    second = stats_link("quetta-net")
    rotated = client.get(first)
    assert client.get(second).status_code == 200
    assert runner.invoke(args=["partners", "disable", "quetta-net"]).exit_code == 0
    disabled = client.get(second)
    assert runner.invoke(args=["partners", "enable", "quetta-net"]).exit_code == 0
    assert client.get(second).status_code == 200
    assert runner.invoke(args=["partners", "revoke-stats-link", "quetta-net"]).exit_code == 0
    revoked = client.get(second)
    for answer in (rotated, disabled, revoked):
        assert answer.status_code == 404
        assert answer.data == unknown.data
        assert answer.headers["Cache-Control"] == "no-store"


def test_the_token_never_reaches_a_log_line(make_partner, stats_link):
    make_partner("quetta-net")
    path = stats_link("quetta-net")
    token = path.rsplit("/", 1)[1]
    assert token not in mask(f'"GET {path}?lang=ur HTTP/1.1" 200')
    assert token not in mask(f'"GET /partners/%73tats%2F{token} HTTP/1.1" 404')


def test_the_console_shows_the_same_numbers_and_a_link_once(app, console_client, widget, campaign, make_partner, runner):
    make_partner("quetta-net", origins=["https://quetta.example"])
    sign_from(widget, campaign, ref="quetta-net~x", origin="https://quetta.example")
    admin = console_client("admin")
    page = "/console/partners/quetta-net"
    assert "https://quetta.example</th><td>1</td>" in admin.get(page).get_data(as_text=True)
    made = post_form(admin, f"{page}/stats-link", {"action": "rotate"}, token_from=page)
    assert made.status_code == 200
    link = made.get_data(as_text=True).split('readonly dir="ltr" value="')[1].split('"')[0]
    assert "/partners/stats/" in link
    path = "/partners/stats/" + link.rsplit("/", 1)[1]
    assert app.test_client().get(path).status_code == 200
    assert link not in admin.get(page).get_data(as_text=True)  # shown once
    revoked = post_form(admin, f"{page}/stats-link", {"action": "revoke"}, token_from=page)
    assert revoked.status_code == 303
    assert app.test_client().get(path).status_code == 404
    audit = runner.invoke(args=["audit", "tail"]).output
    assert "partner.stats_link_rotate\tquetta-net" in audit and "partner.stats_link_revoke\tquetta-net" in audit
