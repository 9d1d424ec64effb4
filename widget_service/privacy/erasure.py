"""Erasing the personal fields of kept rows.

Rows are kept, not deleted, so that every count and statistic stays exactly as it was: the
public count's shards and the console's rollups count signatures by state, hour, partner key,
website, country and language; the dashboard counts offers by province and subscriptions by
state; partners' statistics credit a subscription through the signature of the same mailbox.
Deleting rows would change all of those, or need a second, drifting copy of them.

What goes: names, addresses, phone numbers, comments and notes, a signature's city or region,
IP hashes, and Stripe's references to a donor. What stays: the row's campaign, state, times,
country, language, partner key, embedding website, opt-in, an offer's province (the dashboard's
breakdown, as coarse as the country kept for signatures), a gift's amount, currency and
interval.

The canonical address, which unique indexes need, becomes ``<letter><row id>@erased.invalid``:
unique where the index needs it, never a real address (``.invalid`` is reserved, RFC 6761), so
it blocks nobody from signing again, and equal on a mailbox's signature and subscription in a
campaign, which partners' statistics join on. It is made from row ids, which hold nothing
about the person. The address itself becomes "".
"""
from datetime import timedelta

from sqlalchemy import String, delete, func, literal, select, update

from ..extensions import db
from ..mail.models import OutboxMail
from ..models import Coordinator, Donation, Signature, Subscription, utcnow

ERASED_DOMAIN = "erased.invalid"
# Stripe sends an event again for up to three days; a gift's ids are its replay protection, so
# they are kept a week (the next run erases them).
DONATION_SETTLE = timedelta(days=7)


def pseudonym(letter, row_id):
    """SQL: the canonical address an erased row gets."""
    return literal(letter) + row_id.cast(String) + literal("@" + ERASED_DOMAIN)


def not_erased(model):
    return ~model.email_canonical.like("%@" + ERASED_DOMAIN)


def erase(campaign_id=None, email_canonical=None, since=None):
    """Erase the personal fields of one campaign's rows, or of one mailbox's rows in every
    campaign (or both), created since ``since`` (None: all); in the caller's transaction.
    Returns ``{"signatures", "offers", "subscriptions", "donations", "mails"}`` counts."""
    def scope(model, when=None):
        conditions = []
        if campaign_id is not None:
            conditions.append(model.campaign_id == campaign_id)
        if email_canonical is not None:
            conditions.append(model.email_canonical == email_canonical)
        if since is not None:
            conditions.append(model.created_at >= since)
        return conditions

    run = {"synchronize_session": False}
    counts = {}
    # Signatures first: their pseudonym is their subscription's, read before that one changes.
    same_mailbox = (
        select(pseudonym("s", Subscription.id)).where(
            Subscription.campaign_id == Signature.campaign_id, Subscription.email_canonical == Signature.email_canonical
        ).scalar_subquery()
    )
    counts["signatures"] = db.session.execute(
        update(Signature).where(*scope(Signature), not_erased(Signature)).values(
            name="", email="", region=None, comment=None, ip_hash=None,
            email_canonical=func.coalesce(same_mailbox, pseudonym("g", Signature.id)),
        ), execution_options=run).rowcount
    counts["offers"] = db.session.execute(
        update(Coordinator).where(*scope(Coordinator), not_erased(Coordinator)).values(
            name="", email="", phone="", note=None, ip_hash=None, email_canonical=pseudonym("c", Coordinator.id),
        ), execution_options=run).rowcount
    counts["subscriptions"] = db.session.execute(
        update(Subscription).where(*scope(Subscription), not_erased(Subscription)).values(
            name=None, email="", email_canonical=pseudonym("s", Subscription.id),
        ), execution_options=run).rowcount
    # A mail's row holds its address: the mails about these rows go (their causes are erased).
    counts["mails"] = 0
    if email_canonical is not None:
        from ..mail.outbox import address_hash

        counts["mails"] += db.session.execute(
            delete(OutboxMail).where(OutboxMail.to_hash == address_hash(email_canonical),
                                     *([OutboxMail.campaign_id == campaign_id] if campaign_id is not None else [])),
            execution_options=run).rowcount
    elif campaign_id is not None:
        counts["mails"] += db.session.execute(
            delete(OutboxMail).where(OutboxMail.campaign_id == campaign_id), execution_options=run).rowcount
    counts["donations"] = 0
    if email_canonical is None:  # gifts hold no address: only a campaign's are erased, by age
        settled = utcnow() - DONATION_SETTLE
        counts["donations"] = db.session.execute(
            update(Donation).where(
                *scope(Donation), Donation.created_at < settled, ~Donation.stripe_event_id.like("erased:%"),
            ).values(
                stripe_event_id=literal("erased:e") + Donation.id.cast(String),
                stripe_object_id=literal("erased:o") + Donation.id.cast(String),
                stripe_subscription_id=None,
            ), execution_options=run).rowcount
    return counts

