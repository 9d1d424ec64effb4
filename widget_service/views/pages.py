"""Plain pages: the privacy notice and the health check."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("pages", __name__)


@bp.get("/privacy")
def privacy():
    config = current_app.config
    return render_template("privacy.html", captcha_on=bool(config["HCAPTCHA_SITEKEY"] and config["HCAPTCHA_SECRET"]))


@bp.get("/healthz")
def health():
    """Answers without touching the database or Redis: the load balancer's liveness probe."""
    return {"ok": True}
