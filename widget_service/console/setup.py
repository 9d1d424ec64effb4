"""Setting up an account from the link ``flask staff create`` printed: a password, an
authenticator app (TOTP, the QR code drawn here as SVG, the secret also as text), then the
one-time recovery codes. The person is signed in at the end."""
import segno
from flask import render_template, request, session
from flask_babel import gettext as _
from flask_login import login_user
from markupsafe import Markup

from ..extensions import db
from . import accounts, audit, bp
from .auth import console_url, public, redirect_to
from .models import Staff

PASSWORD_PROBLEMS = {
    "short": lambda: _("Choose a password of at least %(n)s characters.", n=accounts.MIN_PASSWORD_LENGTH),
    "long": lambda: _("That password is too long."),
    "mismatch": lambda: _("The two passwords are not the same."),
}


def _link_invalid():
    message = _("This set-up link is not valid any more: it was used, replaced, or is more than a day old. Ask an administrator for a new one.")
    return render_template("console/error.html", status=404, message=message), 404


def _setting_up():
    """The account this session is setting up, while its link is still the current one."""
    staff_id, token_hash = session.get("setup_staff"), session.get("setup_token_hash")
    if staff_id is None:
        return None
    staff = db.session.get(Staff, staff_id)
    if staff is None or staff.setup_token_hash != token_hash or staff.state != Staff.PENDING:
        return None
    if staff.setup_expires_at is None or accounts.utcnow() > staff.setup_expires_at:
        return None
    return staff


@bp.get("/setup")
@public
def setup_start():
    """The link itself: remember the account in this session, then drop the token from the
    address bar (and from history) by redirecting."""
    token = request.args.get("token")
    if token is not None:
        staff = accounts.staff_for_setup(token)
        if staff is None:
            return _link_invalid()
        session.clear()
        session.rotate()  # a new id: one planted in this browser before the link must not inherit it
        session["setup_staff"] = staff.id
        session["setup_token_hash"] = staff.setup_token_hash
        return redirect_to("console.setup_password")
    if _setting_up() is None:
        return _link_invalid()
    return redirect_to("console.setup_password")


@bp.route("/setup/password", methods=["GET", "POST"])
@public
def setup_password():
    staff = _setting_up()
    if staff is None:
        return _link_invalid()
    if request.method == "GET":
        return render_template("console/setup_password.html", account=staff)
    password = request.form.get("password", "")
    problem = accounts.password_problem(password, request.form.get("confirm", ""))
    if problem:
        return render_template("console/setup_password.html", account=staff, error=PASSWORD_PROBLEMS[problem]()), 422
    accounts.set_password(staff, password)
    audit.record("staff.setup_password", target=staff.email, who=staff.email, commit=False)
    db.session.commit()
    return redirect_to("console.setup_authenticator")


def _qr_svg(uri):
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", title=_("QR code for your authenticator app"))
    return Markup(svg)


@bp.route("/setup/authenticator", methods=["GET", "POST"])
@public
def setup_authenticator():
    staff = _setting_up()
    if staff is None:
        return _link_invalid()
    if not staff.password_hash:
        return redirect_to("console.setup_password")
    secret = accounts.totp_secret(staff)
    if secret is None:
        secret = accounts.new_totp_secret()
        accounts.store_totp_secret(staff, secret)
        db.session.commit()
    page = {"account": staff, "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            "qr": _qr_svg(accounts.provisioning_uri(staff, secret))}
    if request.method == "GET":
        return render_template("console/setup_authenticator.html", **page)
    if not accounts.use_totp_code(staff, request.form.get("code", "")[:20], secret):
        db.session.rollback()
        error = _("That code is not the one your app shows now. Check that the app was set up with this page's code, and type the six digits it shows.")
        return render_template("console/setup_authenticator.html", error=error, **page), 422
    codes = accounts.new_recovery_codes(staff)
    accounts.complete_setup(staff)
    audit.record("staff.setup", target=staff.email, who=staff.email, commit=False)
    db.session.commit()
    session.clear()
    session.rotate()
    login_user(staff)
    accounts.signed_in(staff)
    return render_template("console/setup_done.html", account=staff, codes=codes, next_url=console_url("console.home"))
