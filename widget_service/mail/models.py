"""The outbox: every mail the service sends, as a row written in the transaction of its cause."""
from sqlalchemy import CheckConstraint, Index

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
