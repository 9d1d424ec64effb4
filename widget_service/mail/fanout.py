"""Queueing an alert for its subscribers, in batches, throttled, resumable: ``pump``.

Every worker calls ``pump`` before it claims mails. A batch is one transaction: it takes the
alert's row (a conditional ``UPDATE`` of ``queued_through``, so two workers never take the same
batch: on PostgreSQL the second waits for the row and then finds it moved; SQLite's write lock
does the same), adds an ``AlertRecipient`` (unique per alert and subscription, the backstop)
and an outbox row per subscriber, and moves ``queued_through`` past them. A worker that dies
mid-batch rolls the whole batch back, so the next one starts where the last commit left off
and nobody is queued twice.

``WIDGET_ALERT_MAILS_PER_MINUTE`` bounds how many alert mails are queued in any minute, and how
many may wait in the outbox at once (so an SMTP server that is down does not pile up a backlog
that leaves at once on its return, and a pause holds nearly everything).
"""
import logging
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db, insert
from ..models import Subscription, utcnow
from . import outbox
from .alerts import ALERT, eligible
from .models import Alert, AlertRecipient, OutboxMail

log = logging.getLogger(__name__)

BATCH = 100
MINUTE = timedelta(minutes=1)


def budget():
    """How many alert mails may be queued now."""
    now, rate = utcnow(), current_app.config["ALERT_MAILS_PER_MINUTE"]
    recent = db.session.scalar(select(func.count()).select_from(AlertRecipient).where(AlertRecipient.queued_at > now - MINUTE))
    waiting = db.session.scalar(select(func.count()).select_from(OutboxMail).where(
        OutboxMail.state == OutboxMail.QUEUED, OutboxMail.next_attempt_at < outbox.PAUSED_UNTIL, OutboxMail.kind == ALERT))
    return max(0, rate - max(recent, waiting))


def pump():
    """Queue alerts being sent for their next subscribers, as far as the throttle allows; how many."""
    sending = db.session.execute(select(Alert.id, Alert.campaign_id).where(Alert.state == Alert.SENDING)
                                 .order_by(Alert.id)).all()
    db.session.commit()  # end the read: a batch's first statement must be its write (see above)
    queued = 0
    for alert_id, campaign_id in sending:
        while True:
            allowed = min(budget(), BATCH)
            db.session.commit()
            if allowed <= 0:
                return queued
            done = queue_batch(alert_id, campaign_id, allowed)
            if done is None:
                break
            queued += done
    return queued


def queue_batch(alert_id, campaign_id, limit):
    """Queue the next ``limit`` subscribers of one alert; how many, or None when there is no
    more to do (every subscriber queued, or the alert paused or taken by another worker)."""
    cursor = db.session.scalar(select(Alert.queued_through).where(Alert.id == alert_id))
    db.session.commit()
    taken = db.session.execute(update(Alert).where(Alert.id == alert_id, Alert.state == Alert.SENDING,
                                                   Alert.queued_through == cursor).values(queued_through=cursor))
    if taken.rowcount != 1:
        db.session.rollback()
        return None
    subscribers = db.session.execute(
        select(Subscription.id, Subscription.email, Subscription.email_canonical, Subscription.lang)
        .where(*eligible(campaign_id), Subscription.id > cursor).order_by(Subscription.id).limit(limit)).all()
    now = utcnow()
    if not subscribers:
        db.session.execute(update(Alert).where(Alert.id == alert_id).values(state=Alert.SENT, finished_at=now))
        db.session.commit()
        log.info("alert %s: every subscriber queued", alert_id)
        return None
    for subscriber in subscribers:
        recipient_id = db.session.execute(insert(AlertRecipient).values(
            alert_id=alert_id, subscription_id=subscriber.id, queued_at=now, limited=False)
            .on_conflict_do_nothing(index_elements=[AlertRecipient.alert_id, AlertRecipient.subscription_id])
            .returning(AlertRecipient.id)).scalar()
        if recipient_id is None:  # queued already: the unique key keeps it to one
            continue
        row = SimpleNamespace(id=recipient_id, campaign_id=campaign_id, email=subscriber.email,
                              email_canonical=subscriber.email_canonical, lang=subscriber.lang)
        if not outbox.enqueue(db.session, ALERT, row):
            db.session.execute(update(AlertRecipient).where(AlertRecipient.id == recipient_id).values(limited=True))
    db.session.execute(update(Alert).where(Alert.id == alert_id).values(queued_through=subscribers[-1].id))
    db.session.commit()
    log.info("alert %s: %s more subscribers queued", alert_id, len(subscribers))
    return len(subscribers)
