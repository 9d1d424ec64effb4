"""The live count in Redis: shared by instances, exact through rebuilds, never a reason for
signing to fail. The design is in ``widget_service/counting.py``'s docstring."""
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_lib
from sqlalchemy import event, func, select

from widget_service import counting
from widget_service.campaigns import find_campaign
from widget_service.extensions import db
from widget_service.models import Signature

from . import services
from .builders import make_campaign, signature


@pytest.fixture
def redis_url():
    return services.require_redis()


@pytest.fixture
def prefix(redis_url):
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis_lib.Redis.from_url(redis_url)
    for stale in client.scan_iter(f"{prefix}*"):
        client.delete(stale)


@pytest.fixture
def live(make_app, redis_url, prefix):
    """An app on Redis with no per-process copy of the count, its campaign, and a Redis client."""
    app = make_app(REDIS_URL=redis_url, REDIS_PREFIX=prefix, COUNT_CACHE_SECONDS=0)
    with app.app_context():
        campaign = make_campaign()
        slug, campaign_id = campaign.slug, campaign.id
    return app, slug, campaign_id, redis_lib.Redis.from_url(redis_url), f"{prefix}live-count:{campaign_id}"


def statements_of(app):
    seen = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def rows(app, campaign_id):
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Signature).where(Signature.campaign_id == campaign_id)
        )


def live_sum(client, key):
    """The live count as the sum script reads it: the newest generation's fields."""
    fields = [tuple(int(part) for part in value.split(b":")) for value in client.hvals(key)]
    newest = max(generation for generation, _ in fields)
    return sum(value for generation, value in fields if generation == newest)


def test_instances_share_one_live_count(make_app, redis_url, prefix):
    first = make_app(REDIS_URL=redis_url, REDIS_PREFIX=prefix, COUNT_CACHE_SECONDS=30)
    second = make_app(create_schema=False, REDIS_URL=redis_url, REDIS_PREFIX=prefix, COUNT_CACHE_SECONDS=30)
    with first.app_context():
        campaign = make_campaign()
        slug, campaign_id = campaign.slug, campaign.id
    first.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    assert first.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 1
    second.test_client().get(f"/api/v1/campaigns/{slug}/count")  # warms the campaign lookup
    seen = statements_of(second)
    # A signature through the first instance raises the shared count: the second sees it once
    # its own short copy has expired, without reading SQL.
    first.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    time.sleep(counting.LOCAL_SECONDS_WITH_REDIS + 0.1)
    assert second.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 2
    assert seen == [], "the live count is read from Redis, not SQL"
    assert live_sum(redis_lib.Redis.from_url(redis_url), f"{prefix}live-count:{campaign_id}") == 2


def test_a_signature_never_creates_a_missing_live_count(live):
    app, slug, campaign_id, client, key = live
    app.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    assert client.exists(key) == 0, "nobody has read the count yet: nothing to raise"
    assert app.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 1
    assert 0 < client.ttl(key) <= counting.REBUILD_SECONDS, "a rebuilt count expires, to be rebuilt again"
    client.delete(key)  # Redis restarted or flushed
    app.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    assert client.exists(key) == 0
    assert app.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 2


def test_a_report_sent_twice_counts_once(live):
    app, slug, campaign_id, client, key = live
    app.test_client().get(f"/api/v1/campaigns/{slug}/count")  # builds the live count
    with app.app_context():
        reported = counting.add_to_count(campaign_id)
        db.session.commit()
        counting.counted(campaign_id, *reported)
        counting.counted(campaign_id, *reported)  # a retried report
        assert counting.current_count(campaign_id) == 1


def test_a_signature_committed_while_the_count_is_rebuilt_is_counted_once(live):
    """The two races of a rebuild, played step by step against the real servers."""
    app, slug, campaign_id, client, key = live
    with app.app_context():
        redis = counting.get_redis()
        # A signature committed before the rebuild's first read, whose report only arrives
        # after the first merge: read by the rebuild AND reported. It must count once.
        early = counting.add_to_count(campaign_id)
        db.session.commit()
        first_read = counting.shards_from_sql(campaign_id)
        # A signature committed after that read, whose report finds no live count: read by
        # neither the first pass nor its own report. The second pass must have it.
        late = counting.add_to_count(campaign_id)
        db.session.commit()
        counting.counted(campaign_id, *late)
        assert client.exists(key) == 0
        counting.merge_shards(redis, campaign_id, first_read, first_pass=True)
        counting.counted(campaign_id, *early)
        assert live_sum(client, key) == 1, "after the first pass, the late signature is missing"
        counting.merge_shards(redis, campaign_id, counting.shards_from_sql(campaign_id), first_pass=False)
        assert live_sum(client, key) == 2
        counting.counted(campaign_id, *late)  # a late report changes nothing either
        assert counting.current_count(campaign_id) == 2 == counting.count_from_sql(campaign_id)


def test_a_signature_committed_between_a_rebuilds_read_and_its_merge_is_counted(live):
    """The same race, with the real ``_rebuild``: a signature slips in once the rebuild's first
    read has given its connection back, before the first merge creates the live count."""
    app, slug, campaign_id, client, key = live
    http = app.test_client()
    http.post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    lock, slipped = f"{key.rsplit('live-count:', 1)[0]}count-rebuild:{campaign_id}", []

    def sign_in_the_gap(*_):
        if not slipped and client.exists(lock) and not client.exists(key):
            slipped.append("signing")  # once: the signature's own connection comes back here too
            slipped.append(http.post(f"/api/v1/campaigns/{slug}/signatures", json=signature()).status_code)

    with app.app_context():
        event.listen(db.engine, "checkin", sign_in_the_gap)
    assert http.get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 2
    assert slipped == ["signing", 202] and live_sum(client, key) == 2 == rows(app, campaign_id)


def test_signing_while_the_live_count_is_dropped_and_rebuilt_loses_and_doubles_nothing(live):
    app, slug, campaign_id, client, key = live
    stop, answers = threading.Event(), []

    def sign(worker):
        http = app.test_client()
        for n in range(40):
            answers.append(http.post(f"/api/v1/campaigns/{slug}/signatures",
                                     json=signature(email=f"w{worker}-{n}@example.org")).status_code)

    def drop_and_read():
        http = app.test_client()
        while not stop.is_set():
            client.delete(key)
            http.get(f"/api/v1/campaigns/{slug}/count")
            stop.wait(0.01)

    dropper = threading.Thread(target=drop_and_read)
    dropper.start()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(sign, range(4)))
    stop.set()
    dropper.join()
    assert answers.count(202) == len(answers) == 160
    assert app.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 160
    assert rows(app, campaign_id) == 160


def test_a_lost_report_is_made_good_by_the_next_rebuild(live):
    app, slug, campaign_id, client, key = live
    for _ in range(3):
        app.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    app.test_client().get(f"/api/v1/campaigns/{slug}/count")
    shard = next(field for field, value in client.hgetall(key).items() if value != b"0:0")
    client.hset(key, shard, "0:0")  # as if that shard's report had been lost to a Redis error
    assert app.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] < 3
    client.delete(key)  # what the hash's expiry does
    assert app.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 3


def test_reconcile_puts_a_recount_in_the_live_count_at_once(live, make_app):
    app, slug, campaign_id, client, key = live
    for _ in range(3):
        app.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    assert app.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 3
    with app.app_context():
        db.session.delete(db.session.scalars(select(Signature)).first())  # at its signer's request
        db.session.commit()
        counting.reconcile(find_campaign(slug).id)
    assert app.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 2


def test_a_recount_racing_a_rebuild_and_a_late_report_brings_no_old_value_back(live):
    """``reconcile`` lowers shards; values read before it must not raise them again."""
    app, slug, campaign_id, client, key = live
    for _ in range(6):
        app.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    with app.app_context():
        redis = counting.get_redis()
        late = counting.add_to_count(campaign_id)  # a signer whose report is still on its way
        db.session.commit()
        stale_read = counting.shards_from_sql(campaign_id)  # a rebuild that read before the recount
        db.session.delete(db.session.scalars(select(Signature)).first())  # at its signer's request
        db.session.commit()
        before, after = counting.reconcile(campaign_id)
        assert (before, after) == (7, 5), "6 signed, one deleted; the late shard add has no signature"
        assert live_sum(client, key) == 5
        counting.merge_shards(redis, campaign_id, stale_read, first_pass=True)  # the stale rebuild lands
        counting.counted(campaign_id, *late)  # and the late report
        assert live_sum(client, key) == 5 == counting.current_count(campaign_id) == counting.count_from_sql(campaign_id)
        again = counting.add_to_count(campaign_id)  # signing goes on in the new generation
        db.session.commit()
        counting.counted(campaign_id, *again)
        assert live_sum(client, key) == 6 == counting.count_from_sql(campaign_id)
        assert counting.reconcile(campaign_id) == (6, 5), "that add had no signature either"


def test_signing_and_counting_work_when_redis_is_unreachable(make_app):
    dead = f"redis://127.0.0.1:{services.free_port()}/0"
    app = make_app(REDIS_URL=dead)
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()
    assert client.post(f"/api/v1/campaigns/{slug}/signatures", json=signature()).status_code == 202
    assert client.get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 1
