"""The pages behind the links of confirmation mails: confirm, and "this was not me".

``GET`` shows the row's page with a button; only the ``POST`` of that button acts (mail scanners
and link previews fetch links). A broken, forged or stale link (its row confirmed away,
disowned or expired) gets a page that says so and changes nothing. The pages are private like
the unsubscribe pages: not cached, not framed, no referrer, no cookie.
"""
from flask import Blueprint

from ..extensions import db
from ..models import Campaign
from ..views.unsubscribe import masked, page
from . import tokens

bp = Blueprint("mail", __name__, template_folder="templates")

# tag -> (confirm, disown, is_pending): each kind of row registers its own (signatures, offers)
ACTIONS = {}
TEMPLATE = "mail/confirm_page.html"


def _page(value, action=None, mode="confirm"):
    found = tokens.find(value)
    if found is None:
        return page(TEMPLATE, 404, problem=True)
    tag, row = found
    confirm, disown, is_pending = ACTIONS[tag]
    campaign = db.session.get(Campaign, row.campaign_id)
    context = dict(tag=tag, mode=mode, email=masked(row.email), name=row.name, lang=row.lang,
                   title=campaign.text(row.lang).title, slug=campaign.slug)
    if action == "confirm":
        confirm(row)
        context["done"] = True
    elif action == "disown":
        context["done"] = True
        context["deleted"] = disown(row)
    else:
        context["pending"] = is_pending(row)
    return page(TEMPLATE, **context)


@bp.get("/supporters/confirm/<path:value>")
def confirm_page(value):
    return _page(value)


@bp.post("/supporters/confirm/<path:value>")
def confirm_now(value):
    return _page(value, "confirm")


@bp.get("/supporters/not-me/<path:value>")
def not_me_page(value):
    return _page(value, mode="not-me")


@bp.post("/supporters/not-me/<path:value>")
def not_me_now(value):
    return _page(value, "disown", mode="not-me")
