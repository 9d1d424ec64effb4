"""Sign-in limits, per account and per client network, in Flask-Limiter's storage (Redis when
configured), as the public forms' limits are. Every attempt counts, spent atomically as it is
tested, so parallel guesses cannot slip past the limit together."""
import logging
import math
import time

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from limits import parse

from ..ratelimits import client_network, keyed_hash
from .accounts import normal_email

log = logging.getLogger(__name__)

MESSAGE = _l("Too many attempts to sign in. Please wait a quarter of an hour, then try again.")
CODE_MESSAGE = _l("Too many codes tried. Please wait a quarter of an hour, then try again.")

DEFAULTS = {
    "CONSOLE_SIGN_IN_PER_ACCOUNT": "5 per 15 minutes",
    "CONSOLE_SIGN_IN_PER_NETWORK": "20 per 15 minutes",
    # Codes from the app checked for a signed-in account (new recovery codes): a stolen
    # session must not guess the second factor.
    "CONSOLE_CODE_CHECKS_PER_ACCOUNT": "5 per 15 minutes",
}
# The sign-in page itself, per client network (``ratelimits.rate_limited`` applies it): each
# showing starts a session row for its CSRF token, so a flood of them is refused.
PAGE_SETTING = "CONSOLE_SIGN_IN_PAGES"


def init_app(app):
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.config.setdefault(PAGE_SETTING, "30 per minute")
    app.extensions["msp_console_limits"] = {name: parse(app.config[name]) for name in DEFAULTS}


def sign_in_wait(email):
    """Spend one attempt for this account and this network: 0 when both had one left, else the
    seconds until the exhausted one frees a slot (the refusal's Retry-After). The account is
    keyed by a hash of its address, known or not, so the limit says nothing about which
    addresses have accounts."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return 0
    limits = current_app.extensions["msp_console_limits"]
    storage = current_app.extensions["msp_limiter"].limiter
    prefix = config["RATELIMIT_KEY_PREFIX"]
    network = keyed_hash("ip-hash", client_network(request.remote_addr)) or "-"
    account = keyed_hash("email", normal_email(email)) or "-"
    spent = ((limits["CONSOLE_SIGN_IN_PER_NETWORK"], prefix, "console-sign-in-ip", network),
             (limits["CONSOLE_SIGN_IN_PER_ACCOUNT"], prefix, "console-sign-in-account", account))
    try:
        # Both are spent (no short-circuit): a guesser spreading over accounts still spends the network's.
        refused = [(limit, keys) for limit, *keys in spent if not storage.hit(limit, *keys)]
        return max((_wait(storage, limit, keys) for limit, keys in refused), default=0)
    except Exception as error:  # the storage failed: Argon2 still slows guessing down
        log.warning("console sign-in limit skipped, rate-limit storage failed: %s", error.__class__.__name__)
        return 0


def _wait(storage, limit, keys):
    """Seconds until ``limit`` frees a slot for ``keys``: when its oldest counted attempt leaves
    the window (the whole window when the storage cannot say)."""
    try:
        frees_at = storage.get_window_stats(limit, *keys)[0]
    except Exception:  # noqa: BLE001  (a refusal stands; only its Retry-After is a guess)
        return limit.get_expiry()
    return max(1, math.ceil(frees_at - time.time()))


def code_check_wait(staff):
    """Spend one check of an authenticator code for this signed-in account: 0 when it had one
    left, else the seconds to wait. Like sign-in's, spent atomically, so parallel guesses share
    the limit; a failed storage refuses (a session is not a sign-in)."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return 0
    limit = current_app.extensions["msp_console_limits"]["CONSOLE_CODE_CHECKS_PER_ACCOUNT"]
    storage = current_app.extensions["msp_limiter"].limiter
    keys = (config["RATELIMIT_KEY_PREFIX"], "console-code-check", keyed_hash("email", staff.email))
    try:
        return 0 if storage.hit(limit, *keys) else _wait(storage, limit, keys)
    except Exception as error:
        log.warning("console code check refused, rate-limit storage failed: %s", error.__class__.__name__)
        return limit.get_expiry()
