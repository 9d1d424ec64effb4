"""The console's partners pages (admins): list and register partners, their origins, their
statistics link (rotate, revoke), their status. Every change is audited. They hang off the
console's blueprint, so its gate (sign-in, role, CSRF), headers and error pages apply."""
from flask import abort, redirect, render_template, request
from flask_babel import lazy_gettext as _l

from ..console import audit, bp
from ..console.auth import console_url, role_required
from ..errors import ValidationFailed
from ..extensions import db
from ..validation import partner_key
from . import partners, statistics
from .cli import stats_link
from .models import Partner

DONE = {
    "created": _l("The partner is registered. Add its origins and make its statistics link below."),
    "origin": _l("The origins are saved."),
    "revoked": _l("The statistics link is revoked: it no longer opens anything."),
    "status": _l("The status is saved."),
}


def _partner(key):
    if partner_key(key) != key:  # no partner can have it (a NUL, say, which PostgreSQL refuses)
        abort(404)
    partner = partners.find(key)
    if partner is None:
        abort(404)
    return partner


@bp.route("/partners", methods=["GET", "POST"])
@role_required("admin")
def partners_page():
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = request.form
        origins = [line for line in (form.get("origins") or "").split() if line]
        try:
            partner = partners.create(form.get("key"), form.get("name"), form.get("contact_email"), origins)
        except ValidationFailed as error:
            errors, status = error.errors, 422
        else:
            audit.record("partner.create", target=partner.key, details={"origins": origins}, commit=False)
            db.session.commit()
            return redirect(console_url("console.partner", key=partner.key, done="created"), 303)
    listed = partners.all_partners()
    brought = statistics.signatures_by_key()
    known = {partner.key for partner in listed}
    unknown = sorted((key, count) for key, count in brought.items() if key not in known)
    return render_template(
        "allies/console_partners.html", listed=listed, brought=brought, unknown=unknown, form=form, errors=errors,
    ), status


@bp.get("/partners/<key>")
@role_required("admin")
def partner(key):
    return _page(_partner(key))


def _page(partner, errors=None, status=200, new_link=None):
    return render_template(
        "allies/console_partner.html", partner=partner, errors=errors or {}, new_link=new_link,
        done=DONE.get(request.args.get("done")), stats=statistics.partner_statistics(partner),
    ), status


@bp.post("/partners/<key>/origins")
@role_required("admin")
def partner_origins(key):
    partner = _partner(key)
    origin = request.form.get("origin", "")
    if request.form.get("action") == "remove":
        if origin not in {row.origin for row in partner.origins}:  # nothing to remove, nothing to audit
            return _page(partner, {"origin": str(_l("The partner had no such origin: nothing changed."))}, 422)
        partners.remove_origin(partner, origin)
        action = "partner.origin_remove"
    else:
        try:
            origin = partners.allow_origin(partner, origin)
        except ValidationFailed as error:
            db.session.rollback()
            return _page(partner, error.errors, 422)
        action = "partner.origin_add"
    audit.record(action, target=partner.key, details={"origin": origin}, commit=False)
    db.session.commit()
    return redirect(console_url("console.partner", key=partner.key, done="origin"), 303)


@bp.post("/partners/<key>/stats-link")
@role_required("admin")
def partner_stats_link(key):
    partner = _partner(key)
    if request.form.get("action") == "revoke":
        partners.revoke_stats_link(partner)
        audit.record("partner.stats_link_revoke", target=partner.key, commit=False)
        db.session.commit()
        return redirect(console_url("console.partner", key=partner.key, done="revoked"), 303)
    token = partners.rotate_stats_link(partner)
    audit.record("partner.stats_link_rotate", target=partner.key, commit=False)
    db.session.commit()
    # Shown on this answer only (never in a redirect's address, which logs and history keep).
    return _page(partner, new_link=stats_link(token))


@bp.post("/partners/<key>/status")
@role_required("admin")
def partner_status(key):
    partner = _partner(key)
    status = request.form.get("status")
    if status not in Partner.STATUSES:
        return _page(partner, {"status": str(_l("Choose active or disabled."))}, 422)
    partners.set_status(partner, status)
    audit.record(f"partner.{'disable' if status == Partner.DISABLED else 'enable'}", target=partner.key, commit=False)
    db.session.commit()
    return redirect(console_url("console.partner", key=partner.key, done="status"), 303)
