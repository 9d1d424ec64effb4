"""Protection shared by every public form, cheapest layer first.

1. Size and type limits (``WIDGET_MAX_BODY_BYTES``, the views' content-type checks).
2. Bot traps without cookies: a honeypot field and a signed, stateless form token that
   catches forms replayed or forged. A trapped submission is answered like a success and
   stored as suspect, so a bot learns nothing. The token also says when the form was first
   shown: a form sent sooner than a person types (or autofill fills) is asked for again, in
   the open, unless the captcha is on to judge it.
3. Rate limits (``ratelimits.py``): per client IP per campaign, sized for carrier-grade NAT;
   an optional campaign-wide surge limit; and per canonical email, which is answered like a
   duplicate so it reveals nobody's signature.
4. hCaptcha, verified server-side (``captcha.py``).

A form opts in with ``@ratelimits.protected_form("petition")`` on its views (the rate limits)
and by calling ``check_form`` from its service, once its fields are valid; nothing is copied
per form.
"""
import logging
import math
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


class FormTooFast(WidgetError):
    status = 400
    code = "form_too_fast"
    message = _l("Please check that your details are right, then send the form again.")


class SendAgain(WidgetError):
    """A widget's own form posted without a token: the page every visitor shares carries none
    (the script asks for one when the supporter starts on the form), so a browser without
    JavaScript sends none. Its fields are valid; it comes back filled in with a fresh token
    that counts from now, and the supporter presses the button once more. That post is judged
    like any form with a token (too fast, replayed, expired...)."""

    status = 200  # a step of the no-JavaScript form, not an error
    code = "send_again"
    message = _l("Your details are below, as you typed them. To send the form, please check them and press the button once more.")


# The answers that come with a new token for the same form (see ``reissued_token``).
RESEND_ERRORS = (FormExpired, FormTooFast)

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
    Raises ``SendAgain``, ``FormExpired``, ``FormTooFast``, ``CaptchaFailed`` or
    ``CaptchaUnavailable`` for a person to act on.
    """
    trap, nonce, too_fast = _traps(kind, form, token_required)
    if trap:
        log.info("%s form for %s trapped: %s", kind, campaign.slug, trap)
        return FormCheck(SUSPECT)
    if too_fast and not captcha.enabled(campaign):
        # Autofill and password managers fill a form faster than anyone types, so this is no
        # silent trap: the supporter is told and sends again. Where the captcha is on, it is
        # the further check instead, and a solved one is counted.
        log.info("%s form for %s sent too fast: asked again", kind, campaign.slug)
        raise FormTooFast()
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


def _load(kind, token, max_age=None):
    """``(payload, issued)`` of a genuine ``kind`` token; raises ``BadSignature`` (or
    ``SignatureExpired`` past ``max_age``). A genuine token is URL-safe ASCII: anything else
    (a lone surrogate, which itsdangerous cannot even encode) is simply not one."""
    if not isinstance(token, str) or not token.isascii():
        raise BadSignature("not a form token")
    payload, issued = _serializer(kind).loads(token, max_age=max_age, return_timestamp=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        raise BadSignature("not a form token")
    return payload, issued


def form_token(kind, shown_at=None):
    """A signed token for a form shown now: which form, a nonce against replays, and when the
    supporter first saw the form (``shown_at``, seconds since the epoch; now by default).

    The "too fast" check counts from ``shown_at``, and a form shown again (after a mistake, an
    expiry, a flood) keeps the first one's: however often a token is re-issued, the form has
    been in front of somebody for as long as it really has, and no longer."""
    # To the hundredth, rounded down: the token's own timestamp is whole seconds, which would cut
    # up to a second off the check, and a time rounded up would lie a moment in the future.
    return _serializer(kind).dumps({"n": secrets.token_urlsafe(9), "s": math.floor((shown_at or time.time()) * 100) / 100})


def _shown_at(payload, issued):
    shown = payload.get("s")
    return shown if isinstance(shown, (int, float)) and not isinstance(shown, bool) else issued.timestamp()


def reissued_token(kind, form):
    """A token for ``form`` shown again: it keeps when the supporter first saw the form when
    ``form`` carried a genuine ``kind`` token (expired or not), else it is a new one (every
    first view of a widget: no exception raised and caught on that hot path)."""
    token = form.get(TOKEN_FIELD) if form else None
    if not token:
        return form_token(kind)
    try:
        payload, issued = _load(kind, token)
    except BadSignature:
        return form_token(kind)
    return form_token(kind, shown_at=_shown_at(payload, issued))


def _first_use(nonce, ttl):
    """True the first time ``nonce`` is seen within ``ttl`` seconds, on any instance."""
    redis = get_redis()
    if redis is not None:
        try:
            return bool(redis.set(key("form-nonce", nonce), 1, nx=True, ex=ttl))
        except redis_errors as error:
            log.warning("replay check in Redis unavailable, using this process: %s", error)
    return _local_nonces().add(nonce, ttl)


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
    """``(trap, nonce, too_fast)``: the name of the silent trap the form fell into, if any, its
    token's nonce, and whether it came sooner after the form was shown than a person types.

    ``token_required`` is true for the widget's own forms posted without JavaScript, which are
    sent with a token at their second step (``SendAgain``); a JSON post (the widget's script,
    or an ally's own form) may have none and is judged by the captcha and limits instead.
    Raises ``FormExpired`` for a token too old to trust, so a person can send again.
    """
    if form.get(HONEYPOT_FIELD):
        return "honeypot", None, False
    token = form.get(TOKEN_FIELD)
    if not token:
        if token_required:
            raise SendAgain()
        return None, None, False
    config = current_app.config
    try:
        payload, issued = _load(kind, token, max_age=config["FORM_MAX_AGE_SECONDS"])
    except SignatureExpired:
        raise FormExpired() from None
    except BadSignature:
        return "forged_token", None, False
    too_fast = time.time() - _shown_at(payload, issued) < config["FORM_MIN_SECONDS"]
    return None, payload["n"], too_fast


# --- set-up ---------------------------------------------------------------------------------

def init_app(app):
    """Call after the blueprints are registered: the rate limits wrap the views marked for them."""
    app.extensions["msp_form_nonces"] = TTLCache()
    captcha.init_app(app)
    ratelimits.init_app(app)
