"""The allies' public pages: a partner's private statistics link (and, later, the builder)."""
from flask import abort, current_app, render_template, request

from . import bp, partners, policy, statistics

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
