"""The outbox: every mail the service sends, as a row written in the transaction of its cause."""
from sqlalchemy import CheckConstraint, Index, UniqueConstraint

from ..extensions import db
from ..models import utcnow


class OutboxMail(db.Model):
    """One mail to one address. Its text is written when it is sent (``messages.render``), from
    its cause (``kind`` and ``ref_id``): a mail whose cause is gone by then (a signature the
    mailbox's owner disowned, a subscription confirmed meanwhile) is cancelled, not sent, and the
    outbox holds no link tokens."""

    QUEUED = "queued"  # waiting, or waiting for its next try (``next_attempt_at``)
    SENT = "sent"
    FAILED = "failed"  # refused for good (5xx), or temporary failures for ``GIVE_UP_AFTER``
    CANCELLED = "cancelled"  # its cause was gone when its turn came
    STATES = (QUEUED, SENT, FAILED, CANCELLED)

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(32), nullable=False)
    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=True)
    ref_id = db.Column(db.Integer, nullable=True)  # the cause's row (a signature, a subscription...)
    to_email = db.Column(db.String(254), nullable=False)
    # Keyed hash of the canonical address: the daily limit per address counts by it.
    to_hash = db.Column(db.String(32), nullable=False)
    lang = db.Column(db.String(8), nullable=False)
    base_url = db.Column(db.String(255), nullable=False)  # where the mail's links point
    state = db.Column(db.String(16), nullable=False, default=QUEUED)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # A worker's claim: until ``lease_until`` no other worker takes the row.
    claim = db.Column(db.String(32), nullable=True)
    lease_until = db.Column(db.DateTime, nullable=True)
    last_error = db.Column(db.String(200), nullable=True)  # an SMTP code and reply, addresses masked
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    sent_at = db.Column(db.DateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("state IN ('queued', 'sent', 'failed', 'cancelled')", name="state"),
        Index("ix_outbox_mail_due", "state", "next_attempt_at"),
        Index("ix_outbox_mail_to_hash_created", "to_hash", "created_at"),
        Index("ix_outbox_mail_kind_ref", "kind", "ref_id"),
    )


class Alert(db.Model):
    """An action alert MSP writes for a campaign's confirmed subscribers, in English and Urdu.

    ``draft`` until ``send`` (which needs a test mail of its current text); ``sending`` while the
    workers queue it for its subscribers (``queued_through``: the last subscription id queued, so
    a fan-out that died resumes there); ``sent`` when all are queued; ``paused`` holds both.
    """

    DRAFT = "draft"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"  # every subscriber queued (their mails may still be in the outbox)
    STATES = (DRAFT, SENDING, PAUSED, SENT)

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    subject_en = db.Column(db.String(200), nullable=False)
    text_en = db.Column(db.Text, nullable=False)
    subject_ur = db.Column(db.String(200), nullable=False)
    text_ur = db.Column(db.Text, nullable=False)
    state = db.Column(db.String(16), nullable=False, default=DRAFT)
    tested_digest = db.Column(db.String(64), nullable=True)  # the text a test mail was asked of
    tested_at = db.Column(db.DateTime, nullable=True)
    queued_through = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    started_at = db.Column(db.DateTime, nullable=True)
    finished_at = db.Column(db.DateTime, nullable=True)  # every subscriber queued

    campaign = db.relationship("Campaign")

    __table_args__ = (CheckConstraint("state IN ('draft', 'sending', 'paused', 'sent')", name="state"),)


class AlertRecipient(db.Model):
    """A subscription an alert was queued for: a reference, never a copy of the address (the
    outbox row holds that, as for every mail). Unique per alert and subscription, so however a
    fan-out is interrupted or repeated, nobody is queued twice."""

    id = db.Column(db.Integer, primary_key=True)
    alert_id = db.Column(db.ForeignKey("alert.id", ondelete="CASCADE"), nullable=False)
    subscription_id = db.Column(db.ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False)
    queued_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    limited = db.Column(db.Boolean, nullable=False, default=False)  # the address had its day's mails: none queued

    alert = db.relationship("Alert")
    subscription = db.relationship("Subscription")

    __table_args__ = (
        UniqueConstraint("alert_id", "subscription_id", name="uq_alert_recipient_alert_subscription"),
        Index("ix_alert_recipient_queued_at", "queued_at"),
    )
