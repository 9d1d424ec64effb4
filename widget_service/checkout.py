"""Starting a donation: the donate form, checked like every form, becomes a Stripe Checkout Session."""
import logging

import stripe
from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l

from . import protection
from .donations import clean_donation, donate_settings, stripe_enabled
from .errors import CampaignClosed, ValidationFailed, WidgetError
from .models import Donation

log = logging.getLogger(__name__)

# The library would otherwise report the timing of each request to Stripe in the next one.
stripe.enable_telemetry = False


class DonationsClosed(CampaignClosed):
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
        check.failed(error)  # the same form may be sent again
        log.warning("Stripe Checkout not started for %s: %s", campaign.slug, error.__class__.__name__)
        # Unreachable or too slow: 503, try again. Answered with an error: 502, a bad gateway.
        raise DonationNotStarted(503 if isinstance(error, stripe.APIConnectionError) else 502) from None
    url = getattr(session, "url", None)
    checkout_origin = current_app.config["STRIPE_CHECKOUT_ORIGIN"]
    if not isinstance(url, str) or not url.startswith(checkout_origin + "/"):
        check.failed()
        log.warning("Stripe answered a Checkout Session without a usable URL")
        raise DonationNotStarted(502)
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
