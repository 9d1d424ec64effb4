"""Embed policy per campaign (``settings["embed"]``): ``open`` (any site may frame its widgets,
the default) or ``partners`` (only the registered origins of active partners).

Enforced by the widget pages' ``Content-Security-Policy: frame-ancestors``, rewritten here after
the core built it: the header depends on the campaign alone (never on the request), so a cached
widget page stays right for every visitor. The loader asks ``/embed/<slug>/refusal`` whether its
page may show the widget, and shows the answer's explanation instead of a blank frame.

The same policy decides which other sites' own forms may use the JSON API's forms (signatures,
coordinators, subscriptions and their form tokens) from the browser, with CORS. Flask-CORS takes
origins as a fixed list or pattern per path, not per campaign, so it keeps the static part (the
public summary and count, GET from anywhere) and ``cross_origin_form`` here decides per
campaign. CORS only says whether the page may read the answer: a browser sends a simple POST
anyway, so a refused origin is refused server-side too (403) before the view, and its limits,
runs. No credentials are ever allowed: the API reads no cookie.
"""
import logging

from flask import current_app, g, request
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from .. import captcha
from ..cache import TTLCache
from ..campaigns import find_campaign
from ..errors import CampaignNotFound, WidgetError
from ..kept_answers import depends_on, not_kept
from ..sharing import public_base
from ..validation import clean_origin
from .partners import embedding_origins

log = logging.getLogger(__name__)

OPEN = "open"
PARTNERS = "partners"
POLICIES = (OPEN, PARTNERS)
CACHE_SECONDS = 10  # how soon another instance sees a changed policy or partner origin

# The core's blueprints whose views answer under /widgets/ (``embed``'s counter badge among
# them), and those of the JSON API's forms.
WIDGET_BLUEPRINTS = ("widgets", "actions", "supporters", "donate", "embed")
API_BLUEPRINTS = ("api", "supporters_api")
# The API's form endpoints other sites' own forms may use (JSON, from their own script).
FORM_ENDPOINTS = frozenset({
    "api.create_signature", "api.form_token", "supporters_api.create_coordinator", "supporters_api.create_subscription",
})
PREFLIGHT_MAX_AGE = "600"  # a disabled partner's page is refused by the 403 below meanwhile


class OriginNotAllowed(WidgetError):
    status = 403
    code = "origin_not_allowed"
    message = _l("This campaign takes forms only from the websites of Minority Support Pakistan's partners.")


def allowed_origins(slug):
    """``None`` for an open campaign (or an unknown one), else the tuple of origins that may
    frame its widgets. Cached for ``CACHE_SECONDS`` per instance."""
    cache = current_app.extensions["msp_embed_policy"]
    hit = cache.get(slug)
    if hit is None:
        try:
            campaign = find_campaign(slug)
        except CampaignNotFound:
            return None
        hit = (tuple(embedding_origins()) if campaign.setting("embed", OPEN) == PARTNERS else None,)
        cache.set(slug, hit, CACHE_SECONDS)
    depends_on(cache, slug, hit)  # a widget page kept whole is right while the policy is
    return hit[0]


def set_policy(campaign, policy):
    campaign.settings = {**(campaign.settings or {}), "embed": policy}
    current_app.extensions["msp_embed_policy"].clear()


def frame_ancestors(response):
    """After a widget page's view: narrow a ``partners`` campaign's page to its allowed origins."""
    slug = (request.view_args or {}).get("slug")
    if not slug or not request.path.startswith("/widgets/"):
        return response
    csp = response.headers.get("Content-Security-Policy")
    if csp is None and response.mimetype == "text/html":
        # An error page (an unknown campaign, the database away): the core's headers hook gives
        # it the frameable pages' CSP, but a blueprint's hooks run before the app's, so here.
        csp = response.headers["Content-Security-Policy"] = captcha.page_csp(frameable=True)
    if csp is None or "frame-ancestors *" not in csp:
        return response
    try:
        origins = allowed_origins(slug)
    except SQLAlchemyError as error:
        # The database is away (the page is most likely its 503): refuse framing rather than
        # answer 500 or let a partners-only widget be framed anywhere.
        log.warning("embed policy unreadable: %s", error.__class__.__name__)
        origins = ()
        not_kept()
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


def cross_origin_form(slug, origin):
    """Whether a page at ``origin`` (another site than the service's) may use the campaign's
    forms through the API: any for an ``open`` campaign (and an unknown one, whose 404 it may
    read), else only an active partner's registered origin."""
    origins = allowed_origins(slug)
    return origins is None or clean_origin(origin) in origins


def same_site(origin):
    """The service's own pages (the widgets' script): the address the browser asked, or the
    public one. A browser never sends another page's origin with our host in it."""
    netloc = origin.partition("://")[2]
    return netloc.lower() == request.host.lower() or origin.lower() == clean_origin(public_base())


def form_cors_before():
    """Before the API's form views: answer a CORS preflight, refuse a refused origin's post."""
    origin = request.headers.get("Origin")
    if origin is None or request.endpoint not in FORM_ENDPOINTS or same_site(origin):
        return None
    allowed = cross_origin_form(request.view_args["slug"], origin)
    if request.method == "OPTIONS":
        if not allowed:
            raise OriginNotAllowed()
        response = current_app.response_class(status=204)
        response.headers.update({
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        })
        g.msp_cors_origin = origin
        return response
    if not allowed:
        raise OriginNotAllowed()
    g.msp_cors_origin = origin
    return None


def form_cors_after(response):
    """The CORS headers of an allowed origin's answer (an error too, so its page can say why)."""
    if request.endpoint in FORM_ENDPOINTS:
        response.vary.add("Origin")  # the answer depends on who asks
        origin = g.pop("msp_cors_origin", None)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    return response


def init_app(app):
    app.extensions["msp_embed_policy"] = TTLCache()
    # Hooks of the core's blueprints (registered by now), not of the app, so that no other
    # request runs them: Flask keeps a blueprint's hooks in these dicts, under its name.
    for blueprint in WIDGET_BLUEPRINTS:
        app.after_request_funcs.setdefault(blueprint, []).append(frame_ancestors)
    for blueprint in API_BLUEPRINTS:
        app.before_request_funcs.setdefault(blueprint, []).append(form_cors_before)
        app.after_request_funcs.setdefault(blueprint, []).append(form_cors_after)
