"""Where signing spends its time: one process, PostgreSQL and Redis, rate limits on.

    .venv/bin/python bench/profile_signing.py [--requests 2000] [--top 25]

Signs ``--requests`` times through the WSGI app in this process (no HTTP server, so the figures
are the service's own work), prints the mean time per signature and the round trips it makes
to PostgreSQL and Redis, then the cProfile functions with the most cumulative time. Works in a
schema and a Redis key prefix of its own and removes them. Run by hand, like bench/run.py.
"""
import argparse
import contextlib
import cProfile
import os
import pstats
import secrets
import sys
import time
import uuid
from pathlib import Path

import redis
import sqlalchemy
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from widget_service import create_app  # noqa: E402
from widget_service.config import engine_options  # noqa: E402

POSTGRES_URL = os.environ.get("WIDGET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WIDGET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class RedisCalls:
    """Counts the commands sent to Redis (pipelines count once)."""

    def __init__(self):
        self.calls = 0
        original = redis.connection.Connection.send_packed_command

        def counting(connection, command, check_health=True):
            self.calls += 1
            return original(connection, command, check_health)

        redis.connection.Connection.send_packed_command = counting


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    args = parser.parse_args()
    with service_app() as (app, slug):
        run(args, app, slug)


@contextlib.contextmanager
def service_app():
    """The app as in production (rate limits on, PostgreSQL and Redis) in a schema and a Redis
    key prefix of its own, removed afterwards, with the demo campaign: ``(app, slug)``."""
    schema, prefix = f"prof_{uuid.uuid4().hex[:8]}", f"prof-{uuid.uuid4().hex[:8]}:"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    production = engine_options(POSTGRES_URL)
    try:
        app = create_app({
            "ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                **production, "connect_args": {**production["connect_args"], "options": f"-csearch_path={schema}"},
            },
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": prefix,
            "TRUSTED_PROXIES": 1,
            "PUBLIC_URL": "http://127.0.0.1",
            "LOG_LEVEL": "WARNING",
            # Counted at once, as measured before confirmation by mail existed; the pending path
            # is another measurement.
            "CONFIRM_SIGNATURES": False,
        })
        from widget_service import demo_campaign
        from widget_service.campaigns import create_campaign
        from widget_service.extensions import db

        with app.app_context():
            db.create_all()
            slug = create_campaign(demo_campaign.SLUG, demo_campaign.GOAL, demo_campaign.TEXTS).slug
        yield app, slug
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def signer(client, slug):
    """``sign(n)``: the ``n``-th signature, from a mailbox and a client IP of its own."""
    def sign(n):
        response = client.post(
            f"/api/v1/campaigns/{slug}/signatures",
            json={"name": "Profile Supporter", "email": f"p{n}@example.org", "country": "PK"},
            headers={"X-Forwarded-For": f"10.{n % 250}.{n // 250 % 250}.1"},
        )
        assert response.status_code == 202, response.get_data(as_text=True)

    return sign


def run(args, app, slug):
    from widget_service.extensions import db

    client = app.test_client()
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    redis_calls = RedisCalls()
    sign = signer(client, slug)
    for n in range(50):  # warm up: connections, caches, scripts
        sign(n)
    statements.clear()
    redis_calls.calls = 0
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(50, 50 + args.requests):
        sign(n)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{args.requests} signatures one after another: {elapsed / args.requests * 1000:.2f} ms each, of which "
          f"{cpu / args.requests * 1000:.2f} ms CPU in this process; {len(statements) / args.requests:.1f} SQL "
          f"statements and {redis_calls.calls / args.requests:.1f} Redis commands per signature")
    print("SQL statements of one signature:")
    for statement in statements[-round(len(statements) / args.requests):]:
        print("   ", " ".join(statement.split())[:110])
    profile = cProfile.Profile()
    profile.enable()
    for n in range(50 + args.requests, 50 + 2 * args.requests):
        sign(n)
    profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
