"""Sign-in limits, per account and per client network, in Flask-Limiter's storage (Redis when
configured), as the public forms' limits are. Every attempt counts, spent atomically as it is
tested, so parallel guesses cannot slip past the limit together."""
import logging

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


def sign_in_allowed(email):
    """Spend one attempt for this account and this network; False when either has none left.
    The account is keyed by a hash of its address, known or not, so the limit says nothing
    about which addresses have accounts."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return True
    limits = current_app.extensions["msp_console_limits"]
    storage = current_app.extensions["msp_limiter"].limiter
    prefix = config["RATELIMIT_KEY_PREFIX"]
    network = keyed_hash("ip-hash", client_network(request.remote_addr)) or "-"
    account = keyed_hash("email", normal_email(email)) or "-"
    try:
        # Both are spent (no short-circuit): a guesser spreading over accounts still spends the network's.
        by_network = storage.hit(limits["CONSOLE_SIGN_IN_PER_NETWORK"], prefix, "console-sign-in-ip", network)
        by_account = storage.hit(limits["CONSOLE_SIGN_IN_PER_ACCOUNT"], prefix, "console-sign-in-account", account)
    except Exception as error:  # the storage failed: Argon2 still slows guessing down
        log.warning("console sign-in limit skipped, rate-limit storage failed: %s", error.__class__.__name__)
        return True
    return by_network and by_account


def code_check_allowed(staff):
    """Spend one check of an authenticator code for this signed-in account; False when it
    has none left. Like sign-in's, spent atomically, so parallel guesses share the limit."""
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return True
    limit = current_app.extensions["msp_console_limits"]["CONSOLE_CODE_CHECKS_PER_ACCOUNT"]
    storage = current_app.extensions["msp_limiter"].limiter
    try:
        return storage.hit(limit, config["RATELIMIT_KEY_PREFIX"], "console-code-check", keyed_hash("email", staff.email))
    except Exception as error:  # the storage failed: fail closed, a session is not a sign-in
        log.warning("console code check refused, rate-limit storage failed: %s", error.__class__.__name__)
        return False
