"""Finding, creating and closing campaigns, and their public summary."""
import re
from collections import namedtuple

from flask import current_app
from sqlalchemy import select


from .counting import current_count
from .errors import CampaignNotFound, ValidationFailed
from .extensions import db
from .models import Campaign, CampaignText

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def find_campaign(slug):
    """The campaign called ``slug``, or ``CampaignNotFound``."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        raise CampaignNotFound()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise CampaignNotFound()
    return campaign


CampaignRef = namedtuple("CampaignRef", "id slug goal")


def campaign_ref(slug):
    """A campaign's id and goal, cached like the count: the hot count read needs no query."""
    cache = current_app.extensions["msp_campaign_refs"]
    ref = cache.get(slug)
    if ref is None:
        campaign = find_campaign(slug)
        ref = CampaignRef(campaign.id, campaign.slug, campaign.goal)
        cache.set(slug, ref, current_app.config["COUNT_CACHE_SECONDS"])
    return ref


def create_campaign(slug, goal, texts, default_lang="en", **fields):
    """Create a campaign with ``texts``: ``{lang: {"title", "summary", "petition_text", "is_draft"}}``."""
    errors = {}
    if not SLUG_RE.fullmatch(slug or ""):
        errors["slug"] = "Use lowercase letters, digits and dashes (at most 64)."
    elif db.session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        errors["slug"] = "A campaign with this slug exists already."
    if not isinstance(goal, int) or goal < 0:
        errors["goal"] = "The goal is a whole number, zero or more."
    if default_lang not in texts:
        errors["texts"] = f"The default language {default_lang!r} needs a title."
    if errors:
        raise ValidationFailed(errors=errors)
    campaign = Campaign(slug=slug, goal=goal, default_lang=default_lang, settings={}, **fields)
    for lang, text in texts.items():
        campaign.texts.append(CampaignText(lang=lang, **text))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def close_campaign(campaign):
    campaign.status = Campaign.CLOSED
    db.session.commit()


def public_summary(campaign, lang):
    """What anybody may read about a campaign: no personal data."""
    text = campaign.text(lang)
    return {
        "slug": campaign.slug,
        "lang": text.lang,
        "title": text.title,
        "summary": text.summary,
        "petition_text": text.petition_text,
        "draft_translation": text.is_draft,
        "languages": campaign.languages,
        "status": campaign.status if campaign.is_open() else Campaign.CLOSED,
        "closes_at": campaign.closes_at.isoformat() + "Z" if campaign.closes_at else None,
        "goal": campaign.goal,
        "signatures": current_count(campaign.id),
        "links": {"report": campaign.report_url, "kit": campaign.kit_url},
    }
