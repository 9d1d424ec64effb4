"""Reaching the real PostgreSQL, Redis and Chromium the tests need.

On a laptop without one of them, its tests skip and say why. In CI
(``WIDGET_TEST_REQUIRE_SERVICES=1``) a missing service fails them instead, so nothing
silently stops being tested.
"""
import functools
import os
import shutil
import socket
import uuid

import pytest

POSTGRES_URL = os.environ.get("WIDGET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WIDGET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("WIDGET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]


def missing(reason):
    """Skip, or fail when the environment says every service must be there."""
    if os.environ.get("WIDGET_TEST_REQUIRE_SERVICES") in ("1", "true"):
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


@functools.lru_cache(maxsize=None)
def _postgres_error():
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure to reach it means: not available here
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {error.__class__.__name__}"
    return None


def require_postgres():
    error = _postgres_error()
    if error:
        missing(error)
    return POSTGRES_URL


@functools.lru_cache(maxsize=None)
def _redis_error():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:
        return f"Redis not reachable at {REDIS_URL}: {error.__class__.__name__}"
    return None


def require_redis():
    error = _redis_error()
    if error:
        missing(error)
    return REDIS_URL


def require_chromium():
    if not shutil.which(CHROMIUM):
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


def new_schema_name():
    return f"t_{uuid.uuid4().hex[:12]}"


def free_port(host="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
