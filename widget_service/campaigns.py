"""Finding, creating and closing campaigns, and their public summary."""
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session


from .counting import current_count
from .errors import CampaignNotFound, ValidationFailed
from .extensions import db
from .models import Campaign, CampaignText, utcnow

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def find_campaign(slug):
    """The campaign called ``slug``, or ``CampaignNotFound``."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        raise CampaignNotFound()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise CampaignNotFound()
    return campaign


@dataclass(frozen=True)
class CampaignRef:
    """What the hot paths (reading the count, signing) need of a campaign, without its texts."""

    id: int
    slug: str
    goal: int
    status: str
    closes_at: datetime | None
    settings: dict

    OPEN = Campaign.OPEN
    is_open = Campaign.is_open
    setting = Campaign.setting


def campaign_ref(slug):
    """A campaign's ``CampaignRef``, cached per process for ``WIDGET_COUNT_CACHE_SECONDS``, so
    the hot count read and signing need no query for it. A campaign closed (or switched) by the
    CLI therefore takes effect within those seconds."""
    cache = current_app.extensions["msp_campaign_refs"]
    ref = cache.get(slug)
    if ref is None:
        campaign = find_campaign(slug)
        ref = CampaignRef(
            campaign.id, campaign.slug, campaign.goal, campaign.status, campaign.closes_at, dict(campaign.settings or {})
        )
        cache.set(slug, ref, current_app.config["COUNT_CACHE_SECONDS"])
    return ref


@event.listens_for(Campaign, "after_update")
def _note_changed_ref(mapper, connection, campaign):
    """A campaign changed in this process (closed, switched, its goal set): noted during the
    flush, dropped from this process's snapshots once the change commits (dropping it now would
    let another thread cache the old row again before the commit)."""
    session = object_session(campaign)
    if session is not None:
        session.info.setdefault("msp_changed_campaigns", set()).add(campaign.slug)


@event.listens_for(Session, "after_commit")
def _forget_changed_refs(session):
    """Other processes see the change within ``WIDGET_COUNT_CACHE_SECONDS``."""
    changed = session.info.pop("msp_changed_campaigns", ())
    if changed and current_app:
        for slug in changed:
            current_app.extensions["msp_campaign_refs"].pop(slug)


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
    """Stop ``campaign`` taking signatures; its retention period runs from now, or from its
    closing time if that passed already (closing again changes neither)."""
    if campaign.status != Campaign.CLOSED:
        now = utcnow()
        campaign.closed_at = campaign.closes_at if campaign.closes_at is not None and campaign.closes_at <= now else now
    campaign.status = Campaign.CLOSED
    db.session.commit()


def reopen_campaign(campaign):
    """Take signatures again; a closing time that has passed goes (it would keep it closed)."""
    campaign.status = Campaign.OPEN
    campaign.closed_at = None
    if campaign.closes_at is not None and campaign.closes_at <= utcnow():
        campaign.closes_at = None
    db.session.commit()


UNCHANGED = object()  # ``change_campaign``'s closing time when it is not being changed
SWITCHES = {"captcha": bool, "confirm_signatures": bool, "retention_days": int}  # settings MSP sets


def change_campaign(campaign, goal=None, closes_at=UNCHANGED, **switches):
    """Set ``campaign``'s ``goal``, closing time (None: none) and switches (``captcha``,
    ``confirm_signatures``, ``retention_days``: a value, or None for the default), as MSP's
    console and ``flask campaigns set`` do; only what is given changes, and nothing does unless
    all of it is valid (``ValidationFailed``). The caller commits. Other instances see the change
    within ``WIDGET_COUNT_CACHE_SECONDS``; this one at once."""
    errors = {}
    if goal is not None and (isinstance(goal, bool) or not isinstance(goal, int) or goal < 0):
        errors["goal"] = "The goal is a whole number, zero or more."
    for name, value in switches.items():
        kind = SWITCHES.get(name)
        if kind is None:
            errors[name] = "Not a setting of a campaign."
        elif value is not None and (type(value) is not kind or (kind is int and not 0 <= value <= RETENTION_MAX_DAYS)):
            errors[name] = f"Not a valid {name}."
    if errors:
        raise ValidationFailed(errors=errors)
    if goal is not None:
        campaign.goal = goal
    if closes_at is not UNCHANGED:
        campaign.closes_at = closes_at
    if switches:
        merged = {**(campaign.settings or {}), **switches}
        campaign.settings = {name: value for name, value in merged.items() if value is not None}


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


# --- the retention period (erasing is the privacy subpackage's; the setting is a campaign's) ---

RETENTION_SETTING = "retention_days"
RETENTION_MAX_DAYS = 3650  # ten years: a period MSP could mean; larger ones are typing mistakes


def retention_days(campaign):
    """Days after it closes that ``campaign``'s personal data is erased: its own setting, else
    ``WIDGET_RETENTION_DAYS``."""
    value = campaign.setting(RETENTION_SETTING)
    return current_app.config["RETENTION_DAYS"] if value is None else int(value)


def longest_period():
    """The longest retention period in force (days): the default, or a campaign's own if longer."""
    days = [current_app.config["RETENTION_DAYS"]]
    for settings in db.session.scalars(select(Campaign.settings)):
        value = (settings or {}).get(RETENTION_SETTING)
        if value is not None:
            days.append(int(value))
    return max(days)
