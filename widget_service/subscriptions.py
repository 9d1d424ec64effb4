"""Subscriptions to more actions in a campaign, and unsubscribing without logging in.

A subscription comes from the opt-in on the petition form (in the signature's transaction) or
from the standalone "notify me" form. One row per mailbox and campaign. A form can only create
it: these forms need no login, so anybody can type anybody's address, and a form that could
change a row, or re-activate it after an unsubscribe, would let a stranger undo a person's
unsubscribe (emails arriving again can expose someone, for this cause). Re-subscribing is for
the holder of the link: the page an unsubscribe link opens offers "subscribe again". Every
email MSP sends carries that link, with a signed token naming the subscription
(``unsubscribe_url``); the token never expires, so a link in an old email still works.

For the same reason a subscription starts unconfirmed (double opt-in): the only email an
unconfirmed address may get is one asking to confirm, with ``confirm_url`` (the same token),
whose page confirms with a button. ``flask subscribers export`` lists confirmed subscriptions
unless asked for the unconfirmed ones.
"""
from types import SimpleNamespace

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from . import events, protection
from .errors import CampaignClosed, ValidationFailed, WidgetError
from .extensions import db, insert
from .models import Subscription, utcnow
from .ratelimits import keyed_hash
from .supporter_validation import clean_subscription

CLOSED = _l("This campaign is closed: there will be no more actions to tell you about. Thank you.")


class BrokenUnsubscribeLink(WidgetError):
    status = 400
    code = "broken_link"
    message = _l(
        "This unsubscribe link is incomplete or has been changed. Open the whole link from the "
        "email again, or reply to the email and ask us to unsubscribe you."
    )


class UnknownSubscription(WidgetError):
    status = 404
    code = "unknown_subscription"
    message = _l("We have no subscription for this link, so we will not email you about this campaign.")


def subscribe(campaign, form, meta):
    """The "notify me" form: validate, check like every form, then subscribe.

    Returns nothing, for the same reasons as ``sign_petition``. A form caught by a trap is
    answered like a success and stores nothing: a subscription is consent to be emailed, which
    a bot's form is not, and a person caught by mistake loses nothing they cannot redo.
    """
    if not campaign.is_open():
        raise CampaignClosed(CLOSED)
    clean, errors = clean_subscription(form)
    if errors:
        raise ValidationFailed(errors=errors)
    check = protection.check_form(
        "notify", campaign, form, clean["email_canonical"], token_required=meta.get("widget", False)
    )
    if check.verdict != protection.STORE:
        return
    try:
        record_subscription(
            campaign.id, clean["email"], clean["email_canonical"], clean["name"], clean["email_lang"], Subscription.NOTIFY,
            ref=clean["ref"],
        )
        db.session.commit()
    except Exception as error:
        check.failed(error)
        raise


def record_subscription(campaign_id, email, email_canonical, name, lang, source, confirmed=False, ref=None):
    """Subscribe a mailbox in the current transaction (the caller commits).

    One statement, so two forms from one mailbox at once cannot make two rows; a mailbox that
    has a row already (subscribed or unsubscribed) keeps it exactly as it is (see the module's
    docstring). The caller's answer is the same either way. ``confirmed``: the mailbox's owner
    has just proven it (a signature confirmed from its mail), so the subscription starts
    confirmed, and an unconfirmed one of theirs is confirmed (never an unsubscribed one).
    ``ref``: the partner's key the new row is credited to (a row that exists keeps its own).
    """
    now = utcnow()
    statement = insert(Subscription).values(
        campaign_id=campaign_id, email=email, email_canonical=email_canonical, name=name, lang=lang,
        source=source, ref=ref, created_at=now, subscribed_at=now, unsubscribed_at=None, confirmed_at=now if confirmed else None,
    ).on_conflict_do_nothing(index_elements=[Subscription.campaign_id, Subscription.email_canonical])
    new_id = db.session.execute(statement.returning(Subscription.id)).scalar()
    app = current_app._get_current_object()
    if confirmed and new_id is None:
        new_id = db.session.execute(
            update(Subscription).where(
                Subscription.campaign_id == campaign_id, Subscription.email_canonical == email_canonical,
                Subscription.confirmed_at.is_(None), Subscription.unsubscribed_at.is_(None),
            ).values(confirmed_at=now).returning(Subscription.id)
        ).scalar()
    if new_id is not None:  # its mail, in this transaction (see events.py)
        signal = events.subscription_confirmed if confirmed else events.subscription_created
        row = SimpleNamespace(id=new_id, campaign_id=campaign_id, email=email, email_canonical=email_canonical, lang=lang)
        signal.send(app, session=db.session, row=row)


# --- unsubscribing --------------------------------------------------------------------------

def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="msp-unsubscribe")


def _fingerprint(subscription):
    # Binds the token to the mailbox too, so a token can never name another person's row
    # (SQLite may reuse the id of a deleted row); keyed, so the token does not reveal the address.
    return keyed_hash("unsubscribe", f"{subscription.campaign_id}:{subscription.email_canonical}")[:16]


def unsubscribe_token(subscription):
    return _serializer().dumps([subscription.id, _fingerprint(subscription)])


def unsubscribe_url(subscription, base_url):
    return f"{base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(subscription)}"


def confirm_url(subscription, base_url):
    return f"{base_url.rstrip('/')}/confirm/{unsubscribe_token(subscription)}"


def confirm(subscription):
    """The mailbox's owner wants the emails; confirming twice changes nothing."""
    _change(subscription, Subscription.confirmed_at.is_(None), events.subscription_confirmed, confirmed_at=utcnow())


def _change(subscription, unless_done, signal=None, **values):
    """Set ``values`` on ``subscription`` where ``unless_done`` still holds (one conditional
    ``UPDATE``, so a repeated or concurrent request changes nothing twice), and reload it.
    ``signal`` is sent in the transaction when this call made the change (see events.py)."""
    result = db.session.execute(update(Subscription).where(Subscription.id == subscription.id, unless_done).values(**values))
    if signal is not None and result.rowcount == 1:
        signal.send(current_app._get_current_object(), session=db.session, row=subscription)
    db.session.commit()
    db.session.refresh(subscription)


def find_subscription(token):
    """The subscription a token names; ``BrokenUnsubscribeLink`` or ``UnknownSubscription``."""
    try:
        payload = _serializer().loads(token)
    except (BadSignature, UnicodeError, ValueError):
        raise BrokenUnsubscribeLink() from None
    if not (
        isinstance(payload, list) and len(payload) == 2 and type(payload[0]) is int and isinstance(payload[1], str)
    ):
        raise BrokenUnsubscribeLink()
    subscription = db.session.get(Subscription, payload[0]) if abs(payload[0]) < 2**31 else None
    if subscription is None or subscription.id != payload[0] or _fingerprint(subscription) != payload[1]:
        raise UnknownSubscription()
    return subscription


def resubscribe(subscription):
    """The link's holder subscribes again (the same row, so the same link keeps working)."""
    _change(
        subscription, Subscription.unsubscribed_at.is_not(None),
        unsubscribed_at=None, subscribed_at=utcnow(), confirmed_at=func.coalesce(Subscription.confirmed_at, utcnow()),
    )


def unsubscribe(subscription):
    """Stop emails to this subscription at once; unsubscribing twice changes nothing."""
    _change(subscription, Subscription.unsubscribed_at.is_(None), unsubscribed_at=utcnow())


def subscriptions_of(campaign_id, include_unsubscribed=False, unconfirmed=False, where=()):
    """A campaign's subscriptions in the order they came, streamed in batches: the confirmed
    ones, or (``unconfirmed``) those still to be asked to confirm."""
    query = select(Subscription).where(Subscription.campaign_id == campaign_id, *where).order_by(Subscription.id)
    query = query.where(Subscription.confirmed_at.is_(None) if unconfirmed else Subscription.confirmed_at.is_not(None))
    if not include_unsubscribed:
        query = query.where(Subscription.unsubscribed_at.is_(None))
    return db.session.scalars(query.execution_options(yield_per=1000))
