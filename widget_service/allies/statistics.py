"""What partners brought: counted signatures, offers to coordinate and subscriptions, per
campaign and per day (Pakistan time, as the console's), and the partner's own origins. Numbers
only: nothing here reads a name, an address or any field about a person.

Signatures come from the console's rollups (``console.stats``): the day and total buckets up
to ``rolled_until``, then the signatures since, through the ``(campaign_id, created_at)``
index, as the dashboard reads them. Offers to coordinate are read per campaign through the
``(campaign_id, state)`` index (they are few), and subscriptions (the notify-me form's and the
petition's opt-in, each with the ref it came with) through the ``(campaign_id, email_canonical)``
unique index.
"""
from collections import defaultdict
from datetime import date

from sqlalchemy import func, or_, select

from ..console import stats
from ..extensions import db
from ..models import Campaign, Coordinator, Signature, Subscription
from .partners import key_of

CATCH_UP_SECONDS = 0.2  # a campaign's rollup work a view may do when cron is behind


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _credits(column, key):
    """SQL: ``column`` (a ref) credits ``key`` (it is the key, or ``key~channel``)."""
    return or_(column == key, column.startswith(f"{key}~", autoescape=True))


def _campaigns():
    return db.session.scalars(select(Campaign).order_by(Campaign.created_at, Campaign.id)).all()


def _signature_tail(campaign_id, since):
    """Counted signatures the buckets do not hold yet: ``(day, ref, origin, count)`` rows."""
    day = stats.day_of(Signature.created_at, db.session.get_bind().dialect.name)
    query = select(day, Signature.ref, Signature.source_origin, func.count()).where(
        Signature.campaign_id == campaign_id, Signature.state.in_(Signature.COUNTED_STATES)
    )
    if since is not None:
        query = query.where(Signature.created_at >= since)
    return db.session.execute(query.group_by(day, Signature.ref, Signature.source_origin)).all()


def signatures_by_key():
    """Counted signatures per partner key (refs' part before ``~``), all campaigns: for the
    console's list, which shows unknown keys too."""
    totals = defaultdict(int)
    for ref, count in db.session.execute(
        select(stats.StatsTotal.key, stats.StatsTotal.count).where(stats.StatsTotal.dimension == "ref")
    ):
        if key_of(ref):
            totals[key_of(ref)] += count
    for campaign in _campaigns():
        for _day, ref, _origin, count in _signature_tail(campaign.id, stats.rolled_until(campaign.id)):
            if key_of(ref):
                totals[key_of(ref)] += count
    return dict(totals)


def partner_statistics(partner):
    """Per campaign that the partner brought anything to: its totals, its days, its origins."""
    key, own_origins = partner.key, {row.origin for row in partner.origins}
    dialect = db.session.get_bind().dialect.name
    result = []
    for campaign in _campaigns():
        stats.catch_up(campaign.id, CATCH_UP_SECONDS)
        until = stats.rolled_until(campaign.id)
        days = defaultdict(lambda: [0, 0, 0])  # day -> signatures, coordinators, subscriptions
        origins = defaultdict(int)
        day_bucket = stats.StatsDay
        for day, count in db.session.execute(
            select(day_bucket.day, func.sum(day_bucket.count)).where(
                day_bucket.campaign_id == campaign.id, day_bucket.dimension == "ref", _credits(day_bucket.key, key)
            ).group_by(day_bucket.day)
        ):
            days[_as_date(day)][0] += int(count)
        if own_origins:
            for origin, count in db.session.execute(
                select(stats.StatsTotal.key, stats.StatsTotal.count).where(
                    stats.StatsTotal.campaign_id == campaign.id, stats.StatsTotal.dimension == "origin",
                    stats.StatsTotal.key.in_(own_origins),
                )
            ):
                origins[origin] += count
        for day, ref, origin, count in _signature_tail(campaign.id, until):
            if key_of(ref) == key:
                days[_as_date(day)][0] += count
            if origin in own_origins:
                origins[origin] += count
        offered = stats.day_of(Coordinator.created_at, dialect)
        for day, count in db.session.execute(
            select(offered, func.count()).where(
                Coordinator.campaign_id == campaign.id, Coordinator.state == Coordinator.RECEIVED,
                _credits(Coordinator.ref, key),
            ).group_by(offered)
        ):
            days[_as_date(day)][1] += count
        subscribed = stats.day_of(Subscription.created_at, dialect)
        for day, count in db.session.execute(
            select(subscribed, func.count()).where(
                Subscription.campaign_id == campaign.id, _credits(Subscription.ref, key),
            ).group_by(subscribed)
        ):
            days[_as_date(day)][2] += count
        if not days and not origins:
            continue
        rows = sorted(((day, *counts) for day, counts in days.items()), reverse=True)
        result.append({
            "slug": campaign.slug,
            "campaign": campaign,
            "signatures": sum(row[1] for row in rows),
            "coordinators": sum(row[2] for row in rows),
            "subscriptions": sum(row[3] for row in rows),
            "days": rows,
            "origins": sorted(origins.items(), key=lambda item: (-item[1], item[0])),
        })
    return result
