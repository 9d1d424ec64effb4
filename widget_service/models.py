"""Campaigns, their texts per language, signatures, the sharded signature counter, donations."""
from datetime import datetime, timezone

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text

from .extensions import db


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Campaign(db.Model):
    OPEN = "open"
    CLOSED = "closed"
    STATUSES = (OPEN, CLOSED)

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(64), nullable=False, unique=True)
    goal = db.Column(db.Integer, nullable=False, default=0)
    status = db.Column(db.String(16), nullable=False, default=OPEN)
    closes_at = db.Column(db.DateTime, nullable=True)
    # When MSP closed it (``close_campaign``); its personal data is erased a retention period
    # after it closed (``privacy.retention``), and ``erased_at`` says when that last ran on it.
    closed_at = db.Column(db.DateTime, nullable=True)
    erased_at = db.Column(db.DateTime, nullable=True)
    default_lang = db.Column(db.String(8), nullable=False, default="en")
    report_url = db.Column(db.String(500), nullable=True)
    kit_url = db.Column(db.String(500), nullable=True)
    # Embed policy, captcha and per-campaign switches; read through ``setting``.
    settings = db.Column(db.JSON, nullable=False, default=dict)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    texts = db.relationship(
        "CampaignText", back_populates="campaign", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status"),)

    def closed_since(self, now=None):
        """When the campaign stopped taking signatures (None: open): closed by MSP, or its
        closing time passed, whichever came first."""
        now = now or utcnow()
        passed = self.closes_at if self.closes_at is not None and self.closes_at <= now else None
        closed = self.closed_at if self.status == self.CLOSED else None
        return min((t for t in (passed, closed) if t is not None), default=None)

    def is_open(self, now=None):
        if self.status != self.OPEN:
            return False
        return self.closes_at is None or (now or utcnow()) < self.closes_at

    @property
    def languages(self):
        return sorted(text.lang for text in self.texts)

    def text(self, lang):
        """The campaign's texts in ``lang``, else in its default language."""
        by_lang = {text.lang: text for text in self.texts}
        return by_lang.get(lang) or by_lang.get(self.default_lang) or next(iter(by_lang.values()), None)

    def setting(self, name, default=None):
        return (self.settings or {}).get(name, default)


class CampaignText(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    lang = db.Column(db.String(8), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    summary = db.Column(db.Text, nullable=False, default="")
    petition_text = db.Column(db.Text, nullable=False, default="")
    # A machine or volunteer translation that MSP has not reviewed yet.
    is_draft = db.Column(db.Boolean, nullable=False, default=False)

    campaign = db.relationship("Campaign", back_populates="texts")

    __table_args__ = (UniqueConstraint("campaign_id", "lang", name="uq_campaign_text_lang"),)


class Signature(db.Model):
    COUNTED = "counted"
    PENDING = "pending"  # waiting for an email confirmation
    SUSPECT = "suspect"  # caught by a bot trap; kept for review, never counted
    STATES = (COUNTED, PENDING, SUSPECT)
    COUNTED_STATES = (COUNTED,)
    # The rows among which a mailbox signs once per campaign (the unique index's condition).
    ONE_PER_MAILBOX = "state <> 'suspect'"

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(100), nullable=False)
    email = db.Column(db.String(254), nullable=False)
    email_canonical = db.Column(db.String(254), nullable=False)
    country = db.Column(db.String(2), nullable=False)
    region = db.Column(db.String(100), nullable=True)
    comment = db.Column(db.Text, nullable=True)
    opt_in = db.Column(db.Boolean, nullable=False, default=False)
    lang = db.Column(db.String(8), nullable=False)
    ref = db.Column(db.String(64), nullable=True)
    source_origin = db.Column(db.String(255), nullable=True)
    state = db.Column(db.String(16), nullable=False, default=COUNTED)
    # HMAC of the client IP under the secret key: lets abuse be grouped without keeping the IP.
    ip_hash = db.Column(db.String(64), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        # The backstop against double signing: one canonical email per campaign. Suspect rows
        # are left out, so a bot that signs with somebody's address cannot block their signature.
        Index(
            "uq_signature_campaign_email",
            "campaign_id",
            "email_canonical",
            unique=True,
            sqlite_where=text(ONE_PER_MAILBOX),
            postgresql_where=text(ONE_PER_MAILBOX),
        ),
        CheckConstraint("state IN ('counted', 'pending', 'suspect')", name="state"),
        Index("ix_signature_campaign_created", "campaign_id", "created_at"),
        Index("ix_signature_campaign_state", "campaign_id", "state"),  # recounts, exports by state
    )


class CounterShard(db.Model):
    """One of ``SHARDS`` rows whose sum is a campaign's count.

    Signers add to a random shard, so concurrent signatures rarely wait on the same row
    (a single ``UPDATE ... SET n = n + 1`` row serialises every signature).
    """

    SHARDS = 16

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    shard = db.Column(db.SmallInteger, primary_key=True, autoincrement=False)
    count = db.Column(db.BigInteger, nullable=False, default=0)
    # Raised by every recount that changes the shards (``counting.reconcile``): the live count in
    # Redis only ever takes values of the newest generation.
    generation = db.Column(db.Integer, nullable=False, default=0, server_default="0")


class CampaignFile(db.Model):
    """A file MSP attached to a campaign (its report, its kit, its share image), kept in the
    database so every instance serves the same bytes. One per campaign and kind."""

    REPORT = "report"
    KIT = "kit"
    IMAGE = "image"
    KINDS = (REPORT, KIT, IMAGE)

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    kind = db.Column(db.String(16), primary_key=True)
    filename = db.Column(db.String(200), nullable=False)
    content_type = db.Column(db.String(100), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    # Deferred: pages ask whether a file exists (and its ETag) without loading its bytes.
    data = db.deferred(db.Column(db.LargeBinary, nullable=False))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (CheckConstraint("kind IN ('report', 'kit', 'image')", name="kind"),)


class DownloadCount(db.Model):
    """How many times a campaign's report or kit was fetched on one day (UTC). Aggregates only:
    no address, no time of day, nothing that tells one reader from another."""

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    kind = db.Column(db.String(16), primary_key=True)
    day = db.Column(db.Date, primary_key=True)
    count = db.Column(db.BigInteger, nullable=False, default=0)


class Coordinator(db.Model):
    """A supporter offering to coordinate the campaign in a region (personal data: MSP only)."""

    RECEIVED = "received"
    PENDING = "pending"  # waiting for its mailbox's confirmation; MSP does not see it yet
    SUSPECT = "suspect"  # caught by a bot trap; kept for review
    STATES = (RECEIVED, PENDING, SUSPECT)
    # The rows among which a mailbox offers once per campaign (the unique index's condition).
    ONE_PER_MAILBOX = "state = 'received'"

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(100), nullable=False)
    email = db.Column(db.String(254), nullable=False)
    email_canonical = db.Column(db.String(254), nullable=False)
    phone = db.Column(db.String(20), nullable=False)  # E.164
    # A province or territory of Pakistan (ISO 3166-2 code), or "outside" with ``country``.
    region = db.Column(db.String(16), nullable=False)
    country = db.Column(db.String(2), nullable=False)
    note = db.Column(db.Text, nullable=True)
    lang = db.Column(db.String(8), nullable=False)
    ref = db.Column(db.String(64), nullable=True)
    source_origin = db.Column(db.String(255), nullable=True)
    state = db.Column(db.String(16), nullable=False, default=RECEIVED)
    ip_hash = db.Column(db.String(64), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        # One received offer per mailbox and campaign. Pending ones are left out: anybody can type
        # anybody's address, so an unconfirmed offer must never block or shadow a genuine one.
        Index(
            "uq_coordinator_campaign_email",
            "campaign_id",
            "email_canonical",
            unique=True,
            sqlite_where=text(ONE_PER_MAILBOX),
            postgresql_where=text(ONE_PER_MAILBOX),
        ),
        CheckConstraint("state IN ('received', 'pending', 'suspect')", name="state"),
    )


class Subscription(db.Model):
    """A mailbox that asked to hear of more actions in a campaign, until it unsubscribes."""

    PETITION = "petition"  # the opt-in on the petition form
    NOTIFY = "notify"  # the standalone "notify me" form
    SOURCES = (PETITION, NOTIFY)

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    email = db.Column(db.String(254), nullable=False)
    email_canonical = db.Column(db.String(254), nullable=False)
    name = db.Column(db.String(100), nullable=True)
    lang = db.Column(db.String(8), nullable=False)  # the language the emails are written in
    source = db.Column(db.String(16), nullable=False)  # how the mailbox first subscribed
    ref = db.Column(db.String(64), nullable=True)  # the partner's key it first came with (validation.clean_ref)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    subscribed_at = db.Column(db.DateTime, nullable=False, default=utcnow)  # the latest opt-in
    unsubscribed_at = db.Column(db.DateTime, nullable=True)  # set: no more emails
    # Set when the mailbox's owner followed the confirmation link: anybody can type anybody's
    # address into a form, so nothing but a confirmation email goes to an unconfirmed one.
    confirmed_at = db.Column(db.DateTime, nullable=True)

    campaign = db.relationship("Campaign")

    __table_args__ = (
        UniqueConstraint("campaign_id", "email_canonical", name="uq_subscription_campaign_email"),
        CheckConstraint("source IN ('petition', 'notify')", name="source"),
    )

    @property
    def active(self):
        return self.unsubscribed_at is None


class Donation(db.Model):
    """One paid gift, recorded from Stripe's webhook: no donor name, address or card data.

    ``stripe_object_id`` is the Checkout Session (one-time gifts) or the invoice (each month of
    a monthly gift); with ``stripe_event_id`` it is unique, so a replayed or re-sent event
    changes nothing.
    """

    ONCE = "once"
    MONTHLY = "month"
    INTERVALS = (ONCE, MONTHLY)

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)  # minor units of ``currency``
    currency = db.Column(db.String(3), nullable=False)  # ISO 4217, upper case
    interval = db.Column(db.String(8), nullable=False, default=ONCE)
    stripe_event_id = db.Column(db.String(255), nullable=False, unique=True)
    stripe_object_id = db.Column(db.String(255), nullable=False, unique=True)
    stripe_subscription_id = db.Column(db.String(255), nullable=True)
    ref = db.Column(db.String(64), nullable=True)  # the partner's key the checkout was started with
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("interval IN ('once', 'month')", name="interval"),
        Index("ix_donation_campaign_currency", "campaign_id", "currency"),
    )


class DonationTotal(db.Model):
    """What a campaign has raised in one currency, kept in the transaction that records a
    donation, so the widget reads it without summing donations."""

    campaign_id = db.Column(db.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    currency = db.Column(db.String(3), primary_key=True)
    amount = db.Column(db.BigInteger, nullable=False, default=0)
    donations = db.Column(db.Integer, nullable=False, default=0)
