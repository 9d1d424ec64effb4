"""Moderation through the console, as an admin does it: find the wave, confirm the number, hold
it back; the public count drops at once and ``flask counts reconcile`` agrees."""
import re
from html import unescape

from .conftest import csrf_token
from .test_moderation_domain import reconciled, sign_wave


def hidden_fields(html):
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def audit_tail(runner):
    result = runner.invoke(args=["audit", "tail", "-n", "5"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_admin_finds_a_wave_confirms_the_number_and_holds_it_back(app, runner, widget, campaign, console_client):
    sign_wave(widget, campaign, people=3, bots=5)
    admin = console_client("admin")
    page = admin.get(f"/console/moderation?campaign={campaign}")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert re.search(r'domain=bot\.example[^>]*>bot\.example</a></td><td class="n">5<', html)
    assert "Hold back 8 counted signatures" in html
    assert html.count('class="chart-bar"') >= 1

    wave = admin.get(f"/console/moderation?campaign={campaign}&domain=bot.example")
    assert "Hold back 5 counted signatures" in unescape(wave.get_data(as_text=True))
    confirm = admin.get(f"/console/moderation/confirm?action=hold&campaign={campaign}&domain=bot.example")
    html = unescape(confirm.get_data(as_text=True))
    assert "Hold back 5 signatures?" in html and "Yes, hold back 5 signatures" in html
    assert widget.count(campaign) == 8  # looking changes nothing

    form = hidden_fields(html)
    assert form["expected"] == "5" and form["domain"] == "bot.example"
    done = admin.post("/console/moderation/hold", data=form)
    assert done.status_code == 303
    assert widget.count(campaign) == 3
    assert reconciled(runner, campaign) == (3, 3)
    after = unescape(admin.get(done.headers["Location"]).get_data(as_text=True))
    assert "5 signatures held back." in after and "The public count is now 3." in after
    assert "moderation.hold_back" in audit_tail(runner) and "'signatures': 5" in audit_tail(runner)

    again = admin.post("/console/moderation/hold", data=form)  # the same confirmation, sent twice
    assert again.status_code == 409
    assert "nothing was changed" in again.get_data(as_text=True)
    assert widget.count(campaign) == 3

    restore = unescape(admin.get(f"/console/moderation/confirm?action=restore&campaign={campaign}&domain=bot.example").get_data(as_text=True))
    assert "Restore 5 signatures?" in restore
    assert admin.post("/console/moderation/restore", data=hidden_fields(restore)).status_code == 303
    assert widget.count(campaign) == 8 and reconciled(runner, campaign) == (8, 8)
    assert "moderation.restore" in audit_tail(runner)


def test_a_confirmation_whose_selection_grew_changes_nothing(app, widget, campaign, console_client):
    sign_wave(widget, campaign, people=0, bots=2)
    admin = console_client("admin")
    html = unescape(admin.get(f"/console/moderation/confirm?action=hold&campaign={campaign}").get_data(as_text=True))
    form = hidden_fields(html)
    form["expected"] = "1"  # what the page showed before another bot signed
    refused = admin.post("/console/moderation/hold", data=form)
    assert refused.status_code == 409
    assert "Hold back 2 signatures?" in unescape(refused.get_data(as_text=True))
    assert widget.count(campaign) == 2


def test_bad_criteria_are_shown_beside_their_fields_and_change_nothing(app, widget, campaign, console_client):
    sign_wave(widget, campaign, people=1, bots=1)
    admin = console_client("admin")
    page = admin.get(f"/console/moderation?campaign={campaign}&since=last+week&ip_hash=zz")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="since" name="since"' in html and 'aria-describedby="since-error"' in html
    assert 'id="since-error"' in html and 'id="ip_hash-error"' in html
    token = csrf_token(admin, "/console/moderation")
    posted = admin.post("/console/moderation/hold", data={"csrf_token": token, "campaign": campaign, "until": "soon", "expected": "2"})
    assert posted.status_code == 422
    missing = admin.post("/console/moderation/hold", data={"csrf_token": token, "campaign": campaign})
    assert missing.status_code == 422 and "Confirm the number first." in missing.get_data(as_text=True)
    assert widget.count(campaign) == 2


def test_the_pages_read_in_urdu(app, widget, campaign, console_client):
    sign_wave(widget, campaign, people=1, bots=2)
    admin = console_client("admin")
    for path in (f"/console/moderation?campaign={campaign}&lang=ur",
                 f"/console/moderation/confirm?action=hold&campaign={campaign}&lang=ur"):
        html = admin.get(path).get_data(as_text=True)
        assert 'dir="rtl"' in html and "Moderation" not in html.split("<main", 1)[1], path


def test_a_campaign_asking_for_confirmation_says_what_can_be_restored(app, widget, campaign, console_client):
    from widget_service.campaigns import find_campaign
    from widget_service.extensions import db

    with app.app_context():
        find_campaign(campaign).settings = {"confirm_signatures": True}
        db.session.commit()
    admin = console_client("admin")
    html = admin.get(f"/console/moderation?campaign={campaign}").get_data(as_text=True)
    assert "only signatures that an administrator held back can be restored here" in html
