"""Donations: amounts per currency, starting a Stripe Checkout, recording paid gifts, totals.

Money is held in minor units (cents, paisa) of an ISO 4217 currency, as Stripe counts it, and
never converted: each currency has its own goal and total. A donation is recorded only from
Stripe's signed webhook, never when a Checkout starts, so the totals count money received.
Nothing about the donor (name, address, card) is stored: Stripe keeps that.
"""
import logging
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import stripe
from babel import Locale
from babel.numbers import format_currency as babel_format_currency
from flask import current_app, request, url_for
from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from . import protection
from .errors import ValidationFailed, WidgetError
from .extensions import db
from .models import Campaign, Donation, DonationTotal

log = logging.getLogger(__name__)

# The library would otherwise report the timing of each request to Stripe in the next one.
stripe.enable_telemetry = False


@dataclass(frozen=True)
class Currency:
    """Amounts a donor may give in one currency, in its minor units."""

    code: str
    presets: tuple
    minimum: int
    maximum: int
    exponent: int = 2  # minor units per major unit: 10 ** exponent (all six are two-decimal at Stripe)


# Presets and bounds sized to each currency's purchasing power. The minimums sit above
# Stripe's smallest charge (about 0.50 USD); the maximums cap what one Checkout can take, which
# also limits what a stolen card can be tried for.
CURRENCIES = {
    currency.code: currency
    for currency in (
        Currency("PKR", (100_000, 250_000, 500_000, 1_000_000), minimum=20_000, maximum=200_000_000),
        Currency("USD", (1_000, 2_500, 5_000, 10_000), minimum=200, maximum=1_000_000),
        Currency("GBP", (1_000, 2_500, 5_000, 10_000), minimum=200, maximum=1_000_000),
        Currency("EUR", (1_000, 2_500, 5_000, 10_000), minimum=200, maximum=1_000_000),
        Currency("CAD", (1_500, 3_000, 6_000, 12_000), minimum=300, maximum=1_500_000),
        Currency("AUD", (1_500, 3_000, 6_000, 12_000), minimum=300, maximum=1_500_000),
    )
}


@dataclass
class DonateSettings:
    """A campaign's donation settings (``Campaign.settings["donate"]``), with defaults filled in."""

    currencies: list
    default_currency: str
    goals: dict = field(default_factory=dict)  # currency -> minor units
    presets: dict = field(default_factory=dict)  # currency -> [minor units]
    monthly: bool = True
    external_url: str = ""
    bank: dict = field(default_factory=dict)  # lang -> text

    def presets_for(self, code):
        return list(self.presets.get(code) or CURRENCIES[code].presets)

    def bank_text(self, lang):
        return self.bank.get(lang) or self.bank.get("en") or ""


def donate_settings(campaign):
    raw = campaign.setting("donate") or {}
    currencies = [code for code in raw.get("currencies") or CURRENCIES if code in CURRENCIES] or list(CURRENCIES)
    default = raw.get("default_currency")
    return DonateSettings(
        currencies=currencies,
        default_currency=default if default in currencies else currencies[0],
        goals={code: int(amount) for code, amount in (raw.get("goals") or {}).items() if code in CURRENCIES},
        presets={code: [int(a) for a in amounts] for code, amounts in (raw.get("presets") or {}).items() if code in CURRENCIES},
        monthly=bool(raw.get("monthly", True)),
        external_url=raw.get("external_url") or "",
        bank=dict(raw.get("bank") or {}),
    )


def stripe_enabled():
    return bool(current_app.config["STRIPE_SECRET_KEY"])


# --- amounts --------------------------------------------------------------------------------

# Digits as people type them on Urdu and Arabic keyboards.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫", "01234567890123456789.")
_AMOUNT_RE = re.compile(r"^\d{1,12}(?:\.\d{1,2})?$")


def parse_amount(text, currency):
    """The minor units in ``text`` (``"25"``, ``"1,000.50"``, ``"۲۵"``), or None if it is no amount."""
    if not isinstance(text, str):
        return None
    cleaned = text.translate(_DIGITS).strip()
    cleaned = re.sub(r"[\s,٬'’]", "", cleaned)  # grouping separators and spaces
    if not _AMOUNT_RE.fullmatch(cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return int(value.scaleb(currency.exponent))


def to_major(amount, currency):
    return Decimal(amount).scaleb(-CURRENCIES[currency].exponent)


def format_money(amount, currency, lang):
    """``amount`` minor units as the page language writes money, without ``.00`` on whole amounts."""
    value = to_major(amount, currency)
    if value == value.to_integral_value():
        pattern = Locale.parse(lang).currency_formats["standard"].pattern.split(";")[0]
        return babel_format_currency(value, currency, format=re.sub(r"\.0+", "", pattern), locale=lang, currency_digits=False)
    return babel_format_currency(value, currency, locale=lang)


def clean_donation(form, settings):
    """``(clean, errors)`` for a donate form: ``currency``, ``amount`` (minor units), ``interval``."""
    errors = {}
    code = form.get("currency")
    if code not in settings.currencies:
        return {}, {"currency": _l("Choose a currency.")}
    currency = CURRENCIES[code]
    interval = form.get("interval") or Donation.ONCE
    if interval not in Donation.INTERVALS or (interval == Donation.MONTHLY and not settings.monthly):
        errors["interval"] = _l("Choose one-time or monthly.")
    choice = form.get("amount") or ""
    custom = (form.get("custom_amount") or "").strip()
    bounds = {
        "minimum": format_money(currency.minimum, code, _lang()),
        "maximum": format_money(currency.maximum, code, _lang()),
    }
    amount = None
    if choice == "other" or (not choice and custom):
        amount = parse_amount(custom, currency)
        if not custom:
            errors["custom_amount"] = _l("Enter the amount you want to give.")
        elif amount is None:
            errors["custom_amount"] = _l("Enter an amount in numbers, such as 25 or 25.50.")
        elif not currency.minimum <= amount <= currency.maximum:
            errors["custom_amount"] = _l("Enter an amount from %(minimum)s to %(maximum)s.", **bounds)
    elif choice:
        amount = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 13 else None
        if amount not in settings.presets_for(code) or not currency.minimum <= amount <= currency.maximum:
            errors["amount"] = _l("Choose one of the amounts, or enter another amount.")
    else:
        errors["amount"] = _l("Choose an amount.")
    if errors:
        return {}, errors
    return {"currency": code, "amount": amount, "interval": interval}, {}


def _lang():
    return str(get_locale())


# --- starting a donation ----------------------------------------------------------------------

class DonationsClosed(WidgetError):
    status = 409
    code = "campaign_closed"
    message = _l("This campaign has ended and no longer takes donations. Thank you for your support.")


class DonationNotStarted(WidgetError):
    """Stripe could not be reached (503), or refused the request (502): nothing was taken."""

    status = 503
    code = "donation_not_started"
    message = _l("Your donation could not be started just now. No money was taken. Please try again in a few minutes.")

    def __init__(self, status=503):
        super().__init__()
        self.status = status


def start_donation(campaign, form, meta):
    """Validate the donate form and create a Stripe Checkout Session; return its URL.

    ``meta``: ``lang``, ``ref`` and ``origin`` (the embedding page). Raises ``ValidationFailed``
    (422), ``DonationsClosed`` (409), ``DonationNotStarted`` (502/503, nothing recorded), and
    the protection's ``FormExpired`` and captcha errors. A form a bot trap caught never reaches
    Stripe and is answered exactly like Stripe being unreachable, so a card tester learns
    nothing, while a person caught by mistake (a form sent very fast) is told to try again,
    which then works.
    """
    if not campaign.is_open():
        raise DonationsClosed()
    if not stripe_enabled():
        raise DonationNotStarted()
    settings = donate_settings(campaign)
    clean, errors = clean_donation(form, settings)
    if errors:
        raise ValidationFailed(errors=errors)
    check = protection.check_form("donate", campaign, form, None, token_required=True)
    if check.verdict != protection.STORE:
        log.info("donation start for %s not sent to Stripe: trapped", campaign.slug)
        raise DonationNotStarted()
    try:
        session = _create_checkout_session(campaign, clean, meta)
    except stripe.StripeError as error:
        check.failed()  # the same form may be sent again
        log.warning("Stripe Checkout not started for %s: %s", campaign.slug, error.__class__.__name__)
        # Unreachable or too slow: 503, try again. Answered with an error: 502, a bad gateway.
        raise DonationNotStarted(503 if isinstance(error, stripe.APIConnectionError) else 502) from None
    url = getattr(session, "url", None)
    if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
        check.failed()
        log.warning("Stripe answered a Checkout Session without a usable URL")
        raise DonationNotStarted(502)
    check.stored()
    return url


def _stripe_client():
    """One client per app: its HTTP sessions (one per thread) keep connections to Stripe open."""
    client = current_app.extensions.get("msp_stripe")
    if client is None:
        config = current_app.config
        client = current_app.extensions["msp_stripe"] = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses={"api": config["STRIPE_API_BASE"]},
            http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT_SECONDS"]),
            max_network_retries=0,  # a donor waits on this request: one try, then a clear answer
        )
    return client


def _public_url(endpoint, **values):
    """An absolute URL of ours for Stripe to send the donor back to."""
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return base + url_for(endpoint, **values)


def _create_checkout_session(campaign, clean, meta):
    lang = meta.get("lang") or "en"
    title = campaign.text(lang).title
    monthly = clean["interval"] == Donation.MONTHLY
    price = {"currency": clean["currency"].lower(), "unit_amount": clean["amount"], "product_data": {"name": title}}
    if monthly:
        price["recurring"] = {"interval": "month"}
    # Read back by the webhook: which campaign a paid session or invoice belongs to.
    metadata = {
        "msp_campaign_id": str(campaign.id),
        "msp_campaign": campaign.slug,
        "msp_interval": clean["interval"],
        "msp_lang": lang,
        "msp_ref": meta.get("ref") or "",
    }
    params = {
        "mode": "subscription" if monthly else "payment",
        "line_items": [{"price_data": price, "quantity": 1}],
        "success_url": _public_url("donate.thanks", slug=campaign.slug, lang=lang),
        "cancel_url": _public_url("donate.cancelled", slug=campaign.slug, lang=lang),
        "client_reference_id": campaign.slug,
        "metadata": metadata,
        "locale": "auto",
    }
    if monthly:
        params["subscription_data"] = {"metadata": metadata}  # carried onto every invoice
    else:
        params["submit_type"] = "donate"
        params["payment_intent_data"] = {"metadata": metadata}
    return _stripe_client().v1.checkout.sessions.create(params=params)


# --- the webhook ------------------------------------------------------------------------------

class BadWebhook(WidgetError):
    status = 400
    code = "bad_webhook"
    message = "The event's signature, timestamp or body is not valid."


class WebhookNotConfigured(WidgetError):
    # 503, not 404: Stripe retries for days, so events sent before the secret is set still count.
    status = 503
    code = "webhook_not_configured"
    message = "The Stripe webhook secret is not configured."


def verified_event(payload, signature):
    """The event in ``payload`` once its ``Stripe-Signature`` is genuine and recent, else ``BadWebhook``."""
    config = current_app.config
    secret = config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        raise WebhookNotConfigured()
    tolerance = config["STRIPE_WEBHOOK_TOLERANCE_SECONDS"]
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
    # The library raises more than its own error for a signed body that is not an event object.
    except (stripe.SignatureVerificationError, ValueError, AttributeError, TypeError, KeyError) as error:
        log.info("webhook refused: %s", error.__class__.__name__)
        raise BadWebhook() from None
    # The library refuses old timestamps; one far in the future is as suspicious.
    timestamp = _signed_timestamp(signature)
    if timestamp is None or timestamp > time.time() + tolerance:
        raise BadWebhook()
    event = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadWebhook()
    if not isinstance((event.get("data") or {}).get("object"), dict):
        raise BadWebhook()
    return event


def _signed_timestamp(header):
    for item in (header or "").split(","):
        name, _, value = item.partition("=")
        if name.strip() == "t" and value.strip().isdigit():
            return int(value)
    return None


SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
INVOICE_EVENTS = ("invoice.paid",)


def handle_event(event):
    """Record the donation a verified ``event`` reports, if any; the outcome, for the log and tests.

    One-time gifts are recorded from their Checkout Session once it is paid (at completion, or
    when a delayed payment method succeeds). Monthly gifts are recorded from each paid invoice,
    the first one included, and never from their session: that would count the first month
    twice.
    """
    kind, obj = event["type"], event["data"]["object"]
    if kind in SESSION_EVENTS:
        if obj.get("mode") != "payment" or obj.get("payment_status") != "paid":
            return "ignored: not a paid one-time session"
        metadata, amount, object_id, subscription = obj.get("metadata"), obj.get("amount_total"), obj.get("id"), None
    elif kind in INVOICE_EVENTS:
        if obj.get("status") != "paid":
            return "ignored: invoice not paid"
        metadata, subscription = _invoice_subscription(obj)
        amount, object_id = obj.get("amount_paid"), obj.get("id")
    else:
        return "ignored: event type"
    campaign_id = _campaign_id(metadata)
    if campaign_id is None:
        return "ignored: not a donation of ours"
    currency = str(obj.get("currency") or "").upper()
    if not isinstance(amount, int) or amount <= 0 or currency not in CURRENCIES or not isinstance(object_id, str):
        return "ignored: no amount"
    interval = Donation.MONTHLY if kind in INVOICE_EVENTS else Donation.ONCE
    recorded = record_donation(
        campaign_id=campaign_id, amount=amount, currency=currency, interval=interval,
        stripe_event_id=event["id"], stripe_object_id=object_id, stripe_subscription_id=subscription,
    )
    return "recorded" if recorded else "ignored: already recorded"


def _invoice_subscription(invoice):
    """The subscription's metadata and id for an invoice, in the current API's shape
    (``parent.subscription_details``) or the one before 2025-03-31 (top-level fields)."""
    details = ((invoice.get("parent") or {}).get("subscription_details")) or invoice.get("subscription_details") or {}
    subscription = details.get("subscription") or invoice.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    return details.get("metadata"), subscription if isinstance(subscription, str) else None


def _campaign_id(metadata):
    """The campaign a session or invoice was made for; None for Stripe objects not of ours."""
    if not isinstance(metadata, dict):
        return None
    raw = metadata.get("msp_campaign_id")
    if not isinstance(raw, str) or not raw.isdigit():
        return None
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.id == int(raw)))
    if campaign_id is None:
        log.warning("paid donation for a campaign that no longer exists (%s)", metadata.get("msp_campaign"))
    return campaign_id


def _insert():
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert


def record_donation(**values):
    """Store one donation and add it to its campaign's total, in one transaction; False when
    this event or this session/invoice was recorded already.

    ``ON CONFLICT DO NOTHING`` on both unique columns: Stripe sends an event at least once and
    may send it again (and ``checkout.session.completed`` and
    ``checkout.session.async_payment_succeeded`` can both report one paid session); the
    database decides which insert counts, so two deliveries at once still count once.
    """
    insert = _insert()
    statement = insert(Donation).values(**values).on_conflict_do_nothing().returning(Donation.id)
    try:
        inserted = db.session.execute(statement).first() is not None
        if inserted:
            total = insert(DonationTotal).values(
                campaign_id=values["campaign_id"], currency=values["currency"], amount=values["amount"], donations=1
            )
            total = total.on_conflict_do_update(
                index_elements=[DonationTotal.campaign_id, DonationTotal.currency],
                set_={"amount": DonationTotal.amount + total.excluded.amount, "donations": DonationTotal.donations + 1},
            )
            db.session.execute(total)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return inserted


# --- totals -----------------------------------------------------------------------------------

def raised(campaign_id):
    """``{currency: minor units}`` raised by ``campaign_id``, from recorded donations only."""
    rows = db.session.execute(
        select(DonationTotal.currency, DonationTotal.amount).where(DonationTotal.campaign_id == campaign_id)
    )
    return {currency: amount for currency, amount in rows}


def progress(campaign, settings, lang):
    """One line per currency with a goal or money raised: what the widget's progress shows."""
    totals = raised(campaign.id)
    lines = []
    for code in settings.currencies:
        goal, amount = settings.goals.get(code, 0), totals.get(code, 0)
        if not goal and not amount:
            continue
        lines.append({
            "currency": code,
            "raised": amount,
            "goal": goal,
            "raised_text": format_money(amount, code, lang),
            "goal_text": format_money(goal, code, lang) if goal else "",
        })
    return lines


# --- settings -------------------------------------------------------------------------------

def change_donate_settings(campaign, goals=None, presets=None, currencies=None, default_currency=None,
                           monthly=None, external_url=None, bank=None):
    """Change ``campaign``'s donation settings; amounts in minor units. Raises ``ValidationFailed``.

    ``goals``/``presets``: ``{currency: amount or [amounts]}`` merged into what is set (a goal
    of 0 removes it); ``external_url``: an http(s) URL, or "" to remove; ``bank``: ``{lang: text}``.
    """
    raw = dict(campaign.setting("donate") or {})
    errors = {}
    for code in list(goals or {}) + list(presets or {}) + list(currencies or []) + ([default_currency] if default_currency else []):
        if code not in CURRENCIES:
            errors["currency"] = f"{code!r} is not one of {', '.join(CURRENCIES)}"
    if errors:
        raise ValidationFailed(errors=errors)
    if currencies is not None:
        raw["currencies"] = list(dict.fromkeys(currencies))
    if default_currency is not None:
        raw["default_currency"] = default_currency
    for code, amount in (goals or {}).items():
        if not isinstance(amount, int) or amount < 0:
            errors["goal"] = "A goal is an amount, zero or more."
        raw.setdefault("goals", {})[code] = amount
    raw["goals"] = {code: amount for code, amount in (raw.get("goals") or {}).items() if amount}
    for code, amounts in (presets or {}).items():
        spec = CURRENCIES[code]
        if not amounts or len(amounts) > 6 or any(not spec.minimum <= a <= spec.maximum for a in amounts):
            errors["presets"] = (
                f"{code} presets: one to six amounts from {to_major(spec.minimum, code)} to {to_major(spec.maximum, code)}"
            )
        raw.setdefault("presets", {})[code] = sorted(set(amounts))
    if monthly is not None:
        raw["monthly"] = bool(monthly)
    if external_url is not None:
        parts = urlsplit(external_url)
        if external_url and (parts.scheme not in ("http", "https") or not parts.hostname):
            errors["external_url"] = "The donation page must be a full http(s) URL."
        raw["external_url"] = external_url
    for lang, text in (bank or {}).items():
        if len(text) > 2000:
            errors["bank"] = "Bank details are at most 2,000 characters."
        raw.setdefault("bank", {})[lang] = text.replace("\\n", "\n").strip()
    if errors:
        raise ValidationFailed(errors=errors)
    campaign.settings = {**(campaign.settings or {}), "donate": raw}
    db.session.commit()
    return donate_settings(campaign)
