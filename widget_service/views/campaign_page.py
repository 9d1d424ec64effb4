"""The public campaign page that shares point to, GET /c/<slug>, its share image, and the
campaign's report and kit."""
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .. import attachments, cards
from ..campaigns import find_campaign
from ..counting import current_count
from ..errors import render_error
from ..models import CampaignFile
from ..page_cache import shared_page
from ..ratelimits import rate_limited
from ..sharing import campaign_url, public_base
from ..validation import LANGUAGES, clean_origin, clean_ref

bp = Blueprint("campaign_page", __name__, url_prefix="/c")

# The page itself is not framed; it frames the petition widget from this same service.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
OG_LOCALES = {"en": "en_GB", "ur": "ur_PK"}
IMAGE_EXTENSIONS = {"png": attachments.PNG, "jpg": attachments.JPEG}
# Revalidated on every use, so each open of the report or kit reaches us once and is counted;
# a copy the reader's browser already has costs a 304.
FILE_CACHE = "public, no-cache"
IMAGE_CACHE = "public, max-age=86400"
DOWNLOADS_LIMITED = _l("Too many downloads from your network just now. Please try again in a minute.")


def share_image(campaign, files, lang="en"):
    """``(extension, content_type, etag, (width, height), card language)`` of the campaign's
    share image among ``files``: attached (one for every language), else a card generated in
    the page's language where it can be drawn. The size is None when ``files`` does not know it."""
    stored = files.get(CampaignFile.IMAGE)
    if stored is not None:
        extension = "jpg" if stored.content_type == attachments.JPEG else "png"
        size = (stored.width, stored.height) if stored.width else None
        return extension, stored.content_type, stored.sha256[:32], size, None
    drawn_in = cards.card_language(lang)
    etag = cards.card_etag(cards.card_title(campaign, drawn_in), drawn_in)
    return "png", attachments.PNG, etag, (cards.WIDTH, cards.HEIGHT), drawn_in


def own_origin():
    """The origin this page is served on, as a browser on it sees it."""
    return clean_origin(public_base())


@bp.app_template_global("framed_by_own_page")
def framed_by_own_page(host_origin):
    """Whether a widget is framed by one of the service's own pages (the campaign page), which
    show the campaign's title, summary and count themselves: the widget then shows only its
    form. The loader passes the framing page's origin; an ally's page never has ours."""
    return bool(host_origin) and host_origin in {own_origin(), clean_origin(request.host_url.rstrip("/"))}


@bp.get("/<slug>")
def show(slug):
    """The page every reader of the address shares (``page_cache``): nothing in it is theirs."""
    return shared_page(slug, render_page)


def render_page(campaign):
    slug = campaign.slug
    lang = str(get_locale())
    ref = clean_ref(request.args.get("ref"))[0]
    extension, image_type, image_etag, image_size, card_lang = share_image(
        campaign, attachments.offered_files(campaign.id), lang
    )
    # The card's language is in its address (not taken from the reader's Accept-Language), so
    # an address always names the same image and caches need no Vary.
    card_query = {"lang": card_lang} if card_lang and card_lang != "en" else {}
    image_url = public_base() + url_for(".card", slug=slug, extension=extension, v=image_etag[:12], **card_query)
    html = render_template(
        "campaign.html",
        campaign=campaign,
        text=campaign.text(lang),
        lang=lang,
        ref=ref,
        host_origin=None,
        own_origin=own_origin(),
        panel="page",
        count=current_count(campaign.id),
        offered=attachments.available(campaign),
        canonical=campaign_url(slug, lang),
        # A preview's link keeps the ref it was shared with, so signatures from it are credited.
        og_url=campaign_url(slug, lang, ref),
        og_locale=OG_LOCALES.get(lang, "en_GB"),
        og_alternates=[OG_LOCALES[other] for other in campaign.languages if other != lang and other in OG_LOCALES],
        alternates={other: campaign_url(slug, other) for other in campaign.languages},
        image_url=image_url,
        image_type=image_type,
        image_size=image_size,
    )
    return html, 200, {"Content-Security-Policy": PAGE_CSP}


@bp.get("/<slug>/card.<extension>")
def card(slug, extension):
    """The share image: what MSP attached, else a card drawn from the title in ``?lang``."""
    campaign = find_campaign(slug)
    files = attachments.stored_files(campaign.id)
    lang = request.args.get("lang")
    _, content_type, etag, _, card_lang = share_image(campaign, files, lang if lang in LANGUAGES else "en")
    if IMAGE_EXTENSIONS.get(extension) != content_type:
        abort(404)
    if etag in request.if_none_match:  # answered before reading any bytes
        return _not_modified(etag, IMAGE_CACHE)
    if CampaignFile.IMAGE in files:
        stored = attachments.file_with_data(campaign.id, CampaignFile.IMAGE)
        if stored is None:  # removed since we looked
            abort(404)
        data = stored.data
    else:
        data = cards.card_png(cards.card_title(campaign, card_lang), card_lang)
    response = Response(data, mimetype=content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = IMAGE_CACHE
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/<slug>/<any(report, kit):kind>")
@rate_limited("RATELIMIT_DOWNLOADS")
def download(slug, kind):
    """The report (shown in the browser) or kit (saved), or a redirect to where it is linked.
    Every GET that sends it, or sends the reader on, adds one to the day's count; the per-IP
    limit keeps a loop of requests from inflating the count or loading the database."""
    campaign = find_campaign(slug)
    counted = request.method == "GET"
    stored = attachments.stored_files(campaign.id).get(kind)
    if stored is None:
        link = getattr(campaign, f"{kind}_url")
        if not link:
            abort(404)
        if counted:
            attachments.count_download(campaign.id, kind)
        response = redirect(link, 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    if stored.sha256 in request.if_none_match:
        return _not_modified(stored.sha256, FILE_CACHE)
    stored = attachments.file_with_data(campaign.id, kind)
    if stored is None:  # removed since we looked
        abort(404)
    if counted:
        attachments.count_download(campaign.id, kind)
    response = Response(stored.data, mimetype=stored.content_type)
    disposition = "inline" if kind == CampaignFile.REPORT else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stored.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = FILE_CACHE
    response.set_etag(stored.sha256)
    return response


@bp.errorhandler(429)
def downloads_limited(error):
    return render_error(429, "rate_limited", str(DOWNLOADS_LIMITED))


def _not_modified(etag, cache_control):
    response = Response(status=304)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response
