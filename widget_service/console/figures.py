"""The dashboard's numbers for one campaign, read from the rolled-up buckets (``stats``) and
the open tail of signatures since them, never from all of a campaign's signatures.

A view costs a fixed number of queries: the hour buckets (about 24 rows a day of campaign), the
totals per key and the last week's day buckets (keys, and keys times seven), the tail (signatures of the last hour or so, grouped), and the
coordinators, subscriptions and donations grouped directly (small tables, by their indexes).
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from ..counting import current_count
from ..extensions import db
from ..models import Coordinator, Donation, Signature, Subscription, utcnow
from .stats import DIMENSIONS, HOUR, NO_KEY, StatsDay, StatsHour, StatsTotal, day_of, floor_hour, hour_of, local_day, rolled_until

HOURLY_HOURS = 48
WEEK, MONTH = 7, 30


@dataclass
class Breakdown:
    """Counted signatures per key of one dimension: ``{key: (all time, last 7 days)}``."""

    rows: dict = field(default_factory=dict)

    def add(self, key, count, recent):
        total, week = self.rows.get(key, (0, 0))
        self.rows[key] = (total + count, week + recent)

    def ranked(self):
        """``[(key, all time, last 7 days)]``, most signatures first (then by key, for a stable order)."""
        return sorted(((key, total, week) for key, (total, week) in self.rows.items()), key=lambda r: (-r[1], r[0]))

    @property
    def total(self):
        return sum(total for total, _ in self.rows.values())


@dataclass
class Figures:
    total: int  # the public count
    goal: int
    today: int
    last_7_days: int
    last_30_days: int
    hourly: list  # [(UTC hour, counted signatures)], the last 48 hours, oldest first
    daily: list  # [(day, counted signatures)], Pakistan time, from the first day to today
    held_back: dict  # {state: signatures} of the states that do not count
    breakdowns: dict  # {dimension: Breakdown}
    coordinators: dict  # {region: offers}: received ones only (confirmed, when confirmation is asked)
    coordinators_held_back: int  # suspect offers
    coordinators_pending: int  # offers still waiting for their mailbox's confirmation
    subscribers: dict  # {"confirmed" | "waiting" | "unsubscribed": subscriptions}
    donations: list  # [(currency, interval, amount in minor units, gifts)]
    rolled_until: datetime | None
    now: datetime

    @property
    def progress(self):
        """Per cent of the goal reached (None without a goal)."""
        return None if not self.goal else self.total * 100 / self.goal


def dashboard_figures(campaign, now=None):
    """Every number on ``campaign``'s dashboard (call ``stats.rollup`` first to keep it cheap)."""
    now = now or utcnow()
    end_of_buckets = rolled_until(campaign.id)
    today = local_day(now)
    week_start = today - timedelta(days=WEEK - 1)
    per_day = Counter()  # {(day, state): signatures}
    per_hour = Counter()  # {(UTC hour, state): signatures}, the last 48 hours
    breakdowns = {name: Breakdown() for name in DIMENSIONS}
    first_hour = floor_hour(now) - (HOURLY_HOURS - 1) * HOUR
    if end_of_buckets is not None:
        _read_buckets(campaign.id, first_hour, week_start, per_day, per_hour, breakdowns)
    _read_tail(campaign.id, end_of_buckets, first_hour, week_start, per_day, per_hour, breakdowns)
    counted = Signature.COUNTED
    first_day = min([local_day(campaign.created_at), today] + [day for day, _ in per_day])
    daily = [(day, per_day[day, counted]) for day in _days(first_day, today)]
    held_back = Counter()
    for (_, state), signatures in per_day.items():
        if state not in Signature.COUNTED_STATES:
            held_back[state] += signatures
    regions, coordinators_held_back, coordinators_pending = _coordinators(campaign.id)
    return Figures(
        total=current_count(campaign.id),
        goal=campaign.goal,
        today=per_day[today, counted],
        last_7_days=sum(n for day, n in daily[-WEEK:]),
        last_30_days=sum(n for day, n in daily[-MONTH:]),
        hourly=[(first_hour + i * HOUR, per_hour[first_hour + i * HOUR, counted]) for i in range(HOURLY_HOURS)],
        daily=daily,
        held_back={state: held_back[state] for state in Signature.STATES if state not in Signature.COUNTED_STATES},
        breakdowns=breakdowns,
        coordinators=regions,
        coordinators_held_back=coordinators_held_back,
        coordinators_pending=coordinators_pending,
        subscribers=_subscribers(campaign.id),
        donations=_donations(campaign.id),
        rolled_until=end_of_buckets,
        now=now,
    )


def _days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _as_date(value):
    # SQLite's date() answers text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _read_buckets(campaign_id, first_hour, week_start, per_day, per_hour, breakdowns):
    dialect = db.session.get_bind().dialect.name
    day = day_of(StatsHour.hour, dialect)
    ours = StatsHour.campaign_id == campaign_id
    for value, state, signatures in db.session.execute(
        select(day, StatsHour.state, func.sum(StatsHour.count)).where(ours).group_by(day, StatsHour.state)
    ):
        per_day[_as_date(value), state] += int(signatures)
    for hour, state, signatures in db.session.execute(
        select(StatsHour.hour, StatsHour.state, StatsHour.count).where(ours, StatsHour.hour >= first_hour)
    ):
        per_hour[hour, state] += signatures
    totals = {}
    for dimension, key, signatures in db.session.execute(
        select(StatsTotal.dimension, StatsTotal.key, StatsTotal.count).where(StatsTotal.campaign_id == campaign_id)
    ):
        totals[dimension, key] = [signatures, 0]
    for dimension, key, signatures in db.session.execute(
        select(StatsDay.dimension, StatsDay.key, func.sum(StatsDay.count))
        .where(StatsDay.campaign_id == campaign_id, StatsDay.day >= week_start)
        .group_by(StatsDay.dimension, StatsDay.key)
    ):
        totals.setdefault((dimension, key), [0, 0])[1] = int(signatures)
    for (dimension, key), (signatures, week) in totals.items():
        if dimension in breakdowns:
            breakdowns[dimension].add(key, signatures, week)


def _read_tail(campaign_id, since, first_hour, week_start, per_day, per_hour, breakdowns):
    """Add the signatures the buckets do not hold yet (created since ``since``; all when None)."""
    hour = hour_of(Signature.created_at, db.session.get_bind().dialect.name)
    columns = [DIMENSIONS[name] for name in DIMENSIONS]
    query = select(hour, Signature.state, *columns, func.count()).where(Signature.campaign_id == campaign_id)
    if since is not None:
        query = query.where(Signature.created_at >= since)
    for value, state, *keys, signatures in db.session.execute(query.group_by(hour, Signature.state, *columns)):
        value = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        day = local_day(value)
        per_day[day, state] += signatures
        if value >= first_hour:
            per_hour[value, state] += signatures
        if state in Signature.COUNTED_STATES:
            for name, key in zip(DIMENSIONS, keys):
                breakdowns[name].add(key or NO_KEY, signatures, signatures if day >= week_start else 0)


def _coordinators(campaign_id):
    """``({region: received offers}, suspect offers, pending offers)``: an offer still waiting for
    its mailbox's confirmation is nobody MSP may call on yet."""
    regions = defaultdict(int)
    held_back = pending = 0
    for state, region, offers in db.session.execute(
        select(Coordinator.state, Coordinator.region, func.count())
        .where(Coordinator.campaign_id == campaign_id)
        .group_by(Coordinator.state, Coordinator.region)
    ):
        if state == Coordinator.RECEIVED:
            regions[region] += offers
        elif state == Coordinator.PENDING:
            pending += offers
        else:
            held_back += offers
    return dict(regions), held_back, pending


def _subscribers(campaign_id):
    active = Subscription.unsubscribed_at.is_(None)
    confirmed = case((active & Subscription.confirmed_at.is_not(None), 1), else_=0)
    waiting = case((active & Subscription.confirmed_at.is_(None), 1), else_=0)
    row = db.session.execute(
        select(func.sum(confirmed), func.sum(waiting), func.count() - func.sum(confirmed) - func.sum(waiting))
        .where(Subscription.campaign_id == campaign_id)
    ).one()
    return dict(zip(("confirmed", "waiting", "unsubscribed"), (int(n or 0) for n in row)))


def _donations(campaign_id):
    return [
        (currency, interval, int(amount), gifts)
        for currency, interval, amount, gifts in db.session.execute(
            select(Donation.currency, Donation.interval, func.sum(Donation.amount), func.count())
            .where(Donation.campaign_id == campaign_id)
            .group_by(Donation.currency, Donation.interval)
            .order_by(Donation.currency, Donation.interval)
        )
    ]
