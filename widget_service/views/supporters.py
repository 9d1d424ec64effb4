"""The coordinator and notify-me widgets: iframe pages, their no-JavaScript posts, their JSON API.

``/widgets/<slug>/coordinator`` and ``/widgets/<slug>/notify`` have fixed last segments, so they
win over the petition blueprint's ``/widgets/<slug>/<kind>``.
"""
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from ..campaigns import find_campaign
from ..coordinators import enlist_coordinator
from ..errors import RATE_LIMITED, WidgetError
from ..protection import RESEND_ERRORS, reissued_token
from ..ratelimits import protected_form
from ..subscriptions import subscribe
from ..supporter_validation import PAKISTAN_REGIONS
from .api import json_body, signature_meta
from .widgets import embedding, flooded, refused, render_widget, shared_widget

bp = Blueprint("supporters", __name__, url_prefix="/widgets")
api_bp = Blueprint("supporters_api", __name__, url_prefix="/api/v1")

# kind -> (template, service, the order of its fields on the page: the first wrong one is focused)
FORMS = {
    "coordinator": ("widget/coordinator.html", enlist_coordinator, ("name", "email", "phone", "region", "country", "note")),
    "notify": ("widget/notify.html", subscribe, ("email", "name", "email_lang")),
}


def render_form(kind, campaign, status=200, form=None, errors=None, resent=None, shared=False, **context):
    template, _service, order = FORMS[kind]
    errors = errors or {}
    return render_widget(
        campaign, template, status, resent=resent, form_kind=kind, shared=shared, form=form or {}, errors=errors,
        first_error=next((field for field in order if field in errors), None), regions=PAKISTAN_REGIONS.items(),
        **context,
    )


def show(kind, slug):
    return shared_widget(slug, lambda campaign, context: render_form(kind, campaign, shared=True, **context))


def post_without_js(kind, slug):
    """A form's own post, for supporters whose browser runs no JavaScript."""
    campaign = find_campaign(slug)
    form = request.form.to_dict()
    context = embedding(form)
    meta = {"ip": request.remote_addr, "origin": context["host_origin"], "widget": True}

    def again(status, **extra):
        # Back filled in, its new token counting from when it was first shown (see widgets.py).
        return render_form(kind, campaign, status, form=form, resent=form, **extra, **context)

    try:
        FORMS[kind][1](campaign, form, meta)
    except WidgetError as error:
        status, shown = refused(error)
        return again(status, **shown)
    return render_form(kind, campaign, done=True, **context)


@bp.get("/<slug>/coordinator")
def coordinator(slug):
    return show("coordinator", slug)


@bp.post("/<slug>/coordinator")
@protected_form("coordinator")
def coordinator_without_js(slug):
    return post_without_js("coordinator", slug)


@bp.get("/<slug>/notify")
def notify(slug):
    return show("notify", slug)


@bp.post("/<slug>/notify")
@protected_form("notify")
def notify_without_js(slug):
    return post_without_js("notify", slug)


@bp.errorhandler(429)
def rate_limited(error):
    """A flood from this address: the form comes back filled in, with a message, in the frame."""
    kind = request.path.rstrip("/").rsplit("/", 1)[-1]
    return flooded(lambda campaign, form, context: render_form(
        kind, campaign, 429, form=form, resent=form, notice=str(RATE_LIMITED), **context,
    ))


def accept_json(kind, slug, thanks):
    campaign = find_campaign(slug)
    data = json_body()
    try:
        FORMS[kind][1](campaign, data, signature_meta(data.get("origin")))
    except RESEND_ERRORS as error:
        # The widget keeps what was typed and sends again with this new token.
        body = {"error": error.code, "message": str(error.message), "form_token": reissued_token(kind, data)}
        return jsonify(body), error.status
    # The same answer whether this mailbox had sent the form before or not.
    return jsonify({"ok": True, "message": thanks}), 202


@api_bp.post("/campaigns/<slug>/coordinators")
@protected_form("coordinator")
def create_coordinator(slug):
    return accept_json("coordinator", slug, _("Thank you for offering to coordinate! MSP will contact you."))


@api_bp.post("/campaigns/<slug>/subscriptions")
@protected_form("notify")
def create_subscription(slug):
    return accept_json("notify", slug, _("You will hear about more actions. Every email will carry a link to unsubscribe."))
