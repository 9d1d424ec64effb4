"""The take-action panel: shown after signing, and on its own at GET /widgets/<slug>/actions."""
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from .. import attachments
from ..sharing import campaign_url, public_base, share_links, share_ref, share_text
from .widgets import render_widget, shared_widget

bp = Blueprint("actions", __name__, url_prefix="/widgets")


@bp.get("/<slug>/actions")
def actions(slug):
    return shared_widget(slug, lambda campaign, context: render_widget(campaign, "widget/actions.html", shared=True, **context))


# Where the panel that a supporter left was: "actions" (in a widget frame: the panel on its
# own, or the petition's thank-you) or "page" (the campaign page). Carried as ``?back=`` (and
# in the forms, so it outlives a post) so the widget they chose can lead back to it.
PANELS = ("actions", "page")


def frame_link(slug, kind, lang, host_origin, ref, back=None, fragment=""):
    """Another widget of the campaign, opened in the same frame: it keeps the language, the
    embedding page's origin (for resizing and attribution) and the partner's ref."""
    pairs = (("lang", lang), ("origin", host_origin), ("ref", ref), ("back", back))
    query = urlencode({key: value for key, value in pairs if value})
    return f"/widgets/{quote(slug)}/{kind}" + (f"?{query}" if query else "") + fragment


@bp.app_template_global("back_to_panel")
def back_to_panel(campaign, kind, lang, ref=None, host_origin=None):
    """``(panel, href)`` of the way back to the take-action panel a supporter chose ``kind``
    from (the link they chose is focused there), or None when they came some other way."""
    panel = request.values.get("back")
    if panel not in PANELS:
        return None
    fragment = f"#act-{kind}"
    if panel == "page":
        query = {key: value for key, value in (("lang", lang if lang != "en" else None), ("ref", ref)) if value}
        return panel, url_for("campaign_page.show", slug=campaign.slug, **query) + fragment
    return panel, frame_link(campaign.slug, "actions", lang, host_origin, ref, fragment=fragment)


@bp.app_template_global("take_action")
def take_action(campaign, lang, ref=None, host_origin=None, panel="actions"):
    """What the panel (``widget/_actions.html``) offers for ``campaign``, in ``lang``; the
    widgets it leads to offer a way back to it (``panel``: where it is, in ``PANELS``)."""
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
        # Each opens at its heading (scrolled into view and focused, without JavaScript too).
        coordinator=frame_link(slug, "coordinator", lang, host_origin, ref, panel, "#title"),
        notify=frame_link(slug, "notify", lang, host_origin, ref, panel, "#title"),
        donate=frame_link(slug, "donate", lang, host_origin, ref, panel, "#title"),
    )
