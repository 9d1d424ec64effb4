"""The JSON API: /api/v1/..."""
import hashlib
import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from flask_babel import get_locale, gettext as _

from ..campaigns import campaign_ref, find_campaign, public_summary
from ..counting import current_count
from ..errors import MalformedRequest, UnsupportedMediaType
from ..protection import RESEND_ERRORS, form_token as new_form_token, reissued_token
from ..ratelimits import protected_form
from ..signing import sign_petition

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The API's description, kept by hand beside the code as its source of truth (tests check every
# route and real answers against it), read once per process.
OPENAPI = (Path(__file__).resolve().parent.parent / "openapi.json").read_bytes()
OPENAPI_ETAG = hashlib.sha256(OPENAPI).hexdigest()[:16]


def json_body():
    """The request's JSON object, or the error that says why there is none."""
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        data = json.loads(request.get_data())
    except (ValueError, RecursionError):
        # ValueError covers bad syntax and bad UTF-8; RecursionError, absurdly deep nesting.
        raise MalformedRequest() from None
    if not isinstance(data, dict):
        raise MalformedRequest(_("The request body must be a JSON object."))
    return data


def signature_meta(origin=None):
    """What the request says about the signer (never stored raw). ``origin`` is the embedding
    page's, as the widget (or an ally's own form) passed it; the widget's request carries the
    service's own Origin header (its script posts from the iframe), so that is no attribution."""
    return {"ip": request.remote_addr, "origin": origin}


def thanks_body():
    return {"ok": True, "message": _("Thank you. Your signature has been received.")}


@bp.get("/campaigns/<slug>")
def campaign_summary(slug):
    campaign = find_campaign(slug)
    response = jsonify(public_summary(campaign, str(get_locale())))
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['COUNT_CACHE_SECONDS']}"
    response.vary.add("Accept-Language")
    return response


@bp.get("/campaigns/<slug>/count")
def campaign_count(slug):
    """The hottest read of all (every widget view): two numbers, their ETag made from the
    numbers themselves rather than by hashing the body, and a 304 when the reader has them."""
    campaign = campaign_ref(slug)
    signatures = current_count(campaign.id)
    tag = f"count1-{campaign.id}-{signatures}-{campaign.goal}"  # count1: this body's format
    headers = {"Cache-Control": f"public, max-age={current_app.config['COUNT_CACHE_SECONDS']}", "ETag": f'"{tag}"'}
    if request.if_none_match.contains_weak(tag):
        return current_app.response_class(status=304, headers=headers)
    body = json.dumps({"signatures": signatures, "goal": campaign.goal})
    return current_app.response_class(body, mimetype="application/json", headers=headers)


@bp.post("/campaigns/<slug>/form-tokens/<any(petition, coordinator, notify, donate):kind>")
@protected_form("form-token")
def form_token(slug, kind):
    """A fresh form token for a ``kind`` form of the campaign, asked for by the widget's script
    when the supporter starts on the form: the widget pages carry none, so every visitor gets
    the same page. The token is that supporter's own: never kept by any cache. Limited per
    client like the forms (in buckets of its own, so fetching a token costs no form)."""
    campaign_ref(slug)  # an unknown campaign is a 404; cached, so no query on the hot path
    response = jsonify({"form_token": new_form_token(kind)})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/campaigns/<slug>/signatures")
@protected_form("petition")
def create_signature(slug):
    campaign = campaign_ref(slug)  # no query on the hot path
    data = json_body()
    try:
        sign_petition(campaign, data, signature_meta(data.get("origin")))
    except RESEND_ERRORS as error:
        # The widget keeps what was typed and sends again with this new token.
        body = {"error": error.code, "message": str(error.message), "form_token": reissued_token("petition", data)}
        return jsonify(body), error.status
    # The same answer whether this mailbox had signed before or not.
    return jsonify(thanks_body()), 202


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document of this API: cacheable, and readable from any origin."""
    response = current_app.response_class(OPENAPI, mimetype="application/json")
    response.headers.update({"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"})
    response.set_etag(OPENAPI_ETAG)
    return response.make_conditional(request)
