"""Mails of subscriptions: the one asking to confirm, and the welcome once confirmed.

The confirmation mail is the only mail an unconfirmed address ever gets. The welcome mail
carries the unsubscribe link, in the body and in RFC 8058's headers.
"""
from flask_babel import gettext as _

from ..extensions import db
from ..models import Subscription
from ..subscriptions import confirm_url, unsubscribe_url
from .messages import Draft, builder
from .outbox import enqueue

CONFIRM = "subscription_confirm"
WELCOME = "subscription_welcome"


def on_created(app, session, row):
    enqueue(session, CONFIRM, row)


def on_confirmed(app, session, row):
    enqueue(session, WELCOME, row)


def unsubscribe_headers(subscription, base_url):
    """RFC 8058: mail apps offer "unsubscribe" and POST ``List-Unsubscribe=One-Click`` there."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscription, base_url)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@builder(CONFIRM)
def confirm_mail(mail):
    subscription = db.session.get(Subscription, mail.ref_id)
    if subscription is None or subscription.confirmed_at is not None or not subscription.active:
        return None
    title = subscription.campaign.text(mail.lang).title
    return Draft(
        _("Please confirm: emails about “%(title)s”", title=title), "subscription_confirm",
        {"title": title, "confirm_url": confirm_url(subscription, mail.base_url) + f"?lang={mail.lang}"},
    )


@builder(WELCOME)
def welcome_mail(mail):
    subscription = db.session.get(Subscription, mail.ref_id)
    if subscription is None or subscription.confirmed_at is None or not subscription.active:
        return None
    title = subscription.campaign.text(mail.lang).title
    return Draft(
        _("You will hear about “%(title)s”", title=title), "subscription_welcome",
        {"title": title, "unsubscribe_url": unsubscribe_url(subscription, mail.base_url) + f"?lang={mail.lang}"},
        unsubscribe_headers(subscription, mail.base_url),
    )
