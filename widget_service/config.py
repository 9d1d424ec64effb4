"""Configuration, read from ``WIDGET_*`` environment variables.

Every setting the service reads is listed in ``SETTINGS`` with its default, so the configuration
table in docs/operators.md and the code cannot drift apart: ``tests/test_config.py`` checks both.
"""
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import click

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET_KEY = "dev-only-insecure-secret-key"

# name (without the WIDGET_ prefix) -> default
SETTINGS = {
    "ENV": "production",
    "DATABASE_URL": f"sqlite:///{INSTANCE_DIR / 'widget.sqlite3'}",
    "SECRET_KEY": DEV_SECRET_KEY,
    "REDIS_URL": "",
    "REDIS_PREFIX": "msp:",
    "TRUSTED_PROXIES": "0",
    "PUBLIC_URL": "",
    "COUNT_CACHE_SECONDS": "3",
    "MAX_BODY_BYTES": "16384",
    "LOG_LEVEL": "INFO",
    "RATELIMIT_ENABLED": "true",
    "RATELIMIT_IP_BURST": "60 per minute",
    "RATELIMIT_IP_SUSTAINED": "1000 per hour",
    "RATELIMIT_EMAIL": "5 per hour",
    "RATELIMIT_SURGE": "",
    "RATELIMIT_DONATE": "10 per minute;30 per hour",
    "RATELIMIT_DOWNLOADS": "30 per minute",
    "HCAPTCHA_SITEKEY": "",
    "HCAPTCHA_SECRET": "",
    "HCAPTCHA_VERIFY_URL": "https://api.hcaptcha.com/siteverify",
    "HCAPTCHA_SCRIPT_URL": "https://js.hcaptcha.com/1/api.js",
    "HCAPTCHA_HOSTNAMES": "",
    "HCAPTCHA_TIMEOUT_SECONDS": "3",
    "HCAPTCHA_ON_ERROR": "refuse",
    "FORM_MIN_SECONDS": "2",
    "FORM_MAX_AGE_SECONDS": "7200",
    "ATTACHMENT_MAX_BYTES": str(20 * 1024 * 1024),
    "STRIPE_SECRET_KEY": "",
    "STRIPE_WEBHOOK_SECRET": "",
    "STRIPE_API_BASE": "https://api.stripe.com",
    "STRIPE_CHECKOUT_ORIGIN": "https://checkout.stripe.com",
    "STRIPE_TIMEOUT_SECONDS": "10",
    "STRIPE_WEBHOOK_TOLERANCE_SECONDS": "300",
    "PRIVACY_CONTACT": "",
    "RETENTION_DAYS": "365",
    "SMTP_URL": "",
    "SMTP_TIMEOUT_SECONDS": "30",
    "MAIL_FROM": "",
    "MAIL_RETRY_SECONDS": "30",
    "MAIL_DAILY_LIMIT": "10",
    "ALERT_MAILS_PER_MINUTE": "60",
    "DKIM_KEY_FILE": "",
    "DKIM_SELECTOR": "",
    "DKIM_DOMAIN": "",
    "CONFIRM_SIGNATURES": "true",
    "PENDING_EXPIRY_DAYS": "7",
}


def _env(name, environ):
    return environ.get(f"WIDGET_{name}", SETTINGS[name])


def _bool(name, environ):
    raw = _env(name, environ).strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"WIDGET_{name} must be true or false, not {raw!r}")


def _float(name, environ):
    raw = _env(name, environ)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"WIDGET_{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"WIDGET_{name} must be more than 0")
    return value


def _int(name, environ, minimum=0):
    raw = _env(name, environ)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"WIDGET_{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"WIDGET_{name} must be at least {minimum}")
    return value


def _retention_days(environ):
    # The setting it replaces was a promise nothing kept; silently ignoring it would erase data
    # later (or sooner) than the deployment meant.
    if "WIDGET_PRIVACY_RETENTION_MONTHS" in environ:
        raise ConfigError("WIDGET_PRIVACY_RETENTION_MONTHS is replaced by WIDGET_RETENTION_DAYS (days, applied by flask retention apply)")
    value = _int("RETENTION_DAYS", environ)
    if value > 3650:
        raise ConfigError("WIDGET_RETENTION_DAYS must be at most 3650 (ten years)")
    return value


def _choice(name, environ, choices):
    value = _env(name, environ)
    if value not in choices:
        raise ConfigError(f"WIDGET_{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


class ConfigError(click.ClickException):
    """The environment describes a configuration the service must not start with.

    A ``ClickException`` so that the ``flask`` command, which builds the app before it runs any
    of its verbs, says what is wrong in one line (``Error: ...``, exit status 1) instead of a
    traceback; gunicorn and tests see it raised like any other exception.
    """


def from_environ(environ=None):
    """Build the Flask config mapping from the environment."""
    environ = os.environ if environ is None else environ
    env = _env("ENV", environ)
    if env not in ("development", "production", "testing"):
        raise ConfigError("WIDGET_ENV must be development, production or testing")
    secret = _env("SECRET_KEY", environ)
    database_url = _env("DATABASE_URL", environ)
    return {
        "WIDGET_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": _env("REDIS_URL", environ),
        "REDIS_PREFIX": _env("REDIS_PREFIX", environ),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", environ),
        "PUBLIC_URL": _env("PUBLIC_URL", environ).rstrip("/"),
        "COUNT_CACHE_SECONDS": _int("COUNT_CACHE_SECONDS", environ),
        "MAX_CONTENT_LENGTH": _int("MAX_BODY_BYTES", environ, minimum=1024),
        "LOG_LEVEL": _env("LOG_LEVEL", environ).upper(),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", environ),
        "RATELIMIT_IP_BURST": _env("RATELIMIT_IP_BURST", environ),
        "RATELIMIT_IP_SUSTAINED": _env("RATELIMIT_IP_SUSTAINED", environ),
        "RATELIMIT_EMAIL": _env("RATELIMIT_EMAIL", environ),
        "RATELIMIT_SURGE": _env("RATELIMIT_SURGE", environ),
        "RATELIMIT_DONATE": _env("RATELIMIT_DONATE", environ),
        "RATELIMIT_DOWNLOADS": _env("RATELIMIT_DOWNLOADS", environ),
        "HCAPTCHA_SITEKEY": _env("HCAPTCHA_SITEKEY", environ),
        "HCAPTCHA_SECRET": _env("HCAPTCHA_SECRET", environ),
        "HCAPTCHA_VERIFY_URL": _env("HCAPTCHA_VERIFY_URL", environ),
        "HCAPTCHA_SCRIPT_URL": _env("HCAPTCHA_SCRIPT_URL", environ),
        "HCAPTCHA_HOSTNAMES": tuple(h.strip() for h in _env("HCAPTCHA_HOSTNAMES", environ).split(",") if h.strip()),
        "HCAPTCHA_TIMEOUT_SECONDS": _float("HCAPTCHA_TIMEOUT_SECONDS", environ),
        "HCAPTCHA_ON_ERROR": _choice("HCAPTCHA_ON_ERROR", environ, ("refuse", "suspect")),
        "FORM_MIN_SECONDS": _int("FORM_MIN_SECONDS", environ),
        "FORM_MAX_AGE_SECONDS": _int("FORM_MAX_AGE_SECONDS", environ, minimum=60),
        "ATTACHMENT_MAX_BYTES": _int("ATTACHMENT_MAX_BYTES", environ, minimum=1024),
        "STRIPE_SECRET_KEY": _env("STRIPE_SECRET_KEY", environ),
        "STRIPE_WEBHOOK_SECRET": _env("STRIPE_WEBHOOK_SECRET", environ),
        "STRIPE_API_BASE": _env("STRIPE_API_BASE", environ).rstrip("/"),
        "STRIPE_CHECKOUT_ORIGIN": _env("STRIPE_CHECKOUT_ORIGIN", environ).rstrip("/"),
        "STRIPE_TIMEOUT_SECONDS": _float("STRIPE_TIMEOUT_SECONDS", environ),
        "STRIPE_WEBHOOK_TOLERANCE_SECONDS": _int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", environ, minimum=1),
        "PRIVACY_CONTACT": _env("PRIVACY_CONTACT", environ).strip(),
        "RETENTION_DAYS": _retention_days(environ),
        "SMTP_URL": _env("SMTP_URL", environ).strip(),
        "SMTP_TIMEOUT_SECONDS": _float("SMTP_TIMEOUT_SECONDS", environ),
        "MAIL_FROM": _env("MAIL_FROM", environ).strip(),
        "MAIL_RETRY_SECONDS": _float("MAIL_RETRY_SECONDS", environ),
        "MAIL_DAILY_LIMIT": _int("MAIL_DAILY_LIMIT", environ, minimum=1),
        "ALERT_MAILS_PER_MINUTE": _int("ALERT_MAILS_PER_MINUTE", environ, minimum=1),
        "DKIM_KEY_FILE": _env("DKIM_KEY_FILE", environ).strip(),
        "DKIM_SELECTOR": _env("DKIM_SELECTOR", environ).strip(),
        "DKIM_DOMAIN": _env("DKIM_DOMAIN", environ).strip(),
        "CONFIRM_SIGNATURES": _bool("CONFIRM_SIGNATURES", environ),
        "PENDING_EXPIRY_DAYS": _int("PENDING_EXPIRY_DAYS", environ, minimum=1),
        "BABEL_DEFAULT_LOCALE": "en",
        "JSON_SORT_KEYS": False,
    }


_EMAIL_RE = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")


def _web_address(text):
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in text)


def engine_options(database_url):
    """Connection-pool settings per database kind. Every engine hides a statement's parameters
    from its error messages: they hold signers' names and addresses, and an error's message
    ends up in a log."""
    if database_url.startswith("sqlite"):
        # Concurrent writers wait for the lock instead of failing at once.
        return {"connect_args": {"timeout": 15}, "hide_parameters": True}
    # A connection the server closed while it sat in the pool (a restart, a failover) is noticed
    # as it leaves the pool by ``extensions.drop_connections_closed_while_idle``, without a round
    # trip. TCP keepalives make one whose server vanished without a word (a host gone) show up
    # the same way after about a minute of quiet.
    keepalives = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
    return {"pool_size": 5, "max_overflow": 10, "connect_args": keepalives, "hide_parameters": True}


def check(config, log):
    """Refuse configurations that are unsafe in production, and warn about weak ones."""
    public = urlsplit(config["PUBLIC_URL"]) if config["PUBLIC_URL"] else None
    if public and (public.scheme not in ("http", "https") or not public.hostname):
        raise ConfigError("WIDGET_PUBLIC_URL must be a full URL such as https://widgets.example.org")
    contact = config["PRIVACY_CONTACT"]
    if contact and not (_EMAIL_RE.fullmatch(contact) or _web_address(contact)):
        raise ConfigError(
            "WIDGET_PRIVACY_CONTACT must be an email address (privacy@example.org) or a web address "
            "(https://example.org/privacy-requests), where supporters ask for their data"
        )
    for name in ("STRIPE_API_BASE", "STRIPE_CHECKOUT_ORIGIN"):
        parts = urlsplit(config[name])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"WIDGET_{name} must be a full URL such as https://api.stripe.com")
    if config["STRIPE_SECRET_KEY"] and config["WIDGET_ENV"] == "production" and not config["STRIPE_API_BASE"].startswith("https://"):
        raise ConfigError("WIDGET_STRIPE_API_BASE must be an https:// URL in production: the secret key is sent there")
    if config["STRIPE_SECRET_KEY"] and not config["STRIPE_WEBHOOK_SECRET"]:
        unrecorded = (
            "WIDGET_STRIPE_SECRET_KEY is set without WIDGET_STRIPE_WEBHOOK_SECRET: donations would be "
            "taken but never recorded; add the webhook's signing secret (whsec_...)"
        )
        if config["WIDGET_ENV"] == "production":
            raise ConfigError(unrecorded)
        log.warning(unrecorded)
    if config["WIDGET_ENV"] != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        raise ConfigError(
            "WIDGET_SECRET_KEY must be set to a random value of at least 32 characters in "
            "production (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))'); "
            "for a local demo set WIDGET_ENV=development"
        )
    if not config["PUBLIC_URL"]:
        # Share links, Open Graph tags, unsubscribe links, Stripe's return addresses and the
        # captcha's hostname check would otherwise come from the request's Host header, which
        # anybody can set (and a shared cache could then keep and serve).
        raise ConfigError(
            "WIDGET_PUBLIC_URL must be set in production to the service's public address, such as "
            "https://widgets.example.org: links the service gives out are built on it, never on "
            "the Host header a request names"
        )
    if not contact:
        log.warning(
            "WIDGET_PRIVACY_CONTACT is not set: the privacy notice names no address where supporters "
            "can ask to see, correct or delete their data"
        )
    if not config["REDIS_URL"]:
        log.warning(
            "WIDGET_REDIS_URL is not set: rate limits, form-replay memory and the live count are "
            "per process, so several workers or instances each keep their own"
        )
