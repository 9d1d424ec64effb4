"""The iframe pages: GET /widgets/<campaign>/<kind>, and the no-JavaScript form post."""
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from ..campaigns import find_campaign
from ..counting import current_count
from ..errors import RATE_LIMITED, CampaignClosed, ValidationFailed, WidgetError, render_error
from .. import captcha, theme
from ..page_cache import shared_page
from ..protection import reissued_token
from ..ratelimits import protected_form
from ..signing import sign_petition
from ..validation import clean_origin, clean_ref, country_choices, country_codes

bp = Blueprint("widgets", __name__, url_prefix="/widgets")

KINDS = ("petition",)


def embedding(source, referrer=None):
    """The embedding page's origin and the partner's ref, as the loader passed them.

    A plain ``<iframe>`` snippet passes no origin; the page that framed it is then known from
    the Referer (browsers send the embedding page's origin by default), for attribution only.
    """
    origin = clean_origin(source.get("origin"))
    if origin is None and referrer:
        parts = urlsplit(referrer)
        framer = clean_origin(f"{parts.scheme}://{parts.netloc}")
        origin = framer if framer and framer != request.host_url.rstrip("/").lower() else None
    return {"host_origin": origin, "ref": clean_ref(source.get("ref"))[0]}


@lru_cache(maxsize=8)
def _country_options(lang, abroad):
    countries = country_choices(lang)
    pakistan = [] if abroad else [(code, label) for code, label in countries if code == "PK"]
    others = [(code, label) for code, label in countries if not (abroad and code == "PK")]
    return "".join(f'<option value="{code}">{escape(label)}</option>' for code, label in pakistan + others)


def country_options(lang, chosen="", abroad=False):
    """The country select's options in ``lang``, ``chosen`` selected: Pakistan first, or
    (``abroad``, for "outside Pakistan") left out. Rendered once per language: the widget page
    is read on every view, and 250 options through Jinja were the largest part of its
    rendering time."""
    options = _country_options(lang, abroad)
    if chosen in country_codes():
        options = options.replace(f'<option value="{chosen}">', f'<option value="{chosen}" selected>', 1)
    return Markup(options)


def render_widget(
    campaign, template, status=200, resent=None, form_kind="petition", shared=False, form_targets="", **context
):
    """An iframe page of ``campaign``: ``template`` with what every widget shows. Every widget
    kind (petition, actions, donate...) renders through here, so they share the frameable CSP
    and the captcha settings.

    A ``shared`` page (every first view, see ``shared_widget``) is the same for every visitor:
    its form has no token (the script asks for one when the supporter starts on the form) and
    ``page_cache`` sets how long it may be kept. Any other page answers a post: it is that
    visitor's own (``no-store``), with a form token for ``form_kind`` forms, one that keeps
    when ``resent`` (the posted form, shown again) was first shown.

    The ally's look and layout come from the address (``theme``): a themed page carries one
    ``<style>`` element, which its CSP allows by its hash; ``form_targets`` as ``page_csp``'s."""
    lang = str(get_locale())
    look = theme.Theme.from_args(request.args)
    theme_css = look.css()
    count = current_count(campaign.id)
    with_captcha = captcha.enabled(campaign)
    html = render_template(
        template,
        campaign=campaign,
        text=campaign.text(lang),
        lang=lang,
        count=count,
        country_options=country_options,
        form_token="" if shared else reissued_token(form_kind, resent),
        token_url=url_for("api.form_token", slug=campaign.slug, kind=form_kind),
        captcha_sitekey=current_app.config["HCAPTCHA_SITEKEY"] if with_captcha else None,
        captcha_script=current_app.config["HCAPTCHA_SCRIPT_URL"],
        theme_css=theme_css,
        theme_classes=look.classes(),
        layout=theme.layout(request.args),
        **context,
    )
    csp = captcha.page_csp(frameable=True, with_captcha=with_captcha, form_targets=form_targets)
    headers = {"Content-Security-Policy": theme.allow_style(csp, theme_css)}
    if not shared:
        headers["Cache-Control"] = "no-store"
    return html, status, headers


@bp.app_template_global("themed")
def themed(url):
    """``url`` (a page of the widget's own, in the same frame) keeping the look and layout this
    page was asked in, so a supporter moving from panel to form, or posting a form without
    JavaScript, stays in the ally's colours."""
    pairs = theme.Theme.from_args(request.args).query()
    if theme.layout(request.args) != "full":
        pairs.append(("layout", theme.layout(request.args)))
    if not pairs:
        return url
    url, hash_, fragment = url.partition("#")
    return url + ("&" if "?" in url else "?") + urlencode(pairs) + hash_ + fragment


def shared_widget(slug, render):
    """The first view of a widget of campaign ``slug``: ``render(campaign, context)`` (the
    embedding context of ``embedding``) as a page every visitor shares (``page_cache``)."""
    from_referrer = clean_origin(request.args.get("origin")) is None
    context = embedding(request.args, request.referrer)
    return shared_page(
        slug, lambda campaign: render(campaign, context),
        referrer_origin=context["host_origin"] if from_referrer else None, referrer_used=from_referrer,
    )


@bp.get("/<slug>/<kind>")
def widget(slug, kind):
    """The petition page; other kinds register their own ``/widgets/<slug>/<kind>`` routes
    (a fixed path segment wins over ``<kind>``), so an unknown kind is a 404 here."""
    if kind not in KINDS:
        find_campaign(slug)  # an unknown campaign says so first
        abort(404)
    return shared_widget(
        slug, lambda campaign, context: render_widget(
            campaign, "widget/petition.html", shared=True, form={}, errors={}, **context
        ),
    )


def refused(error):
    """How a widget's no-JS form shows a post it refused: ``(status, what the page shows)``,
    for ``ValidationFailed``, a closed campaign, ``FormExpired`` and any other ``WidgetError``
    (a failed captcha, Stripe away). Every widget form answers its own post through this."""
    if isinstance(error, ValidationFailed):
        return 422, {"errors": error.errors}
    if isinstance(error, CampaignClosed):
        return 409, {"closed": True, "notice": str(error.message)}
    return error.status, {"notice": str(error.message)}


@bp.post("/<slug>/petition")
@protected_form("petition")
def sign_without_js(slug):
    """The form's own post, for supporters whose browser runs no JavaScript."""
    campaign = find_campaign(slug)
    form = request.form.to_dict()
    context = embedding(form)
    meta = {"ip": request.remote_addr, "origin": context["host_origin"], "widget": True}

    def again(status, errors=None, **extra):
        # The form comes back filled in, its new token counting from when it was first shown.
        return render_widget(
            campaign, "widget/petition.html", status, resent=form, form=form,
            errors=errors or {}, **extra, **context,
        )

    try:
        sign_petition(campaign, form, meta)
    except WidgetError as error:
        status, shown = refused(error)
        return again(status, **shown)
    return render_widget(campaign, "widget/thanks.html", **context)


def flooded(again):
    """The answer to a widget form post refused by a rate limit (429): ``again(campaign, form,
    context)`` shows the form once more, filled in, with the message; a plain 429 page when
    that cannot be done (an unknown campaign, a body too large to read, the database away)."""
    try:
        form = request.form.to_dict()  # read first: the page is in the form's language
        campaign = find_campaign(request.view_args["slug"])
        return again(campaign, form, embedding(form))
    except Exception:
        return render_error(429, "rate_limited", str(RATE_LIMITED))


@bp.errorhandler(429)
def sign_without_js_rate_limited(error):
    """A flood from this address: the form comes back filled in, with a message, in the frame."""
    return flooded(lambda campaign, form, context: render_widget(
        campaign, "widget/petition.html", 429, resent=form, form=form, errors={},
        notice=str(RATE_LIMITED), **context,
    ))
