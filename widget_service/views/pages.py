"""Plain pages: the privacy notice and the health check."""
from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/privacy")
def privacy():
    return render_template("privacy.html")


@bp.get("/healthz")
def health():
    """Answers without touching the database or Redis: the load balancer's liveness probe."""
    return {"ok": True}
