"""The allies' public pages: the snippet builder and a partner's private statistics link."""
from flask import abort, current_app, render_template, request
from flask_babel import get_locale

from ..campaigns import find_campaign
from ..sharing import public_base
from ..views.embed import reserved_height
from . import bp, builder, partners, policy, statistics

# The builder frames the widget it previews (from this same service) and is framed by nobody.
BUILDER_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

# The statistics page: never cached, never framed, no referrer (its address is the secret).
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
}


@bp.after_app_request
def private_headers(response):
    # Every answer under the path, the 404 of a wrong or rotated token too.
    if request.path.startswith("/partners/stats/"):
        response.headers.update(PRIVATE_HEADERS)
    return response


@bp.get("/partners/stats/<token>")
def partner_stats(token):
    """What the partner's snippets and links brought, per campaign, day and own origin. A wrong,
    rotated or revoked token, or a disabled partner, is the same 404 as any unknown page."""
    partner = partners.by_stats_token(token)
    if partner is None:
        abort(404)
    return render_template(
        "allies/partner_stats.html", partner=partner, token=token, stats=statistics.partner_statistics(partner),
    )


@bp.get("/embed/<slug>/refusal")
def embed_refusal(slug):
    """For the loader: 204 when a page at ``?origin=`` may show the campaign's widgets, else
    the short explanation it shows instead (text, in ``?lang=``). Readable from any origin."""
    message = policy.refusal(slug, request.args.get("origin"))
    response = current_app.response_class(message or "", 200 if message else 204, mimetype="text/plain")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={policy.CACHE_SECONDS}"
    return response


@bp.get("/embed/<slug>")
def snippet_builder(slug):
    """The snippet builder: choose a widget, its language and your partner key (a GET form, so
    it works without JavaScript; ``builder.js`` updates it as you choose), see the real widget,
    copy the snippet. Nothing personal on it; revalidated like the campaign page."""
    campaign = find_campaign(slug)
    choice = builder.Choice.from_args(request.args)
    base = public_base()
    html = render_template(
        "allies/builder.html",
        campaign=campaign,
        text=campaign.text(str(get_locale())),
        choice=choice,
        kinds=builder.KINDS,
        titles=builder.TITLES,
        reserved={kind: (reserved_height(kind, "en"), reserved_height(kind, "ur")) for kind in builder.KINDS},
        compact=builder.compact_room(),
        base=base,
        script_snippet=builder.script_snippet(base, slug, choice),
        iframe_snippet=builder.iframe_snippet(base, slug, choice),
        preview_url=builder.iframe_url("", slug, choice),
    )
    return html, 200, {"Content-Security-Policy": BUILDER_CSP, "Cache-Control": "no-cache"}
