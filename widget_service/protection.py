"""Protection shared by every public form, cheapest layer first.

1. Size and type limits (``WIDGET_MAX_BODY_BYTES``, the views' content-type checks).
2. Bot traps without cookies: a honeypot field and a signed, stateless form token that
   catches forms sent too fast, replayed or forged. A trapped submission is answered like a
   success and stored as suspect, so a bot learns nothing.
3. Rate limits (``ratelimits.py``): per client IP per campaign, sized for carrier-grade NAT;
   an optional campaign-wide surge limit; and per canonical email, which is answered like a
   duplicate so it reveals nobody's signature.
4. hCaptcha, verified server-side (``captcha.py``).

A form opts in with ``@ratelimits.protected_form("petition")`` on its views (the rate limits)
and by calling ``check_form`` from its service, once its fields are valid; nothing is copied
per form.
"""
import logging
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import InterfaceError, OperationalError

from . import captcha, ratelimits
from .cache import TTLCache
from .errors import WidgetError
from .ratelimits import email_refund, email_spend
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
    """The verdict on a form (STORE, SUSPECT or DROP), and what to give back if it cannot be
    stored."""

    verdict: str
    kind: str = ""
    campaign_id: int = 0
    email_canonical: str = ""
    nonce: str | None = None

    def failed(self, error=None):
        """Storing (or what follows the checks) failed with ``error``: the same form may be sent
        again, so its token is given back, and its mailbox's allowance too when the database
        went away (an outage of ours, which nobody outside can cause at will)."""
        if self.nonce:
            _forget_use(self.nonce)
        if self.verdict == STORE and self.email_canonical and isinstance(error, (OperationalError, InterfaceError)):
            email_refund(self.kind, self.campaign_id, self.email_canonical)


def check_form(kind, campaign, form, email_canonical, token_required):
    """Every check a valid ``kind`` form passes before it is stored.

    The order matters. Traps first; the captcha only for forms no trap caught; then the form
    token is used up, so a replay is caught, and only then is one of the mailbox's allowance
    spent (tested and spent in one step), so neither a bot's trapped forms nor its replays use
    up a real signer's allowance (a form with no address, ``email_canonical`` None, has none
    and is never DROP). A form that the database then fails to store gives both back
    (``failed``), and a form that came back before this point (a mistyped field, a failed
    captcha) has spent neither: either way its supporter can send the same form again.
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
    if email_canonical and not email_spend(kind, campaign.id, email_canonical):
        check.verdict = DROP
    return check



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
    """Call after the blueprints are registered: the rate limits wrap the views marked for them."""
    app.extensions["msp_form_nonces"] = TTLCache()
    captcha.init_app(app)
    ratelimits.init_app(app)
