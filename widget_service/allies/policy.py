"""Embed policy per campaign (``settings["embed"]``): ``open`` (any site may frame its widgets,
the default) or ``partners`` (only the registered origins of active partners).

Enforced by the widget pages' ``Content-Security-Policy: frame-ancestors``, rewritten here after
the core built it: the header depends on the campaign alone (never on the request), so a cached
widget page stays right for every visitor. The loader asks ``/embed/<slug>/refusal`` whether its
page may show the widget, and shows the answer's explanation instead of a blank frame.
"""
import logging

from flask import current_app, request
from sqlalchemy.exc import SQLAlchemyError
from flask_babel import gettext as _

from ..cache import TTLCache
from ..campaigns import find_campaign
from ..errors import CampaignNotFound
from ..sharing import public_base
from ..validation import clean_origin
from .partners import embedding_origins

log = logging.getLogger(__name__)

OPEN = "open"
PARTNERS = "partners"
POLICIES = (OPEN, PARTNERS)
CACHE_SECONDS = 10  # how soon another instance sees a changed policy or partner origin


def allowed_origins(slug):
    """``None`` for an open campaign (or an unknown one), else the tuple of origins that may
    frame its widgets. Cached for ``CACHE_SECONDS`` per instance."""
    cache = current_app.extensions["msp_embed_policy"]
    hit = cache.get(slug)
    if hit is not None:
        return hit[0]
    try:
        campaign = find_campaign(slug)
    except CampaignNotFound:
        return None
    origins = tuple(embedding_origins()) if campaign.setting("embed", OPEN) == PARTNERS else None
    cache.set(slug, (origins,), CACHE_SECONDS)
    return origins


def set_policy(campaign, policy):
    campaign.settings = {**(campaign.settings or {}), "embed": policy}
    current_app.extensions["msp_embed_policy"].clear()


def frame_ancestors(response):
    """After every request: narrow a ``partners`` campaign's widget page to its allowed origins."""
    csp = response.headers.get("Content-Security-Policy", "")
    slug = (request.view_args or {}).get("slug")
    if not slug or not request.path.startswith("/widgets/") or "frame-ancestors *" not in csp:
        return response
    try:
        origins = allowed_origins(slug)
    except SQLAlchemyError as error:
        # The database is away (the page is most likely its 503): refuse framing rather than
        # answer 500 or let a partners-only widget be framed anywhere.
        log.warning("embed policy unreadable: %s", error.__class__.__name__)
        origins = ()
    if origins is not None:
        # 'self': the service's own pages (the campaign page, the snippet builder's preview).
        response.headers["Content-Security-Policy"] = csp.replace(
            "frame-ancestors *", " ".join(("frame-ancestors 'self'", *origins))
        )
    return response


def refusal(slug, origin):
    """The explanation a page at ``origin`` shows instead of the campaign's widget, or None
    when it may show the widget."""
    origins = allowed_origins(slug)
    origin = clean_origin(origin)
    if origins is None or (origin is not None and (origin in origins or origin == clean_origin(public_base()))):
        return None
    contact = current_app.config["PRIVACY_CONTACT"] or "Minority Support Pakistan"
    return _(
        "This campaign's widget can be shown only on the websites of Minority Support Pakistan's "
        "partners. To show it here, write to %(contact)s.", contact=contact,
    )


def init_app(app):
    app.extensions["msp_embed_policy"] = TTLCache()
    app.after_request(frame_ancestors)
