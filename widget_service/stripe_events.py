"""Stripe's webhook: verified events record paid donations, once each, with the raised totals."""
import logging
import time

import stripe
from flask import current_app
from sqlalchemy import select

from .donations import CURRENCIES
from .errors import WidgetError
from .extensions import db, insert
from .models import Campaign, Donation, DonationTotal
from .validation import clean_ref

log = logging.getLogger(__name__)


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
        event = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    # The library raises more than its own error for a signed body that is not an event object;
    # RecursionError for one nested hundreds deep, which the JSON parser and the library's
    # objects both walk recursively (no event of Stripe's comes near that).
    except (stripe.SignatureVerificationError, ValueError, AttributeError, TypeError, KeyError, RecursionError) as error:
        log.info("webhook refused: %s", error.__class__.__name__)
        raise BadWebhook() from None
    # The library refuses old timestamps; one far in the future is as suspicious.
    timestamp = _signed_timestamp(signature)
    if timestamp is None or timestamp > time.time() + tolerance:
        raise BadWebhook()
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


MAX_AMOUNT = 10**12  # minor units: far above any gift, well within a BIGINT
MAX_ID = 255  # the Stripe id columns' length

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
    # Exact types and sizes, though the event is signed: a value the columns cannot hold would
    # fail the insert, and Stripe would then send the event again for days.
    if type(amount) is not int or not 0 < amount <= MAX_AMOUNT or currency not in CURRENCIES:
        return "ignored: no amount"
    ids = (event["id"], object_id, subscription)
    if not all(value is None or (isinstance(value, str) and 0 < len(value) <= MAX_ID) for value in ids) or not object_id:
        return "ignored: malformed ids"
    interval = Donation.MONTHLY if kind in INVOICE_EVENTS else Donation.ONCE
    recorded = record_donation(
        campaign_id=campaign_id, amount=amount, currency=currency, interval=interval,
        stripe_event_id=event["id"], stripe_object_id=object_id, stripe_subscription_id=subscription,
        ref=clean_ref(metadata.get("msp_ref"))[0],  # the key it was started with, as the checkout sent it
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
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        return None
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.id == int(raw)))
    if campaign_id is None:
        log.warning("paid donation for a campaign that no longer exists (%s)", metadata.get("msp_campaign"))
    return campaign_id


def record_donation(**values):
    """Store one donation and add it to its campaign's total, in one transaction; False when
    this event or this session/invoice was recorded already.

    ``ON CONFLICT DO NOTHING`` on both unique columns: Stripe sends an event at least once and
    may send it again (and ``checkout.session.completed`` and
    ``checkout.session.async_payment_succeeded`` can both report one paid session); the
    database decides which insert counts, so two deliveries at once still count once.
    """
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
