"""Rate limits for every public form (Flask-Limiter, in Redis when configured).

Per client IP (IPv6: its /64) per campaign, burst and sustained, sized for carrier-grade NAT;
an optional campaign-wide surge limit; a tighter per-IP limit for starting donations; per
canonical email, tested and spent in one step as a form passes the other checks, and given
back if the database fails to store it (``protection.check_form`` answers an exhausted mailbox
like a duplicate, so it reveals nobody's signature); and limits on other views (downloads)
marked ``@rate_limited(SETTING)``. Addresses enter keys only as keyed hashes. A refusal is a
429 with ``Retry-After``; no ``X-RateLimit-*`` headers.
"""
import functools
import hashlib
import hmac
import ipaddress
import logging
import math
import time

from flask import current_app, request
from flask_limiter import Limiter
from limits import parse, parse_many

from .config import ConfigError
from .errors import WidgetError

log = logging.getLogger(__name__)


def keyed_hash(purpose, value):
    """An HMAC of ``value`` under the secret key: lets us group by an IP or an address
    (signatures, rate-limit buckets in Redis) without keeping the IP or the address itself."""
    if not value:
        return None
    key = _purpose_key(purpose, current_app.config["SECRET_KEY"])
    return hmac.digest(key, value.encode(), "sha256").hex()[:32]


@functools.lru_cache(maxsize=16)
def _purpose_key(purpose, secret_key):
    """A key of its own per purpose, derived from the secret key once, not per hash."""
    return hashlib.sha256(f"msp-{purpose}:".encode() + secret_key.encode()).digest()


def client_network(ip):
    """The unit a client is limited by: its IPv4 address, or its IPv6 /64 (one subscriber's
    allocation, from which a client could otherwise take a fresh address per request)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip or ""
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _campaign_in_key():
    """The campaign's slug, or one shared name for every unknown one, so random slugs can
    neither dodge the limits nor fill the limits storage with one-off buckets."""
    from .campaigns import campaign_ref  # cached: no query for a known campaign

    slug = request.view_args.get("slug", "")
    try:
        return campaign_ref(slug).slug
    except WidgetError:
        return "-"


def client_campaign_key():
    """The per-IP limits' key, worked out once per request (Flask-Limiter asks once per limit).
    Kept in the request's environ, not in ``g``: requests made inside one app context share
    ``g``."""
    key = request.environ.get("msp.client_campaign_key")
    if key is None:
        key = f"{keyed_hash('ip-hash', client_network(request.remote_addr))}:{_campaign_in_key()}"
        request.environ["msp.client_campaign_key"] = key
    return key


def protected_form(kind, ip_limits=("RATELIMIT_IP_BURST", "RATELIMIT_IP_SUSTAINED")):
    """Mark a view that accepts ``kind`` forms; ``init_app`` gives it the per-IP limits named by
    the ``ip_limits`` settings (the forms' burst and sustained ones unless a form needs its own)
    and the campaign-wide surge limit."""

    def mark(view):
        view.msp_form_kind = kind
        view.msp_form_limits = ip_limits
        return view

    return mark


def rate_limited(setting):
    """Mark a view that is not a form (a download) for ``init_app`` to limit per client IP and
    campaign by the limit in the config ``setting``."""

    def mark(view):
        view.msp_rate_limit = setting
        return view

    return mark


def _limit(limiter, config, kind, view):
    """Wrap ``view`` in its per-IP limits, and in the campaign-wide surge limit when one is set,
    shared by every ``kind`` view. The limits are read from ``config`` once, here: parsed once,
    not on every request, and no surge check at all when there is no surge limit."""
    ip_limits = ";".join(config[setting] for setting in view.msp_form_limits)
    view = limiter.shared_limit(ip_limits, scope=f"{kind}-ip", key_func=client_campaign_key)(view)
    if config["RATELIMIT_SURGE"]:
        view = limiter.shared_limit(config["RATELIMIT_SURGE"], scope=f"{kind}-surge", key_func=_campaign_in_key)(view)
    return view


def _email_key(kind, campaign_id, email_canonical):
    config = current_app.config
    return (
        current_app.extensions["msp_email_limit"],
        config["RATELIMIT_KEY_PREFIX"],
        f"{kind}-email",
        str(campaign_id),
        keyed_hash("email", email_canonical),
    )


def email_spend(kind, campaign_id, email_canonical):
    """Spend one of this mailbox's allowance; False when it had none left (the caller then
    answers as for a duplicate). Testing and spending is one atomic step, one round trip."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    try:
        return current_app.extensions["msp_limiter"].limiter.hit(*_email_key(kind, campaign_id, email_canonical))
    except Exception as error:  # the limits storage failed: never refuse a supporter for it
        log.warning("per-email limit skipped, rate-limit storage failed: %s", error.__class__.__name__)
        return True


def email_refund(kind, campaign_id, email_canonical):
    """Give a mailbox its allowance back after its form could not be stored because the database
    went away, so the same form can be sent again. A moving window cannot take one entry back,
    so the mailbox's whole window is cleared: an outage of our own only ever loosens a limit,
    and nobody outside can cause one at will."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    try:
        current_app.extensions["msp_limiter"].limiter.clear(*_email_key(kind, campaign_id, email_canonical))
    except Exception as error:
        log.warning("per-email allowance not given back, rate-limit storage failed: %s", error.__class__.__name__)


def init_app(app):
    """Bind the rate limiter and wrap every view marked with ``protected_form`` or ``rate_limited``.

    Call after the blueprints are registered. The limits are read from the config here, once
    (change them by restarting, as for any setting). The limiter is made per app rather than as
    one unbound extension: Flask-Limiter keeps settings such as storage and key prefix on the
    extension object, so one instance bound to several apps (the tests, several instances in
    one process) would mix them.
    """
    config = app.config
    limit_settings = (
        "RATELIMIT_IP_BURST", "RATELIMIT_IP_SUSTAINED", "RATELIMIT_EMAIL", "RATELIMIT_SURGE", "RATELIMIT_DONATE",
        "RATELIMIT_DOWNLOADS",
    )
    for name in limit_settings:
        try:
            if config[name] or name != "RATELIMIT_SURGE":
                parse_many(config[name])
        except ValueError:
            raise ConfigError(f"WIDGET_{name} is not a rate limit such as '60 per minute'") from None
    if config["REDIS_URL"]:
        config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"])
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 0.5, "socket_connect_timeout": 0.5})
    else:
        config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    config.setdefault("RATELIMIT_KEY_PREFIX", f"{config['REDIS_PREFIX']}limits")
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # Fail open: a storage error the fallback does not catch (several requests failing at the
    # moment Redis dies) is logged, never a 500.
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # No X-RateLimit-* headers: "remaining" would tell people behind one IP that a neighbour
    # signed, and working them out costs a Redis round trip on every form. A refusal gets its
    # Retry-After below, from the limit it breached.
    config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # Exact: a sliding-window counter would let a flood through at each window's edge.
    config.setdefault("RATELIMIT_STRATEGY", "moving-window")

    @app.after_request
    def retry_after_on_refusals(response):
        """A refusal says when to try again: when the breached limit's window frees a slot."""
        if response.status_code == 429 and "Retry-After" not in response.headers:  # a view may know better
            breached = app.extensions["msp_limiter"].current_limit
            if breached is not None:
                try:
                    frees_at = breached.window[0]  # when the oldest counted request leaves the window
                    response.headers["Retry-After"] = str(max(1, math.ceil(frees_at - time.time())))
                except Exception as error:  # the limits storage went away since the refusal
                    log.warning("no Retry-After for a refusal: %s", error)
                    response.headers.setdefault("Retry-After", "60")
        return response

    limiter = Limiter(key_func=client_campaign_key, app=app)
    app.extensions.update(msp_limiter=limiter, msp_email_limit=parse(config["RATELIMIT_EMAIL"]))
    for endpoint, view in list(app.view_functions.items()):
        kind = getattr(view, "msp_form_kind", None)
        if kind:
            app.view_functions[endpoint] = _limit(limiter, config, kind, view)
        setting = getattr(view, "msp_rate_limit", None)
        if setting:
            app.view_functions[endpoint] = limiter.limit(config[setting], key_func=client_campaign_key)(view)

    # Every limit here is a view's own, checked by its decorator. Flask-Limiter's before-request
    # pass looks for application-wide, default and meta limits, which this service sets none
    # of, and cost every request about 0.2 M instructions (15% of /healthz): unhook it, unless
    # somebody configured such limits (it is not hooked at all when the limiter is disabled).
    wide = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")
    if not any(config.get(name) for name in wide) and limiter._check_request_limit in app.before_request_funcs[None]:
        app.before_request_funcs[None].remove(limiter._check_request_limit)
    # Its after-request pass adds the X-RateLimit-* headers, which are off (above), and deducts
    # limits declared with ``deduct_when``, which none is here: unhooked too, for the same reason.
    if not config["RATELIMIT_HEADERS_ENABLED"]:
        app.after_request_funcs[None] = [
            hook for hook in app.after_request_funcs[None] if not (isinstance(hook, functools.partial) and hook.args == (limiter,))
        ]

    if not config["RATELIMIT_ENABLED"]:
        app.logger.warning("WIDGET_RATELIMIT_ENABLED is off: no form is rate limited")
