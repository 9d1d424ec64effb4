"""Helpers of the privacy tests: a campaign full of supporters (signatures with regions and
comments, opt-ins, offers to coordinate, subscriptions, a gift, their outbox mails), every
count and statistic read from outside, and a search of every text column of every table."""
import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import JSON, String, Text, cast, func, or_, select, update

from widget_service.allies.models import Partner
from widget_service.allies.statistics import partner_statistics
from widget_service.console import stats
from widget_service.console.figures import dashboard_figures
from widget_service.campaigns import find_campaign
from widget_service.extensions import db
from widget_service.models import Campaign, Donation, utcnow
from widget_service.stripe_events import record_donation

from ..console.conftest import console_client, staff  # noqa: F401  (fixtures used here)
from ..test_coordinators import API as OFFERS, offer

SUBSCRIPTIONS = "/api/v1/campaigns/{}/subscriptions"
PARTNER = "quetta-net"


@pytest.fixture
def partner(runner):
    result = runner.invoke(args=["partners", "create", PARTNER, "Quetta Network", "contact@quetta.example"])
    assert result.exit_code == 0, result.output
    return PARTNER


def rows_holding(app, text):
    """``table.column`` of every text column (JSON too), in every table, where some row holds ``text``."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, JSON):
                    value = cast(column, Text)
                elif isinstance(column.type, String | Text):
                    value = column
                else:
                    continue
                if db.session.scalar(select(func.count()).select_from(table).where(func.lower(value).contains(text.lower()))):
                    found.append(f"{table.name}.{column.name}")
    return found


def supporter(client, widget, slug, email, name, ref=PARTNER, opt_in=True, phone="0300 7654321"):
    """``email`` signs ``slug`` (through the partner, with a region and a comment naming it, and
    the opt-in), offers to coordinate it and asks for news of it."""
    response = widget.sign(slug, email=email, name=name, region=f"Quetta of {name}", comment=f"Comment of {name}",
                           opt_in=opt_in, ref=ref, origin="https://quetta.example")
    assert response.status_code == 202, response.data
    response = client.post(OFFERS.format(slug), json=offer(email=email, name=name, phone=phone, note=f"Note of {name}", ref=ref))
    assert response.status_code == 202, response.data
    response = client.post(SUBSCRIPTIONS.format(slug), json={"email": email, "lang": "en", "email_lang": "en"})
    assert response.status_code == 202, response.data


def add_gift(app, slug, days_ago=10, event="evt_1", session="cs_1", subscription=None):
    with app.app_context():
        campaign_id = find_campaign(slug).id
        assert record_donation(campaign_id=campaign_id, amount=2500, currency="USD", interval="month" if subscription else "once",
                               stripe_event_id=event, stripe_object_id=session, stripe_subscription_id=subscription)
        db.session.execute(update(Donation).where(Donation.stripe_event_id == event)
                           .values(created_at=utcnow() - timedelta(days=days_ago)))
        db.session.commit()


def backdate(app, slug, delta):
    """Move every row of ``slug`` ``delta`` into the past (so its hours are rolled up)."""
    from widget_service.mail.models import OutboxMail
    from widget_service.models import Coordinator, Signature, Subscription

    with app.app_context():
        campaign_id = find_campaign(slug).id
        for model in (Signature, Coordinator, Subscription, OutboxMail):  # in Python: SQLite has no intervals
            for row in db.session.scalars(select(model).where(model.campaign_id == campaign_id)):
                row.created_at -= delta
        db.session.commit()


def close(app, slug, days_ago, retention_days=None):
    """Close ``slug`` as if ``days_ago`` days ago (optionally with its own retention period)."""
    with app.app_context():
        campaign = find_campaign(slug)
        campaign.status = Campaign.CLOSED
        campaign.closed_at = utcnow() - timedelta(days=days_ago)
        if retention_days is not None:
            campaign.settings = {**(campaign.settings or {}), "retention_days": retention_days}
        db.session.commit()
        app.extensions["msp_campaign_refs"].pop(slug)


def figures(app, widget, slug, partner_key=PARTNER):
    """Every number anybody reads about ``slug``: the public count, the dashboard's figures, the
    rollups' buckets, and the partner's statistics."""
    with app.app_context():
        campaign = find_campaign(slug)
        stats.rollup(campaign.id)
        page = dataclasses.asdict(dashboard_figures(campaign))
        page.pop("now")
        buckets = {
            model.__tablename__: sorted(
                tuple(str(value) for value in row)
                for row in db.session.execute(select(*model.__table__.columns).where(model.campaign_id == campaign.id))
            )
            for model in (stats.StatsHour, stats.StatsDay, stats.StatsTotal)
        }
        ally = db.session.scalar(select(Partner).where(Partner.key == partner_key))
        allies = [{k: v for k, v in row.items() if k != "campaign"} for row in partner_statistics(ally)] if ally else None
        return {"count": widget.count(slug), "dashboard": page, "buckets": buckets, "partner": allies}

