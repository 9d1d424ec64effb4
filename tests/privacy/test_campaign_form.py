"""The retention period on a campaign's console page: shown, saved, refused when it is no
number of days (422 beside the field, nothing saved), and audited; the privacy notice promises
the longest period in force, in both languages."""
from html import unescape

import pytest

from widget_service.campaigns import find_campaign
from widget_service.extensions import db

from ..console.conftest import csrf_token
from ..console.test_campaigns import errors_of, post


@pytest.fixture
def app(make_app):
    return make_app(RETENTION_DAYS=45)


@pytest.fixture
def admin(console_client):
    client = console_client("admin")
    client.token = csrf_token(client, "/console/campaigns")
    return client


def retention_of(app, slug):
    with app.app_context():
        return find_campaign(slug).setting("retention_days")


def test_the_period_is_set_and_cleared_from_the_campaign_form(app, admin, campaign):
    page = unescape(admin.get(f"/console/campaigns/{campaign}").get_data(as_text=True))
    assert 'name="retention_days"' in page and "the service's default, 45 days" in page
    urdu = unescape(admin.get(f"/console/campaigns/{campaign}?lang=ur").get_data(as_text=True))
    assert "مہم بند ہونے کے اتنے دن بعد حامیوں کی ذاتی معلومات مٹا دیں" in urdu and "طے شدہ مدت، 45 دن" in urdu
    response = post(admin, f"/console/campaigns/{campaign}/texts", title_en="Stand up", goal="1000", retention_days="90")
    assert response.status_code == 303 and retention_of(app, campaign) == 90
    assert 'name="retention_days" type="text" inputmode="numeric" dir="ltr" value="90"' in admin.get(
        f"/console/campaigns/{campaign}").get_data(as_text=True)
    with app.app_context():
        from widget_service.console.models import AuditEntry

        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "campaign.change")).all()[-1]
        assert entry.details["retention_days"] == 90
    post(admin, f"/console/campaigns/{campaign}/texts", title_en="Stand up", goal="1000", retention_days="")
    assert retention_of(app, campaign) is None  # the default again


@pytest.mark.parametrize("value", ["-1", "3651", "a year", "1.5", "٣٠"])
def test_a_period_that_is_no_number_of_days_is_refused_and_changes_nothing(app, admin, campaign, value):
    post(admin, f"/console/campaigns/{campaign}/texts", title_en="Stand up", goal="1000", retention_days="90")
    response = post(admin, f"/console/campaigns/{campaign}/texts", title_en="Changed", goal="1000", retention_days=value)
    assert response.status_code == 422
    assert errors_of(response) == {"retention_days": "Enter a number of days from 0 to 3650, or leave it empty for the default."}
    urdu = post(admin, f"/console/campaigns/{campaign}/texts?lang=ur", title_en="Changed", goal="1000", retention_days=value)
    assert errors_of(urdu) == {"retention_days": "0 سے 3650 تک دنوں کی تعداد لکھیں، یا طے شدہ مدت کے لیے اسے خالی چھوڑ دیں۔"}
    assert retention_of(app, campaign) == 90


def test_a_new_campaign_may_start_with_its_own_period(app, admin):
    response = post(admin, "/console/campaigns/new", slug="kept-short", title_en="Kept short", goal="0", retention_days="7")
    assert response.status_code == 303 and retention_of(app, "kept-short") == 7


@pytest.mark.parametrize(("lang", "phrase"), [("en", "At most %d days after it closes"), ("ur", "زیادہ سے زیادہ %d دن بعد")])
def test_the_privacy_notice_promises_the_longest_period_in_force(app, client, runner, campaign, lang, phrase):
    def notice():
        return client.get(f"/privacy?lang={lang}").get_data(as_text=True)

    assert phrase % 45 in notice()  # WIDGET_RETENTION_DAYS
    runner.invoke(args=["campaigns", "set", campaign, "--retention-days", "30"])
    assert phrase % 45 in notice()  # a shorter one keeps the default's promise true
    runner.invoke(args=["campaigns", "set", campaign, "--retention-days", "400"])
    assert phrase % 400 in notice()
