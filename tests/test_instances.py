"""Several gunicorn instances on one PostgreSQL and one Redis, and the faults they must survive:
Redis killed and restarted mid-signing, PostgreSQL connections cut mid-signing."""
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import redis as redis_lib
import requests
import sqlalchemy

from widget_service.extensions import db

from . import services
from .builders import make_campaign, signature
from .gunicorn_instance import Gunicorn

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def cluster(database_url, make_app):
    """``start(n, **env)`` runs instances on this test's PostgreSQL schema with a campaign in it."""
    url, options = database_url
    schema = options["connect_args"]["options"].split("=", 1)[1]
    app = make_app()
    with app.app_context():
        make_campaign(slug="shared")
    application = f"widget-test-{schema}"
    base_env = {
        "WIDGET_ENV": "production",
        "WIDGET_SECRET_KEY": "s" * 48,
        "WIDGET_DATABASE_URL": f"{url}?options={quote(f'-csearch_path={schema}')}&application_name={application}",
        "WIDGET_TRUSTED_PROXIES": "1",
        "WIDGET_PUBLIC_URL": "http://127.0.0.1",
        "WIDGET_LOG_LEVEL": "ERROR",
        # These tests count signatures as they are stored; confirmation by mail has its own.
        "WIDGET_CONFIRM_SIGNATURES": "false",
    }
    instances = []

    def start(n, log_dir=None, **env):
        instances.extend(Gunicorn({**base_env, **env}, log_dir) for _ in range(n))
        return instances[-n:]

    def rows():
        with app.app_context():
            return db.session.scalar(sqlalchemy.text("SELECT count(*) FROM signature WHERE state = 'counted'"))

    yield type("Cluster", (), {"start": staticmethod(start), "rows": staticmethod(rows), "application": application,
                               "postgres_url": url, "schema": schema})
    for instance in instances:
        instance.stop()


def sign(base_url, n, session):
    """One supporter, from an address of their own (through the one trusted proxy hop)."""
    try:
        response = session.post(
            f"{base_url}/api/v1/campaigns/shared/signatures",
            json=signature(email=f"s{n}@example.org"),
            headers={"X-Forwarded-For": f"10.1.{n // 250}.{n % 250}"},
            timeout=60,
        )
    except requests.RequestException as error:
        return f"connection failed: {error.__class__.__name__}"
    return response.status_code


def sign_concurrently(urls, first, last, threads=8):
    local = threading.local()

    def one(n):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return sign(urls[n % len(urls)], n, local.session)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(first, last)))


def count(url):
    return requests.get(f"{url}/api/v1/campaigns/shared/count", timeout=5).json()["signatures"]


@pytest.fixture
def redis_url():
    return services.require_redis()


def test_two_instances_share_one_exact_count(cluster, redis_url):
    prefix = f"test-{os.urandom(4).hex()}:"
    first, second = cluster.start(2, WIDGET_REDIS_URL=redis_url, WIDGET_REDIS_PREFIX=prefix)
    answers = sign_concurrently([first.url, second.url], 0, 200)
    assert answers.count(202) == 200, set(answers)
    assert cluster.rows() == 200
    assert count(first.url) == count(second.url) == 200
    client = redis_lib.Redis.from_url(redis_url)
    for stale in client.scan_iter(f"*{prefix}*"):
        client.delete(stale)


def test_redis_killed_and_restarted_mid_signing_loses_nothing(cluster, own_redis):
    process, url = own_redis
    [instance] = cluster.start(1, WIDGET_REDIS_URL=url)
    before = sign_concurrently([instance.url], 0, 60)
    process.kill()
    process.wait(timeout=10)
    during = sign_concurrently([instance.url], 60, 120)
    port = url.rsplit(":", 1)[1].split("/")[0]
    restarted = subprocess.Popen(
        ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        after = sign_concurrently([instance.url], 120, 180)
        assert before + during + after == [202] * 180
        assert cluster.rows() == 180
        deadline = time.monotonic() + 60
        while count(instance.url) != 180:
            assert time.monotonic() < deadline, "the count did not return to the database's within 60 s"
            time.sleep(0.5)
    finally:
        restarted.kill()
        restarted.wait(timeout=10)


def test_cut_database_connections_mid_signing_leave_nothing_half_written(cluster):
    [instance] = cluster.start(1, WIDGET_RATELIMIT_ENABLED="false")
    admin = sqlalchemy.create_engine(cluster.postgres_url)
    backends = sqlalchemy.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name AND wait_event_type = 'Lock'")
    cut = sqlalchemy.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name")
    name = {"name": cluster.application}

    # First, for certain: signatures held inside their transactions behind a lock on the count
    # (a backend waits there as it parses the insert), and their connections cut there. Cuts at
    # random times, below, may all land between two requests on a busy machine.
    try:
        with admin.connect() as locker, ThreadPoolExecutor(4) as pool:
            with locker.begin():
                locker.execute(sqlalchemy.text(f"LOCK TABLE {cluster.schema}.counter_shard IN SHARE MODE"))
                held = [pool.submit(sign, instance.url, n, requests.Session()) for n in range(4)]
                deadline = time.monotonic() + 45  # on a machine at load 10, 15 s was once not enough
                with admin.connect() as watcher:
                    while not watcher.execute(backends, name).all():
                        assert time.monotonic() < deadline, (
                            f"no signature reached the lock; answered: {[f.result() for f in held if f.done()]}")
                        time.sleep(0.05)
                    watcher.execute(cut, name)
            answers = [future.result() for future in held]
        assert set(answers) <= {202, 503} and 503 in answers, answers
    except BaseException:
        admin.dispose()  # the second part, whose finally disposes it, will not run
        raise
    # The ones not yet at the lock when the cut came went on afterwards; nothing cut was stored.
    assert cluster.rows() == answers.count(202)

    # Then cuts at random moments under load: whichever way each race goes, every answer is a
    # 202 or a 503 and nothing is stored half-way.
    stop = threading.Event()

    def cut_connections():
        while not stop.is_set():
            with admin.begin() as connection:
                connection.execute(cut, name)
            stop.wait(0.15)

    cutter = threading.Thread(target=cut_connections)
    cutter.start()
    try:
        answers += sign_concurrently([instance.url], 4, 154)
    finally:
        stop.set()
        cutter.join(timeout=10)
        admin.dispose()
    assert set(answers) <= {202, 503}, set(answers)
    rows = cluster.rows()
    # A commit can succeed while its connection dies before the answer: such a signature is
    # stored though its signer saw 503. Nothing is stored half-way: the count equals the rows.
    assert answers.count(202) <= rows <= len(answers)
    assert sign(instance.url, 1000, requests.Session()) == 202, "the instance recovers without a restart"
    time.sleep(0.1)
    assert count(instance.url) == cluster.rows() == rows + 1


def test_redis_flushed_again_and_again_mid_signing_loses_nothing(cluster, own_redis):
    _, url = own_redis
    first, second = cluster.start(2, WIDGET_REDIS_URL=url)
    client, stop = redis_lib.Redis.from_url(url), threading.Event()

    def flush():
        while not stop.is_set():
            client.flushall()
            count(first.url)  # a reader rebuilding the cached sum while others sign
            stop.wait(0.05)

    flusher = threading.Thread(target=flush)
    flusher.start()
    try:
        answers = sign_concurrently([first.url, second.url], 0, 160)
    finally:
        stop.set()
        flusher.join(timeout=10)
    assert answers == [202] * 160
    assert cluster.rows() == 160
    time.sleep(4.5)  # a sum rebuilt just before the last commits lives at most the cache period (+1 s)
    assert count(first.url) == count(second.url) == 160


def test_the_access_log_holds_no_client_address_and_no_unsubscribe_token(cluster, tmp_path):
    [instance] = cluster.start(1, log_dir=tmp_path)
    log = instance.access_log
    assert sign(instance.url, 7, requests.Session()) == 202
    token = "WzEsImFiY2RlZiJd.c2VjcmV0LXNpZ25hdHVyZQ"
    assert requests.get(f"{instance.url}/unsubscribe/{token}?lang=ur", timeout=5).status_code in (400, 404)
    assert requests.get(f"{instance.url}/confirm/{token}", timeout=5).status_code in (400, 404)
    instance.stop()
    lines = log.read_text().splitlines()
    assert any('"POST /api/v1/campaigns/shared/signatures" 202' in line for line in lines), lines
    assert any('"GET /unsubscribe/…" 40' in line for line in lines), lines
    assert any('"GET /confirm/…" 40' in line for line in lines), lines
    text = "\n".join(lines)
    assert token not in text and "lang=ur" not in text and "10.1.0.7" not in text and "127.0.0.1" not in text
