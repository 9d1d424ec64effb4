"""The audit log, for admins, newest first, fifty to a page."""
from flask import render_template, request

from . import audit, bp
from .auth import role_required


@bp.get("/audit")
@role_required("admin")
def audit_log():
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() and len(number) < 9 else 1
    entries, number, pages = audit.page(number)
    return render_template("console/audit.html", entries=entries, page=number, pages=pages)
