"""The donate widget (GET/POST /widgets/<slug>/donate), its return pages, and Stripe's webhook.

The widget's form posts with ``target="_blank"``: the service answers in a new tab, with a 303
to Stripe Checkout, so payment never happens inside an ally's iframe and no card data reaches
us. Anything else the post is answered with (errors, a refused start) is that new tab's page,
showing the form again so the donor can go on from there.
"""
import logging

from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from flask_babel import get_locale

from ..campaigns import find_campaign
from ..checkout import start_donation
from ..donations import CURRENCIES, donate_settings, format_money, progress, stripe_enabled
from ..errors import RATE_LIMITED, WidgetError
from ..ratelimits import protected_form
from ..stripe_events import handle_event, verified_event
from .widgets import embedding, flooded, refused, render_widget, shared_widget

log = logging.getLogger(__name__)

bp = Blueprint("donate", __name__)

WEBHOOK_MAX_BYTES = 1024 * 1024  # Stripe's events (an invoice with its lines) outgrow the forms' limit


def render_donate(campaign, status=200, form=None, errors=None, in_tab=False, resent=None, shared=False, **context):
    """The donate widget page; ``in_tab`` when it answers a post, in the tab the post opened."""
    lang = str(get_locale())
    settings = donate_settings(campaign)
    form = form or {}
    chosen = form.get("currency") or request.args.get("currency")
    currency = chosen if chosen in settings.currencies else settings.default_currency
    spec = CURRENCIES[currency]
    presets = [(amount, format_money(amount, currency, lang)) for amount in settings.presets_for(currency)]
    # The form's answer is a redirect to Stripe Checkout, which form-action governs too.
    return render_widget(
        campaign, "widget/donate.html", status, resent=resent, form_kind="donate", shared=shared,
        form_targets=current_app.config["STRIPE_CHECKOUT_ORIGIN"],
        settings=settings, currency=currency, currency_spec=spec, presets=presets,
        default_amount=str(presets[min(1, len(presets) - 1)][0]),
        minimum_text=format_money(spec.minimum, currency, lang), maximum_text=format_money(spec.maximum, currency, lang),
        progress=progress(campaign, settings, lang), stripe_on=stripe_enabled(),
        bank_text=settings.bank_text(lang), form=form, errors={k: str(v) for k, v in (errors or {}).items()},
        in_tab=in_tab, **context,
    )


@bp.get("/widgets/<slug>/donate")
def widget(slug):
    return shared_widget(slug, lambda campaign, context: render_donate(campaign, shared=True, **context))


@bp.post("/widgets/<slug>/donate")
@protected_form("donate", ip_limits=("RATELIMIT_DONATE",))  # each start makes a Stripe session
def start(slug):
    """Start a donation: 303 to Stripe Checkout, or the form again with what went wrong."""
    campaign = find_campaign(slug)
    form = request.form.to_dict()
    context = embedding(form)
    meta = {"lang": str(get_locale()), "ref": context["ref"], "origin": context["host_origin"]}

    def again(status, errors=None, notice=None, **extra):
        response = render_donate(
            campaign, status, form=form, errors=errors, in_tab=True, resent=form,
            notice=notice, **extra, **context,
        )
        if status == 503:
            response[2]["Retry-After"] = "60"
        return response

    try:
        url = start_donation(campaign, form, meta)
    except WidgetError as error:  # also Stripe away or refusing (DonationNotStarted)
        status, shown = refused(error)
        return again(status, **shown)
    return redirect(url, 303)


@bp.get("/widgets/<slug>/donate/thanks")
def thanks(slug):
    """Where Stripe sends a donor after paying (a top-level tab, not the ally's iframe)."""
    campaign = find_campaign(slug)
    return _return_page(campaign, "widget/donate_done.html", paid=True)


@bp.get("/widgets/<slug>/donate/cancelled")
def cancelled(slug):
    """Where Stripe sends a donor who went back without paying."""
    campaign = find_campaign(slug)
    return _return_page(campaign, "widget/donate_done.html", paid=False)


def _return_page(campaign, template, **context):
    lang = str(get_locale())
    html = render_template(template, campaign=campaign, text=campaign.text(lang), lang=lang, **context)
    return html, 200, {"Cache-Control": "no-store"}


@bp.errorhandler(429)
def start_rate_limited(error):
    """A flood of donation starts from this address: a page in the donor's language, no Stripe call."""
    return flooded(lambda campaign, form, context: render_donate(
        campaign, 429, form=form, in_tab=True, resent=form, notice=str(RATE_LIMITED), **context,
    ))


@bp.post("/api/v1/stripe/webhook")
def stripe_webhook():
    """Stripe's events: a paid one-time session or a paid invoice of a monthly gift is recorded.

    400 for a forged, stale or malformed event (nothing changes); 200 for every genuine one,
    recorded or not, so Stripe stops sending it; 503 while the database is away, so it retries.
    """
    request.max_content_length = WEBHOOK_MAX_BYTES
    payload = request.get_data(cache=False)
    event = verified_event(payload, request.headers.get("Stripe-Signature"))
    outcome = handle_event(event)
    log.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return jsonify({"received": True, "outcome": outcome})

