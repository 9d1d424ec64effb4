"""The optional Redis connection, shared by everything that keeps derived state there."""
import redis
from flask import current_app

# Any Redis failure (down, timed out, a read-only replica after failover, out of memory):
# callers fall back instead of failing the request, since Redis only holds derived state.
redis_errors = (redis.exceptions.RedisError,)


def init_app(app):
    url = app.config.get("REDIS_URL")
    # Short timeouts: a slow or dead Redis must not hold a supporter's request for long.
    app.extensions["msp_redis"] = (
        redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5) if url else None
    )


def get_redis():
    return current_app.extensions.get("msp_redis")


def key(*parts):
    """A Redis key under this deployment's prefix, so deployments can share one Redis."""
    return current_app.config["REDIS_PREFIX"] + ":".join(str(part) for part in parts)
