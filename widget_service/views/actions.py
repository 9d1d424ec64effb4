"""The take-action panel: shown after signing, and on its own at GET /widgets/<slug>/actions."""
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from .. import attachments
from ..campaigns import find_campaign
from ..sharing import campaign_url, public_base, share_links, share_ref, share_text
from .widgets import embedding, render_widget

bp = Blueprint("actions", __name__, url_prefix="/widgets")


@bp.get("/<slug>/actions")
def actions(slug):
    campaign = find_campaign(slug)
    return render_widget(campaign, "widget/actions.html", **embedding(request.args, request.referrer))


def frame_link(slug, kind, lang, host_origin, ref):
    """Another widget of the campaign, opened in the same frame: it keeps the language, the
    embedding page's origin (for resizing and attribution) and the partner's ref."""
    query = urlencode({key: value for key, value in (("lang", lang), ("origin", host_origin), ("ref", ref)) if value})
    return f"/widgets/{quote(slug)}/{kind}" + (f"?{query}" if query else "")


@bp.app_template_global("take_action")
def take_action(campaign, lang, ref=None, host_origin=None):
    """What the panel (``widget/_actions.html``) offers for ``campaign``, in ``lang``."""
    slug, title = campaign.slug, campaign.text(lang).title
    offered = attachments.available(campaign)
    report = url_for("campaign_page.download", slug=slug, kind="report") if "report" in offered else None
    report_share = None
    if report:
        message = _("Read the report “%(title)s”:", title=title)
        report_share = "https://wa.me/?text=" + quote(f"{message} {public_base()}{report}", safe="")
    return SimpleNamespace(
        is_open=campaign.is_open(),
        title=title,
        share=share_links(slug, title, lang, ref),
        share_text=share_text(title),
        copy_url=campaign_url(slug, lang, share_ref(ref, "link")),
        native_url=campaign_url(slug, lang, share_ref(ref, "share")),
        report=report,
        report_share=report_share,
        kit=url_for("campaign_page.download", slug=slug, kind="kit") if "kit" in offered else None,
        coordinator=frame_link(slug, "coordinator", lang, host_origin, ref),
        notify=frame_link(slug, "notify", lang, host_origin, ref),
        donate=frame_link(slug, "donate", lang, host_origin, ref),
    )
