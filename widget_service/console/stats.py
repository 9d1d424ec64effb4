"""The console's statistics: signatures rolled up into small buckets, so that the dashboard never
scans a campaign's signatures.

- ``StatsHour``: signatures per campaign, hour (UTC) and state. The charts over time, today, the
  last 7 and 30 days, and what is held back come from it.
- ``StatsDay``: counted signatures per campaign, dimension (partner key, embedding site, country,
  language), day (Pakistan time) and key. The breakdowns come from it.
- ``StatsTotal``: the same per campaign, dimension and key over all days, summed from
  ``StatsDay`` by every rollup, so a view reads a few hundred rows however long the campaign.
- ``StatsRollup``: per campaign, ``rolled_until``, an hour boundary: the buckets hold exactly the
  signatures created before it. The dashboard reads the later ones (the open tail: the current
  hour and the settle margin) live, through the ``(campaign_id, created_at)`` index.

Buckets are never incremented. ``recount(campaign_id, since, until)`` deletes the buckets of the
hours in that range (and of the days it touches) and counts them again from the signatures, in
one transaction, under a lock on the campaign's ``StatsRollup`` row, so running it again, or
twice at once, is always correct. ``rollup`` moves ``rolled_until`` on to the last hour that
closed more than ``SETTLE`` ago and counts the hours in between: a signature's time is taken
before its transaction commits, so an hour is counted only once no transaction that could
still add to it can be in flight. The signing path is untouched: it neither reads nor writes
these tables.

Whatever changes signatures after their hour was rolled up must call ``recount`` over their
time range once its change has committed (moderation does; the mail subpackage's confirm,
not-me and expiry send ``events.signatures_changed``, connected here by ``init_app``);
``flask stats recount SLUG`` repairs everything after a change made by hand.

A day bucket of the day ``rolled_until`` falls in holds that day up to ``rolled_until``; each
rollup counts that day again from its start (its cost is one day's signatures at most).
"""
import time as clock
from datetime import datetime, time, timedelta

from sqlalchemy import Date, Index, case, cast, delete, func, literal_column, select, tuple_, update

from .. import events
from ..extensions import db, insert
from ..models import Coordinator, Signature, utcnow
from . import local_time

# An hour is rolled up this long after it closed: far longer than any signing transaction.
SETTLE = timedelta(minutes=5)
# MSP's days are Pakistan's (UTC+5, no daylight saving time since 2009): "today" is MSP's today.
DAY_OFFSET, PAKISTAN_TIME = local_time.OFFSET, local_time.PAKISTAN_TIME
HOUR = timedelta(hours=1)
DIMENSIONS = {
    "ref": Signature.ref,
    "origin": Signature.source_origin,
    "country": Signature.country,
    "lang": Signature.lang,
}
NO_KEY = ""  # a signature without a partner key or an embedding site


class StatsRollup(db.Model):
    """How far a campaign's signatures are rolled up into the buckets."""

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    rolled_until = db.Column(db.DateTime, nullable=True)  # None: nothing rolled up yet


class StatsHour(db.Model):
    """Signatures of a campaign created in one hour (UTC), per state."""

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    hour = db.Column(db.DateTime, primary_key=True)
    state = db.Column(db.String(16), primary_key=True)
    count = db.Column(db.BigInteger, nullable=False)


class StatsDay(db.Model):
    """Counted signatures of a campaign on one day (Pakistan time) per key of one dimension."""

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    dimension = db.Column(db.String(16), primary_key=True)
    day = db.Column(db.Date, primary_key=True)
    key = db.Column(db.String(255), primary_key=True)
    count = db.Column(db.BigInteger, nullable=False)


class StatsTotal(db.Model):
    """Counted signatures of a campaign per key of one dimension, all days: ``StatsDay`` summed."""

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    dimension = db.Column(db.String(16), primary_key=True)
    key = db.Column(db.String(255), primary_key=True)
    count = db.Column(db.BigInteger, nullable=False)


# The dashboard groups a campaign's coordinators by state and region: without this index
# PostgreSQL reads the whole table (the unique index on email leaves suspect rows out).
Index("ix_coordinator_campaign_state", Coordinator.campaign_id, Coordinator.state)


def floor_hour(moment):
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment):
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def local_day(moment):
    """The day (Pakistan time) of a UTC time."""
    return (moment + DAY_OFFSET).date()


def day_start(day):
    """The UTC time a day (Pakistan time) starts at."""
    return datetime.combine(day, time()) - DAY_OFFSET


def hour_of(column, dialect):
    """SQL for the hour ``column`` (a UTC time) falls in, as the buckets store it."""
    if dialect == "postgresql":
        return func.date_trunc(literal_column("'hour'"), column)
    # SQLAlchemy stores SQLite times as this text; the same text compares in the same order.
    return func.strftime(literal_column("'%Y-%m-%d %H:00:00.000000'"), column)


def day_of(column, dialect):
    """SQL for the day (Pakistan time) of ``column`` (a UTC time)."""
    hours = int(DAY_OFFSET.total_seconds() // 3600)
    if dialect == "postgresql":
        return cast(column + literal_column(f"interval '{hours} hours'"), Date)
    return func.date(column, literal_column(f"'+{hours} hours'"))


def rolled_until(campaign_id):
    """The end of the campaign's rolled-up hours (None: nothing rolled up yet)."""
    return db.session.scalar(select(StatsRollup.rolled_until).where(StatsRollup.campaign_id == campaign_id))


def rollup(campaign_id, now=None, settle=SETTLE, most=None, wait=True):
    """Roll up the campaign's hours that closed more than ``settle`` ago; returns ``rolled_until``.

    ``most``: roll up at most this much time in one go (the dashboard bounds its own work so).
    ``wait=False``: do nothing if another process is rolling up or recounting this campaign
    (PostgreSQL; SQLite waits for its write lock). Commits the session: call it with nothing
    pending.
    """
    target = floor_hour((now or utcnow()) - settle)
    current = rolled_until(campaign_id)
    if current is not None and current >= target:
        return current  # the common case: one read, no lock, no write
    locked = _lock(campaign_id, wait)
    if locked is None:
        db.session.rollback()
        return current
    start = locked.rolled_until
    if start is None:
        first = db.session.scalar(select(func.min(Signature.created_at)).where(Signature.campaign_id == campaign_id))
        start = floor_hour(first) if first is not None else target
    end = target if most is None else min(target, start + most)
    if end > start:
        _rebuild(campaign_id, start, end, end)
        _set_rolled_until(campaign_id, end)
    elif locked.rolled_until is None:
        _set_rolled_until(campaign_id, start)
    db.session.commit()
    return max(start, end)


def catch_up(campaign_id, seconds, step=timedelta(hours=6)):
    """Roll up until every settled hour is done or ``seconds`` have passed, unless another
    process is rolling up this campaign: the dashboard's own, bounded share of the work when
    cron has not done it. Steps start at ``step`` and double while they are quick, so a long
    backlog on a small campaign is done at once and a big one yields within the time.
    Returns ``rolled_until``."""
    deadline = clock.monotonic() + seconds
    target = floor_hour(utcnow() - SETTLE)
    current = rolled_until(campaign_id)
    while current is None or current < target:
        started = clock.monotonic()
        after = rollup(campaign_id, most=step, wait=False)
        if after == current or clock.monotonic() >= deadline:  # another process has it, or time is up
            return after
        current = after
        if clock.monotonic() - started < seconds / 4:  # the next, twice as long, still fits
            step *= 2
    return current


def recount(campaign_id, since=None, until=None):
    """Count again, from the signatures, the buckets of the rolled-up hours in ``[since, until)``
    (UTC; None: from the start, to the end). Call it after a change to signatures of that
    range has committed (a state changed in bulk, a signature deleted or edited); it commits
    its own transaction, and waits while a rollup or recount of the campaign runs. Later
    signatures need nothing: the dashboard reads them live. Returns ``rolled_until``.
    """
    locked = _lock(campaign_id, wait=True)
    end_of_buckets = locked.rolled_until
    if end_of_buckets is None:
        db.session.rollback()
        return None
    start = floor_hour(since) if since is not None else None
    end = end_of_buckets if until is None else min(ceil_hour(until), end_of_buckets)
    if start is None or start < end:
        _rebuild(campaign_id, start, end, end_of_buckets)
    db.session.commit()
    return end_of_buckets


def init_app(app):
    events.signatures_changed.connect(_signatures_changed, sender=app, weak=False)


def _signatures_changed(app, campaign_id, since, until):
    # No rollup has reached the current hour (even with no settle time), nor is one counting it:
    # a change there needs nothing, and the common case takes no lock.
    if since is not None and floor_hour(since) >= floor_hour(utcnow()):
        return
    recount(campaign_id, since, None if until is None else until + timedelta(microseconds=1))  # until included


def _lock(campaign_id, wait):
    """Lock the campaign's ``StatsRollup`` row until the session ends, creating it; the row, or
    None when ``wait`` is false and another transaction holds it."""
    db.session.execute(insert(StatsRollup).values(campaign_id=campaign_id, rolled_until=None).on_conflict_do_nothing())
    db.session.commit()
    row = StatsRollup.campaign_id == campaign_id
    query = select(StatsRollup.rolled_until).where(row)
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(query.with_for_update(skip_locked=not wait)).first()
    # SQLite: take the database's write lock before reading, so two rollups run one after the other.
    db.session.execute(update(StatsRollup).where(row).values(rolled_until=StatsRollup.rolled_until))
    return db.session.execute(query).first()


def _set_rolled_until(campaign_id, moment):
    db.session.execute(update(StatsRollup).where(StatsRollup.campaign_id == campaign_id).values(rolled_until=moment))


def _rebuild(campaign_id, start, end, end_of_buckets):
    """Count the hour buckets of ``[start, end)`` (``start`` None: from the first) and the day
    buckets of the days those hours touch, each day up to ``end_of_buckets``."""
    dialect = db.session.get_bind().dialect.name
    signature = Signature.__table__
    created = signature.c.created_at
    ours = signature.c.campaign_id == campaign_id
    hours = [StatsHour.campaign_id == campaign_id, StatsHour.hour < end]
    signatures = [ours, created < end]
    if start is not None:
        hours.append(StatsHour.hour >= start)
        signatures.append(created >= start)
    db.session.execute(delete(StatsHour).where(*hours))
    hour = hour_of(created, dialect)
    db.session.execute(
        insert(StatsHour).from_select(
            ["campaign_id", "hour", "state", "count"],
            select(signature.c.campaign_id, hour, signature.c.state, func.count())
            .where(*signatures)
            .group_by(signature.c.campaign_id, hour, signature.c.state),
        )
    )
    last_day = local_day(end - timedelta(microseconds=1))
    days = [StatsDay.campaign_id == campaign_id, StatsDay.day <= last_day]
    counted = [ours, signature.c.state.in_(Signature.COUNTED_STATES),
               created < min(day_start(last_day + timedelta(days=1)), end_of_buckets)]
    if start is not None:
        first_day = local_day(start)
        days.append(StatsDay.day >= first_day)
        counted.append(created >= day_start(first_day))
    db.session.execute(delete(StatsDay).where(*days))
    columns = ["campaign_id", "dimension", "day", "key", "count"]
    for query in _per_day(day_of(created, dialect), counted, dialect):
        db.session.execute(insert(StatsDay).from_select(columns, query))
    db.session.execute(delete(StatsTotal).where(StatsTotal.campaign_id == campaign_id))
    db.session.execute(
        insert(StatsTotal).from_select(
            ["campaign_id", "dimension", "key", "count"],
            select(StatsDay.campaign_id, StatsDay.dimension, StatsDay.key, func.sum(StatsDay.count))
            .where(StatsDay.campaign_id == campaign_id)
            .group_by(StatsDay.campaign_id, StatsDay.dimension, StatsDay.key),
        )
    )


def _per_day(day, where, dialect):
    """The queries counting signatures (``where``) per day and key of each dimension: on
    PostgreSQL one, reading the signatures once (``GROUPING SETS``); elsewhere one a dimension."""
    signature = Signature.__table__
    if dialect != "postgresql":
        return [
            select(signature.c.campaign_id, literal_column(f"'{name}'"), day, key, func.count())
            .where(*where).group_by(signature.c.campaign_id, day, key)
            for name, column in DIMENSIONS.items()
            for key in [func.coalesce(column, literal_column("''"))]
        ]
    grouped = [(func.grouping(column) == 0, name, column) for name, column in DIMENSIONS.items()]
    dimension = case(*[(test, literal_column(f"'{name}'")) for test, name, _ in grouped])
    key = case(*[(test, func.coalesce(column, literal_column("''"))) for test, _, column in grouped])
    return [
        select(signature.c.campaign_id, dimension, day, key, func.count())
        .where(*where)
        .group_by(signature.c.campaign_id, day, func.grouping_sets(*[tuple_(column) for _, _, column in grouped]))
    ]
