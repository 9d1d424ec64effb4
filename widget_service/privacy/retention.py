"""The retention period: a campaign's personal data is erased ``retention_days`` after it
closed (its setting, else ``WIDGET_RETENTION_DAYS``), by ``flask retention apply``.

``apply`` is safe to run at any time and again: a campaign is erased in one transaction, rows
already erased are left alone, and a campaign erased before is looked at again only for rows
created since (a monthly gift recorded after the campaign closed, a signature confirmed late),
from a week before its last run, so nothing in flight is missed.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ..campaigns import retention_days
from ..extensions import db
from ..models import Campaign, utcnow
from .erasure import DONATION_SETTLE, erase


def erase_after(campaign):
    """When ``campaign``'s personal data is due to be erased (None: it is open)."""
    closed = campaign.closed_since()
    return None if closed is None else closed + timedelta(days=retention_days(campaign))


@dataclass
class Erased:
    slug: str
    counts: dict


def apply(now=None):
    """Erase the personal data of every campaign whose retention period is over; what was erased."""
    now = now or utcnow()
    results = []
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.slug)).all()
    for campaign in campaigns:
        due = erase_after(campaign)
        if due is None or due > now:
            continue
        since = campaign.erased_at - DONATION_SETTLE if campaign.erased_at is not None else None
        counts = erase(campaign_id=campaign.id, since=since)
        campaign.erased_at = now
        db.session.commit()
        results.append(Erased(campaign.slug, counts))
    return results
