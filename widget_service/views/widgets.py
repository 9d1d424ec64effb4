"""The iframe pages: GET /widgets/<campaign>/<kind>, and the no-JavaScript form post."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale

from ..campaigns import find_campaign
from ..counting import current_count
from ..errors import CampaignClosed, ValidationFailed
from ..signing import sign_petition
from ..validation import clean_origin, clean_ref, country_choices

bp = Blueprint("widgets", __name__, url_prefix="/widgets")

KINDS = ("petition",)

# Any site may frame a widget; everything else about the page stays locked to this origin.
WIDGET_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors *"
)


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


def render_widget(campaign, template, status=200, **context):
    lang = str(get_locale())
    count = current_count(campaign.id)
    response = render_template(
        template,
        campaign=campaign,
        text=campaign.text(lang),
        lang=lang,
        count=count,
        percent=min(100, round(100 * count / campaign.goal)) if campaign.goal else 0,
        countries=country_choices(lang),
        **context,
    ), status, {"Content-Security-Policy": WIDGET_CSP, "Cache-Control": "no-store"}
    return response


@bp.get("/<slug>/<kind>")
def widget(slug, kind):
    campaign = find_campaign(slug)
    if kind not in KINDS:
        abort(404)
    return render_widget(
        campaign, "widget/petition.html", form={}, errors={}, **embedding(request.args, request.referrer)
    )


@bp.post("/<slug>/petition")
def sign_without_js(slug):
    """The form's own post, for supporters whose browser runs no JavaScript."""
    campaign = find_campaign(slug)
    form = request.form.to_dict()
    context = embedding(form)
    try:
        sign_petition(campaign, form, {"ip": request.remote_addr, "origin": context["host_origin"]})
    except ValidationFailed as failed:
        return render_widget(campaign, "widget/petition.html", 422, form=form, errors=failed.errors, **context)
    except CampaignClosed:
        return render_widget(campaign, "widget/petition.html", 409, form=form, errors={}, closed=True, **context)
    return render_widget(campaign, "widget/thanks.html", **context)
