"""Unsubscribing from a campaign's emails by the link in every email, without logging in.

``GET /unsubscribe/<token>`` only shows a page with a button: mail scanners and link previews
fetch links, and must not unsubscribe anybody. ``POST`` unsubscribes at once, from that button
or as RFC 8058's one-click request (body ``List-Unsubscribe=One-Click``), which mail apps send
without showing a page. ``POST .../resubscribe``, from the button on the unsubscribed page, is the
one way back in (the forms never re-activate a row: see ``subscriptions``). These pages may not
be framed and set no cookies.
"""
from flask import Blueprint, make_response, render_template, request
from flask_babel import force_locale

from .. import captcha
from ..errors import WidgetError
from ..subscriptions import confirm as confirm_subscription, find_subscription, resubscribe, unsubscribe
from ..validation import LANGUAGES

bp = Blueprint("unsubscribe", __name__)

ONE_CLICK = "One-Click"


def page(template, status=200, lang=None, **context):
    """A page in ``?lang``, else ``lang`` (the subscription's), else the reader's browser's."""
    chosen = request.args.get("lang") if request.args.get("lang") in LANGUAGES else lang
    if chosen:
        with force_locale(chosen):
            html = render_template(template, **context)
    else:
        html = render_template(template, **context)
    return private(make_response(html, status))


def private(response):
    # The link is the only key to the subscription: keep it out of caches, out of the Referer
    # of any link followed from the page, out of search engines, and out of other sites' frames.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = captcha.page_csp(frameable=False).replace(
        "frame-ancestors 'self'", "frame-ancestors 'none'"
    )
    return response


def masked(email):
    """``a•••@example.org``: enough for its owner to recognise, little for anyone else."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}•••@{domain}"


def subscription_page(subscription, **context):
    campaign_text = subscription.campaign.text(request.args.get("lang") or subscription.lang)
    return page(
        "unsubscribe.html", lang=subscription.lang, email=masked(subscription.email), title=campaign_text.title,
        done=not subscription.active, subscription_confirmed=subscription.confirmed_at is not None, **context,
    )


def on_subscription(token, action=None, **context):
    """The page of the subscription ``token`` names, after ``action`` (a function of the
    subscription) if any; or the error page of a broken or unknown link, which changes nothing."""
    try:
        subscription = find_subscription(token)
    except WidgetError as error:
        return page("unsubscribe.html", error.status, problem=str(error.message))
    if action:
        action(subscription)
    return subscription_page(subscription, **context)


@bp.get("/unsubscribe/<path:token>")
def unsubscribe_page(token):
    return on_subscription(token)


@bp.get("/confirm/<path:token>")
def confirm_page(token):
    """The link in the one email an unconfirmed address gets: a button, never a GET that acts."""
    return on_subscription(token, confirming=True)


@bp.post("/confirm/<path:token>")
def confirm_now(token):
    return on_subscription(token, confirm_subscription, confirming=True)


@bp.post("/unsubscribe/<path:token>/resubscribe")
def resubscribe_now(token):
    return on_subscription(token, resubscribe, resubscribed=True)


@bp.post("/unsubscribe/<path:token>")
def unsubscribe_now(token):
    answer = on_subscription(token, unsubscribe)
    if answer.status_code == 200 and request.form.get("List-Unsubscribe") == ONE_CLICK:
        # A mail app asking on its reader's behalf: nobody reads a page.
        return private(make_response("Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}))
    return answer
