"""The shared signature count.

SQL is the source of truth: every counted signature adds one to one of a campaign's
``CounterShard`` rows in the same transaction that stores it, so the shards commit or roll back
with the signature and never drift from it. A signer adds to a random shard, so concurrent
signers rarely wait on one row. Without Redis, reading sums the ``CounterShard.SHARDS`` rows
through the primary key (constant work, never ``COUNT(*)``), cached per process for
``WIDGET_COUNT_CACHE_SECONDS``.

With Redis, the live count is a hash ``live-count:<campaign>`` holding, per shard, the highest shard
value any instance has reported; the count is the sum of its fields. The design, and why it is
exact:

- After its transaction commits, a signer reports its shard's new value (``UPDATE ... RETURNING``)
  with ``raise_shard``: a script that raises the field to that value, never lowers it, and does
  nothing when the hash is missing. Raising to a value is idempotent where ``INCR`` is not: a
  report sent twice, or one that races a rebuild, cannot count a signature twice. A rolled-back
  signature reports nothing. An increment never creates a missing key.
- A missing hash (Redis restarted, flushed, or the hash expired) is rebuilt by whichever reader
  takes the rebuild lock, in two passes: read the shards from SQL and merge them in (the merge
  also raises only, and creates the hash), then read SQL again and merge again. A signer whose
  report found no hash had committed before that report, so before the first merge, so before
  the second read: the second pass has it. A signer reporting after the first merge raises the
  hash itself. Either way nothing is lost, and nothing is doubled because merging is a maximum,
  not a sum. Readers that find the lock taken read SQL meanwhile.
- Raising only works while shard values only grow, and ``reconcile`` may lower them (a
  signature deleted by hand). So every shard value carries the shards' generation, which a
  recount raises in the same transaction: fields hold ``generation:value``, "higher" means a
  later generation, or the same one and a larger value, and the sum counts the newest
  generation only. A report or a rebuild that read the shards before a recount carries the old
  generation and can no longer raise anything, so a recount racing a rebuild or a late report
  cannot bring old values back (and double the count). ``reconcile`` merges the recount into
  the live hash itself, in two passes, once it commits.
- A shard's value only ever grows within a generation, so a report lost to a Redis error is
  made good by the next signature on that shard. The hash also expires ``REBUILD_SECONDS`` after
  it was built, so a lost report is in the live count within that time at the latest.
- Each process keeps the count it read for ``LOCAL_SECONDS_WITH_REDIS`` (a hot count costs no
  round trip); a signature clears its own process's copy.

When Redis is down, counts come from SQL (cached per process) and signing goes on.
The shards themselves drift from the signatures only when rows are changed by hand (a signature
deleted at its signer's request): ``reconcile`` recounts them. A moderator holding signatures back
or restoring them changes the shards in the same transaction (``adjust_count``), as a recount does.
"""
import logging
import random

from flask import current_app
from sqlalchemy import BigInteger, Integer, SmallInteger, bindparam, func, literal, select, text, update

from .extensions import db, insert, insert_unless_present, prepared
from .models import CounterShard, Signature, utcnow
from .redis_client import get_redis, key, redis_errors

log = logging.getLogger(__name__)

# With Redis, each process keeps the live count it read for this long, so most reads of the hot
# count cost no network round trip; the count is then at most this much staler.
LOCAL_SECONDS_WITH_REDIS = 1
# The live hash is rebuilt from SQL this often at the latest (see the module's docstring).
REBUILD_SECONDS = 60
REBUILD_LOCK_MILLISECONDS = 5000

# Fields hold "generation:value". NEWER tells whether (generation, value) in ARGV beats a field's.
NEWER = """
local function newer(old, generation, value)
  if not old then return true end
  local g, v = string.match(old, '^(%d+):(%d+)$')
  g, v = tonumber(g or '-1'), tonumber(v or '-1')
  return generation > g or (generation == g and value > v)
end
"""
# Raise one shard's field to a reported (generation, value); nothing when the hash is missing.
RAISE_SHARD = NEWER + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if newer(redis.call('HGET', KEYS[1], ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
end
return 1
"""
# Merge SQL's shards (ARGV[2..]: shard, generation, value triples) the same way, creating the
# hash; the first pass of a rebuild also sets the hash's lifetime (ARGV[1] seconds; 0: leave it).
MERGE_SHARDS = NEWER + """
for i = 2, #ARGV, 3 do
  if newer(redis.call('HGET', KEYS[1], ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ':' .. ARGV[i + 2])
  end
end
if tonumber(ARGV[1]) > 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
return 1
"""
# The live count: the sum of the newest generation's fields, or nil when the hash is missing.
SUM_SHARDS = """
local values = redis.call('HVALS', KEYS[1])
if #values == 0 then return false end
local newest, total = -1, 0
for _, field in ipairs(values) do
  local g, v = string.match(field, '^(%d+):(%d+)$')
  g, v = tonumber(g or '-1'), tonumber(v or '0')
  if g > newest then newest, total = g, v elseif g == newest then total = total + v end
end
return total
"""


def init_app(app):
    redis = app.extensions.get("msp_redis")
    if redis is not None:
        app.extensions["msp_count_scripts"] = {
            "raise": redis.register_script(RAISE_SHARD),
            "merge": redis.register_script(MERGE_SHARDS),
            "sum": redis.register_script(SUM_SHARDS),
        }


def _script(name):
    return current_app.extensions["msp_count_scripts"][name]


def _local_cache():
    return current_app.extensions["msp_counts"]


def _live_key(campaign_id):
    return key("live-count", campaign_id)


def add_to_count(campaign_id, amount=1):
    """Add to a random shard inside the caller's transaction (an upsert, so no row is missing).

    Returns ``(shard, generation, value)``, the shard's new value, for ``counted`` once the
    caller commits.
    """
    shard = random.randrange(CounterShard.SHARDS)
    values = {"campaign_id": campaign_id, "shard": shard, "count": amount}
    generation, value = db.session.execute(_add_statement(), values).one()
    return shard, generation, value


def _shard_upsert(statement):
    """``statement``, an insert of shard rows, made to add to a shard that exists and to return
    the shard's ``(generation, value)``."""
    table = CounterShard.__table__
    return statement.on_conflict_do_update(
        index_elements=[table.c.campaign_id, table.c.shard],
        set_={"count": table.c.count + statement.excluded.count},
    ).returning(table.c.generation, table.c.count)


def _add_statement():
    """The shard upsert, run with parameters (compiled once: a hot path)."""
    return prepared("add-to-count", lambda insert: _shard_upsert(insert(CounterShard.__table__)))


def insert_counted(values, commit=False):
    """Insert a signature that counts, unless its mailbox has signed the campaign already, and
    add it to a random shard in the same transaction.

    Returns ``(shard, generation, value)`` for ``counted`` once the transaction commits, or None
    for a duplicate (nothing added). On PostgreSQL both are one statement, a data-modifying CTE
    whose upsert reads the insert's returned row, so a duplicate adds nothing: one round trip
    where two would do, on the hottest path of the service. SQLite has no DML in a CTE: two
    statements.

    ``commit``: nothing else goes into this transaction, so store and commit now. On PostgreSQL
    the statement then runs alone in autocommit mode (one statement is one transaction), on a
    connection of its own rather than the session's: one round trip in all, where BEGIN, the
    statement and COMMIT take three. Unless the session's transaction has begun already (it
    read or added something earlier in the request): then in that transaction, committed with
    whatever it holds, rather than on a second connection. Without ``commit``, the caller's
    session holds the statement until the caller commits.
    """
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql and commit and not db.session().in_transaction():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return _insert_counted_on_postgresql(connection, values)
    if postgresql:
        reported = _insert_counted_on_postgresql(db.session, values)
    elif insert_unless_present(Signature, values):
        reported = add_to_count(values["campaign_id"])
    else:
        reported = None
    if commit:
        db.session.commit()
    return reported


def _insert_counted_on_postgresql(connection, values):
    shard = random.randrange(CounterShard.SHARDS)
    row = connection.execute(
        prepared("insert-counted", _insert_counted_statement), {**values, "created_at": utcnow(), "shard": shard}
    ).first()
    return None if row is None else (shard, *row)


def _insert_counted_statement(insert):
    """``insert_counted``'s statement on PostgreSQL: the signature's insert, as a CTE returning its
    row unless the mailbox has signed already, and the shard upsert fed by that row."""
    table = Signature.__table__
    new = (
        insert(table)
        .values({column.name: bindparam(column.name) for column in table.columns if column.name != "id"})
        .on_conflict_do_nothing(index_elements=[table.c.campaign_id, table.c.email_canonical],
                                index_where=text("state <> 'suspect'"))
        .returning(table.c.campaign_id)
        .cte("new_signature")
    )
    one_more = select(
        new.c.campaign_id,
        bindparam("shard", type_=SmallInteger).label("shard"),
        literal(1, BigInteger).label("count"),
        literal(0, Integer).label("generation"),  # a new shard row's; an existing row keeps its own
    )
    return _shard_upsert(insert(CounterShard.__table__).from_select(list(one_more.selected_columns.keys()), one_more))


def counted(campaign_id, shard, generation, value):
    """After the commit that set ``shard`` to ``value``: report it to the live count."""
    _local_cache().pop(campaign_id)
    redis = get_redis()
    if redis is None:
        return
    try:
        _script("raise")(keys=[_live_key(campaign_id)], args=[shard, generation, value])
    except redis_errors as error:
        # The next signature on this shard, or the next rebuild, makes this one good.
        log.warning("could not report a signature to the live count: %s", error)


def shards_from_sql(campaign_id):
    """Every shard's ``(generation, value)``, missing rows as 0 (rows are missing only before a
    campaign's first recount), read in a transaction of its own: it sees every commit made
    before it, and leaves the caller's session alone."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(CounterShard.shard, CounterShard.generation, CounterShard.count)
            .where(CounterShard.campaign_id == campaign_id)
        ).all()
    values = dict.fromkeys(range(CounterShard.SHARDS), (0, 0))
    values.update({shard: (generation, count) for shard, generation, count in rows})
    return values


def count_from_sql(campaign_id):
    total = db.session.scalar(
        select(func.coalesce(func.sum(CounterShard.count), 0)).where(CounterShard.campaign_id == campaign_id)
    )
    return int(total)


def merge_shards(redis, campaign_id, shards, first_pass):
    """Merge shard values read from SQL into the live hash, creating it."""
    triples = [item for shard, (generation, value) in shards.items() for item in (shard, generation, value)]
    lifetime = REBUILD_SECONDS if first_pass else 0
    _script("merge")(keys=[_live_key(campaign_id)], args=[lifetime, *triples], client=redis)


def _rebuild(redis, campaign_id):
    """Rebuild a missing live hash in two passes under a lock; the count, or None if another
    reader holds the lock (the caller reads SQL then)."""
    lock = key("count-rebuild", campaign_id)
    if not redis.set(lock, 1, nx=True, px=REBUILD_LOCK_MILLISECONDS):
        return None
    try:
        merge_shards(redis, campaign_id, shards_from_sql(campaign_id), first_pass=True)
        merge_shards(redis, campaign_id, shards_from_sql(campaign_id), first_pass=False)
        return _script("sum")(keys=[_live_key(campaign_id)], client=redis)
    finally:
        redis.delete(lock)


def _live_count(redis, campaign_id):
    value = _script("sum")(keys=[_live_key(campaign_id)], client=redis)
    if value is None:
        value = _rebuild(redis, campaign_id)
    return None if value is None else int(value)


def current_count(campaign_id):
    """The campaign's count: live from Redis (at most ``LOCAL_SECONDS_WITH_REDIS`` stale), or
    from SQL at most ``COUNT_CACHE_SECONDS`` stale."""
    ttl = current_app.config["COUNT_CACHE_SECONDS"]
    value = _local_cache().get(campaign_id)
    if value is not None:
        return value
    redis = get_redis()
    local_ttl = ttl
    if redis is not None:
        try:
            value = _live_count(redis, campaign_id)
            local_ttl = min(ttl, LOCAL_SECONDS_WITH_REDIS)
        except redis_errors as error:
            log.warning("live count in Redis unavailable, counting from SQL: %s", error)
    if value is None:
        value = count_from_sql(campaign_id)
    if local_ttl > 0:
        _local_cache().set(campaign_id, value, local_ttl)
    return value


def reconcile(campaign_id):
    """Recount a campaign's shards from its counted signatures; returns ``(before, after)``.

    Safe while people sign. Every shard row is made to exist first, so a signer only ever
    updates rows; then the rows are locked (PostgreSQL: ``FOR UPDATE``; SQLite: the write
    lock), which makes every signer that has not yet added to a shard wait until the recount
    commits, so each signature is in the recount or adds itself after it, never both. A recount
    that changes the total starts a new generation of shard values (see the module's
    docstring) and merges it into the live count once committed; one that finds no drift
    changes nothing.
    """
    _make_shards(campaign_id)
    db.session.commit()
    _lock_shards(campaign_id)
    before = count_from_sql(campaign_id)
    after = db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.campaign_id == campaign_id, Signature.state.in_(Signature.COUNTED_STATES))
    )
    if before == after:
        db.session.rollback()  # no drift: leave the shards, and the live count, as they are
        return before, after
    _new_generation(campaign_id, after)
    db.session.commit()
    publish_recount(campaign_id)
    return before, after


def adjust_count(campaign_id, delta):
    """Add ``delta`` to a campaign's count in the caller's transaction, as a recount does: a
    new generation of shard values, so the live count can go down (signatures held back by a
    moderator) as well as up. The caller changes the signatures' states first, in the same
    transaction, then calls this (the shards are locked here, so every signer adds before or
    after, as in ``reconcile``), commits, and calls ``publish_recount``. Returns the new total.
    """
    _make_shards(campaign_id)
    _lock_shards(campaign_id)
    total = max(count_from_sql(campaign_id) + delta, 0)  # below 0 only after a drift; reconcile repairs it
    _new_generation(campaign_id, total)
    return total


def _make_shards(campaign_id):
    rows = [{"campaign_id": campaign_id, "shard": n, "count": 0} for n in range(CounterShard.SHARDS)]
    db.session.execute(insert(CounterShard).values(rows).on_conflict_do_nothing())


def _lock_shards(campaign_id):
    """Lock a campaign's shard rows until the transaction ends."""
    shards = CounterShard.campaign_id == campaign_id
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(CounterShard.shard).where(shards).with_for_update())
    else:
        db.session.execute(update(CounterShard).where(shards).values(count=CounterShard.count))


def _new_generation(campaign_id, total):
    shards = CounterShard.campaign_id == campaign_id
    db.session.execute(update(CounterShard).where(shards).values(count=0, generation=CounterShard.generation + 1))
    db.session.execute(update(CounterShard).where(shards, CounterShard.shard == 0).values(count=total))


def publish_recount(campaign_id):
    """After the commit of a new generation (a recount, a moderation): into the live count."""
    _local_cache().pop(campaign_id)
    redis = get_redis()
    if redis is not None:
        try:  # two passes, as in a rebuild: signers reporting meanwhile are merged either way
            merge_shards(redis, campaign_id, shards_from_sql(campaign_id), first_pass=True)
            merge_shards(redis, campaign_id, shards_from_sql(campaign_id), first_pass=False)
        except redis_errors as error:
            log.warning("recount not in the live count until it is rebuilt: %s", error)
