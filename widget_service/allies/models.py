"""Partners (allied organisations): their key, their origins, their private statistics link."""
from sqlalchemy import CheckConstraint

from ..extensions import db
from ..models import utcnow


class Partner(db.Model):
    """An ally that embeds the widgets. ``key`` is its snippets' ``data-partner`` (and the part
    of a share's ``ref`` before ``~``); signatures, offers to coordinate and subscriptions are
    credited to it by that key when they are read, so the signing path never looks it up."""

    ACTIVE = "active"
    DISABLED = "disabled"
    STATUSES = (ACTIVE, DISABLED)

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(64), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    contact_email = db.Column(db.String(254), nullable=False)
    status = db.Column(db.String(16), nullable=False, default=ACTIVE)
    # SHA-256 of the statistics link's token: a stolen database shows no working link.
    stats_token_hash = db.Column(db.String(64), nullable=True, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    origins = db.relationship(
        "PartnerOrigin", back_populates="partner", cascade="all, delete-orphan", order_by="PartnerOrigin.origin"
    )

    __table_args__ = (CheckConstraint("status IN ('active', 'disabled')", name="status"),)

    @property
    def active(self):
        return self.status == self.ACTIVE


class PartnerOrigin(db.Model):
    """An origin (``https://host[:port]``) a partner embeds the widgets from."""

    partner_id = db.Column(db.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    origin = db.Column(db.String(255), primary_key=True)

    partner = db.relationship("Partner", back_populates="origins")
