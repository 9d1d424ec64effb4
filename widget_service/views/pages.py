"""Plain pages: the service's front page, its icon, the privacy notice and the health check."""
import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..campaigns import longest_period
from ..extensions import db
from ..models import Campaign
from ..sharing import campaign_url

bp = Blueprint("pages", __name__)

FRONT_PAGE_CAMPAIGNS = 20  # a short page: MSP runs a handful of campaigns at a time
ICON_CACHE = "public, max-age=604800"


@bp.get("/")
def front():
    """What a person who opens the service's own address finds: its open campaigns, each
    linked to its public page (on ``make run``, the demo campaign), instead of a 404."""
    lang = str(get_locale())
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.status == Campaign.OPEN).options(selectinload(Campaign.texts))
        .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(FRONT_PAGE_CAMPAIGNS)
    ).all()
    listed = [
        {"title": campaign.text(lang).title, "url": campaign_url(campaign.slug, lang)}
        for campaign in campaigns if campaign.is_open() and campaign.texts
    ]
    html = render_template("front.html", campaigns=listed, lang=lang)
    return html, 200, {"Cache-Control": "public, max-age=60", "Vary": "Accept-Language"}


@bp.record_once
def load_icon(state):
    # Read once at start-up, like the loader: every request serves the same few bytes.
    icon = (Path(state.app.static_folder) / "favicon.ico").read_bytes()
    state.app.extensions["msp_icon"] = icon, hashlib.sha256(icon).hexdigest()[:16]


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask every site for this; a small icon instead of a 404 in every log."""
    icon, etag = current_app.extensions["msp_icon"]
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    response.set_etag(etag)
    response.headers["Cache-Control"] = ICON_CACHE
    return response.make_conditional(request)


@bp.get("/privacy")
def privacy():
    config = current_app.config
    return render_template(
        "privacy.html", captcha_on=bool(config["HCAPTCHA_SITEKEY"] and config["HCAPTCHA_SECRET"]),
        days=longest_period(),  # a promise true of every campaign
    )


@bp.get("/healthz")
def health():
    """Answers without touching the database or Redis: the load balancer's liveness probe."""
    return {"ok": True}
