"""The count cache in Redis: shared by instances, and never a reason for signing to fail."""
import time
import uuid

import pytest
import redis as redis_lib
from sqlalchemy import event

from widget_service.counting import LOCAL_SECONDS_WITH_REDIS
from widget_service.extensions import db

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


def statements_of(app):
    seen = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_instances_share_one_cached_count(make_app, redis_url, prefix):
    first = make_app(REDIS_URL=redis_url, REDIS_PREFIX=prefix, COUNT_CACHE_SECONDS=30)
    second = make_app(create_schema=False, REDIS_URL=redis_url, REDIS_PREFIX=prefix, COUNT_CACHE_SECONDS=30)
    with first.app_context():
        slug = make_campaign().slug
    first.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    assert first.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 1
    second.test_client().get(f"/api/v1/campaigns/{slug}/count")  # warms the campaign lookup
    seen = statements_of(second)
    # A signature through the first instance drops the shared entry: the second sees it once
    # its own short copy of the shared sum has expired.
    first.test_client().post(f"/api/v1/campaigns/{slug}/signatures", json=signature())
    time.sleep(LOCAL_SECONDS_WITH_REDIS + 0.1)
    assert second.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 2
    seen.clear()
    time.sleep(LOCAL_SECONDS_WITH_REDIS + 0.1)
    assert second.test_client().get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 2
    assert seen == [], "a cached count is read from Redis, not SQL"
    assert redis_lib.Redis.from_url(redis_url).get(f"{prefix}count:1") == b"2"


def test_signing_and_counting_work_when_redis_is_unreachable(make_app):
    dead = f"redis://127.0.0.1:{services.free_port()}/0"
    app = make_app(REDIS_URL=dead)
    with app.app_context():
        slug = make_campaign().slug
    client = app.test_client()
    assert client.post(f"/api/v1/campaigns/{slug}/signatures", json=signature()).status_code == 202
    assert client.get(f"/api/v1/campaigns/{slug}/count").get_json()["signatures"] == 1
