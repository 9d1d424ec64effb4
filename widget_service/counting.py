"""The shared signature count.

SQL is the source of truth: every counted signature adds one to one of a campaign's
``CounterShard`` rows in the same transaction that stores it, so the count commits or rolls
back with the signature and can never drift from it. Reading sums ``CounterShard.SHARDS``
rows through the primary key (constant work, never ``COUNT(*)`` over signatures), and the sum
is cached for ``WIDGET_COUNT_CACHE_SECONDS`` so hot reads do not touch the database: in Redis
when it is configured (one sum per period for all instances), else per process.

Redis holds only that cached sum, never the count itself: a flushed or restarted Redis costs one
16-row read, and no increment can be lost or doubled there. A signature drops the cached sum
after it commits; a reader that summed just before that commit may put the old sum back, which
then lives at most ``WIDGET_COUNT_CACHE_SECONDS``: the count is never wrong for longer.

The shards can only drift from the signatures when rows are changed by hand (a signature
deleted at its signer's request, a suspect one approved): ``reconcile`` recounts them.
"""
import logging
import random

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import CounterShard, Signature
from .redis_client import get_redis, key, redis_errors

log = logging.getLogger(__name__)


def _local_cache():
    return current_app.extensions["msp_counts"]


def _cache_key(campaign_id):
    return key("count", campaign_id)


def _insert():
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add_to_count(campaign_id, amount=1):
    """Add to a random shard inside the caller's transaction (an upsert, so no row is missing)."""
    shard = random.randrange(CounterShard.SHARDS)
    statement = _insert()(CounterShard).values(campaign_id=campaign_id, shard=shard, count=amount)
    statement = statement.on_conflict_do_update(
        index_elements=[CounterShard.campaign_id, CounterShard.shard],
        set_={"count": CounterShard.count + amount},
    )
    db.session.execute(statement)


def count_from_sql(campaign_id):
    total = db.session.scalar(
        select(func.coalesce(func.sum(CounterShard.count), 0)).where(CounterShard.campaign_id == campaign_id)
    )
    return int(total)


# With Redis, each process also keeps the shared sum for this long, so most reads of the hot
# count cost no network round trip; the count is then at most this much staler.
LOCAL_SECONDS_WITH_REDIS = 1


def current_count(campaign_id):
    """The campaign's count, at most ``COUNT_CACHE_SECONDS`` (+1 with Redis) stale."""
    ttl = current_app.config["COUNT_CACHE_SECONDS"]
    if ttl == 0:
        return count_from_sql(campaign_id)
    value = _local_cache().get(campaign_id)
    if value is not None:
        return value
    redis = get_redis()
    local_ttl = ttl
    if redis is not None:
        local_ttl = min(ttl, LOCAL_SECONDS_WITH_REDIS)
        try:
            cached = redis.get(_cache_key(campaign_id))
            if cached is not None:
                value = int(cached)
            else:
                value = count_from_sql(campaign_id)
                redis.set(_cache_key(campaign_id), value, ex=ttl)
        except redis_errors as error:
            log.warning("count cache in Redis unavailable, using the local one: %s", error)
            local_ttl = ttl
    if value is None:
        value = count_from_sql(campaign_id)
    _local_cache().set(campaign_id, value, local_ttl)
    return value


def forget_cached_count(campaign_id):
    """Drop the cached count after a signature commits: this process, and every process once
    its one-second copy expires, reads the new sum."""
    _local_cache().pop(campaign_id)
    redis = get_redis()
    if redis is not None:
        try:
            redis.delete(_cache_key(campaign_id))
        except redis_errors as error:
            log.warning("could not drop the cached count in Redis: %s", error)


def reconcile(campaign_id):
    """Recount a campaign's shards from its counted signatures; returns ``(before, after)``.

    Safe while people sign. Every shard row is made to exist first, so a signer only ever
    updates rows; then the rows are locked (PostgreSQL: ``FOR UPDATE``; SQLite: the write
    lock), which makes every signer that has not yet added to a shard wait until the recount
    commits, so each signature is in the recount or adds itself after it, never both.
    """
    rows = [{"campaign_id": campaign_id, "shard": n, "count": 0} for n in range(CounterShard.SHARDS)]
    db.session.execute(_insert()(CounterShard).values(rows).on_conflict_do_nothing())
    db.session.commit()
    shards = CounterShard.campaign_id == campaign_id
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(CounterShard.shard).where(shards).with_for_update())
    else:
        db.session.execute(update(CounterShard).where(shards).values(count=CounterShard.count))
    before = count_from_sql(campaign_id)
    after = db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.campaign_id == campaign_id, Signature.state.in_(Signature.COUNTED_STATES))
    )
    db.session.execute(update(CounterShard).where(shards).values(count=0))
    db.session.execute(update(CounterShard).where(shards, CounterShard.shard == 0).values(count=after))
    db.session.commit()
    forget_cached_count(campaign_id)
    return before, after
