"""Protection shared by every public form, cheapest layer first.

1. Size and type limits (``WIDGET_MAX_BODY_BYTES``, the views' content-type checks).
2. Bot traps without cookies: a honeypot field and a signed, stateless form token that
   catches forms sent too fast, replayed or forged. A trapped submission is answered like a
   success and stored as suspect, so a bot learns nothing.
3. Rate limits (Flask-Limiter, in Redis when configured): per client IP per campaign, burst
   and sustained, sized for carrier-grade NAT; an optional campaign-wide surge limit; and per
   canonical email, which is answered like a duplicate so it reveals nobody's signature.
4. hCaptcha, verified server-side (``captcha.py``).

A form opts in with ``@protected_form("petition")`` on its views (the rate limits) and by
calling ``check_form`` from its service, once its fields are valid; nothing is copied per form.
"""
import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse, parse_many

from . import captcha
from .cache import TTLCache
from .config import ConfigError
from .errors import WidgetError
from .redis_client import get_redis, key, redis_errors

log = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"  # hidden from people; bots fill in fields called "website"
TOKEN_FIELD = "form_token"


class FormExpired(WidgetError):
    status = 400
    code = "form_expired"
    message = _l("This form was open for a long time. Please check your details and send it again.")


STORE = "store"  # a person, as far as we can tell: store and count
SUSPECT = "suspect"  # caught by a trap: store uncounted, answer like a success
DROP = "drop"  # the mailbox is over its limit: store nothing, answer like a duplicate


@dataclass
class FormCheck:
    """The verdict on a form (STORE, SUSPECT or DROP), and what to settle once it is stored."""

    verdict: str
    kind: str = ""
    campaign_id: int = 0
    email_canonical: str = ""
    nonce: str | None = None

    def stored(self):
        """The form is committed: it now counts against its mailbox's allowance."""
        if self.verdict == STORE and self.email_canonical:
            _email_hit(self.kind, self.campaign_id, self.email_canonical)

    def failed(self):
        """Storing failed (the database went away): the same form may be sent again."""
        if self.nonce:
            _forget_use(self.nonce)


def check_form(kind, campaign, form, email_canonical, token_required):
    """Every check a valid ``kind`` form passes before it is stored.

    The order matters. Traps first; the captcha only for forms no trap caught; then the form
    token is used up, so a replay is caught, and only then is the mailbox's allowance tested,
    so neither a bot's trapped forms nor its replays use up a real signer's allowance (a form
    with no address, ``email_canonical`` None, has none and is never DROP). The
    allowance is spent, and the token kept spent, only once the form is stored (``stored`` /
    ``failed``): a person whose form came back (a mistyped field, a failed captcha, a 503)
    can send the same form again.
    Raises ``FormExpired``, ``CaptchaFailed`` or ``CaptchaUnavailable`` for a person to act on.
    """
    trap, nonce = _traps(kind, form, token_required)
    if trap:
        log.info("%s form for %s trapped: %s", kind, campaign.slug, trap)
        return FormCheck(SUSPECT)
    if not captcha.passes(campaign, form):
        return FormCheck(SUSPECT)  # the captcha could not be verified; kept uncounted for review
    if nonce and not _first_use(nonce, current_app.config["FORM_MAX_AGE_SECONDS"]):
        log.info("%s form for %s trapped: replayed", kind, campaign.slug)
        return FormCheck(SUSPECT)
    check = FormCheck(STORE, kind, campaign.id, email_canonical or "", nonce)
    # A form without an address (the donate form) has no per-mailbox allowance.
    if email_canonical and _email_limited(kind, campaign.id, email_canonical):
        check.verdict = DROP
    return check


# --- rate limits ----------------------------------------------------------------------------

def keyed_hash(purpose, value):
    """An HMAC of ``value`` under the secret key: lets us group by an IP or an address
    (signatures, rate-limit buckets in Redis) without keeping the IP or the address itself."""
    if not value:
        return None
    secret = hashlib.sha256(f"msp-{purpose}:".encode() + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]


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
    return f"{keyed_hash('ip-hash', client_network(request.remote_addr))}:{_campaign_in_key()}"


def protected_form(kind):
    """Mark a view that accepts ``kind`` forms; ``init_app`` gives it the shared rate limits."""

    def mark(view):
        view.msp_form_kind = kind
        return view

    return mark


def rate_limited(setting):
    """Mark a view that is not a form (a download) for ``init_app`` to limit per client IP and
    campaign by the limit in the config ``setting``."""

    def mark(view):
        view.msp_rate_limit = setting
        return view

    return mark


def _limit(limiter, kind, view):
    """Wrap ``view`` in the per-IP and surge limits that every ``kind`` view shares."""
    def ip_limits():
        config = current_app.config
        if kind == "donate":  # each start creates a Stripe session: card testers must not farm them
            return config["RATELIMIT_DONATE"]
        return f"{config['RATELIMIT_IP_BURST']};{config['RATELIMIT_IP_SUSTAINED']}"

    view = limiter.shared_limit(ip_limits, scope=f"{kind}-ip", key_func=client_campaign_key)(view)
    return limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_SURGE"] or "1/second",
        scope=f"{kind}-surge",
        key_func=_campaign_in_key,
        exempt_when=lambda: not current_app.config["RATELIMIT_SURGE"],
    )(view)


def _email_key(kind, campaign_id, email_canonical):
    config = current_app.config
    return (
        parse(config["RATELIMIT_EMAIL"]),
        config["RATELIMIT_KEY_PREFIX"],
        f"{kind}-email",
        str(campaign_id),
        keyed_hash("email", email_canonical),
    )


def _email_limited(kind, campaign_id, email_canonical):
    """True when this mailbox has used up its allowance; the caller answers as for a duplicate."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return False
    try:
        return not current_app.extensions["msp_limiter"].limiter.test(*_email_key(kind, campaign_id, email_canonical))
    except Exception as error:  # the limits storage failed: never refuse a supporter for it
        log.warning("per-email limit skipped, rate-limit storage failed: %s", error.__class__.__name__)
        return False


def _email_hit(kind, campaign_id, email_canonical):
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    try:
        current_app.extensions["msp_limiter"].limiter.hit(*_email_key(kind, campaign_id, email_canonical))
    except Exception as error:
        log.warning("per-email limit not recorded, rate-limit storage failed: %s", error.__class__.__name__)


# --- bot traps ------------------------------------------------------------------------------

def _serializer(kind):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"msp-form-token:{kind}")


def form_token(kind, refreshed=False):
    """A signed token for a form shown now: when, which form, and a nonce against replays."""
    payload = {"n": secrets.token_urlsafe(9)}
    if refreshed:
        payload["r"] = 1  # re-issued after expiry: the supporter has already filled the form in
    return _serializer(kind).dumps(payload)


def _first_use(nonce, ttl):
    """True the first time ``nonce`` is seen within ``ttl`` seconds, on any instance."""
    redis = get_redis()
    if redis is not None:
        try:
            return bool(redis.set(key("form-nonce", nonce), 1, nx=True, ex=ttl))
        except redis_errors as error:
            log.warning("replay check in Redis unavailable, using this process: %s", error)
    return _local_nonces().add(nonce, ttl)


def timely_token(kind, form):
    """True when ``form`` carried a genuine token sent at a person's pace (or an expired one):
    the form that comes back may then get a re-issued token, which skips the "too fast" trap."""
    token = form.get(TOKEN_FIELD)
    if not isinstance(token, str) or not token:
        return False
    try:
        payload, issued = _serializer(kind).loads(token, return_timestamp=True)
    except BadSignature:
        return False
    return bool(payload.get("r")) or time.time() - issued.timestamp() >= current_app.config["FORM_MIN_SECONDS"]


def _forget_use(nonce):
    redis = get_redis()
    if redis is not None:
        try:
            redis.delete(key("form-nonce", nonce))
        except redis_errors as error:
            log.warning("could not release a form token in Redis: %s", error)
    _local_nonces().pop(nonce)


def _local_nonces():
    return current_app.extensions["msp_form_nonces"]


def _traps(kind, form, token_required):
    """``(trap, nonce)``: the name of the trap the form fell into, if any, and its token's nonce.

    ``token_required`` is true for the widget's own forms, which always carry a token; an
    ally's own form posting JSON has none and is judged by the captcha and limits instead.
    Raises ``FormExpired`` for a token too old to trust, so a person can send again.
    """
    if form.get(HONEYPOT_FIELD):
        return "honeypot", None
    token = form.get(TOKEN_FIELD)
    if not token:
        return ("no_token" if token_required else None), None
    if not isinstance(token, str):
        return "forged_token", None
    config = current_app.config
    try:
        payload, issued = _serializer(kind).loads(token, max_age=config["FORM_MAX_AGE_SECONDS"], return_timestamp=True)
    except SignatureExpired:
        raise FormExpired() from None
    except BadSignature:
        return "forged_token", None
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        return "forged_token", None
    if not payload.get("r") and time.time() - issued.timestamp() < config["FORM_MIN_SECONDS"]:
        return "too_fast", None
    return None, payload["n"]


# --- set-up ---------------------------------------------------------------------------------

def init_app(app):
    """Bind the rate limiter and wrap every view marked with ``protected_form``.

    Call after the blueprints are registered. The limiter is made per app rather than as one
    unbound extension: Flask-Limiter keeps settings such as storage and key prefix on the
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
    # moment Redis dies, or the deduction after a signature is stored) is logged, never a 500.
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
        if response.status_code == 429:
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
    app.extensions["msp_limiter"] = limiter
    app.extensions["msp_form_nonces"] = TTLCache()
    captcha.init_app(app)
    for endpoint, view in list(app.view_functions.items()):
        kind = getattr(view, "msp_form_kind", None)
        if kind:
            app.view_functions[endpoint] = _limit(limiter, kind, view)
        setting = getattr(view, "msp_rate_limit", None)
        if setting:
            limit = limiter.limit(lambda setting=setting: current_app.config[setting], key_func=client_campaign_key)
            app.view_functions[endpoint] = limit(view)
    if not config["RATELIMIT_ENABLED"]:
        app.logger.warning("WIDGET_RATELIMIT_ENABLED is off: no form is rate limited")
