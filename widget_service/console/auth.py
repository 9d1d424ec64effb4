"""Who may see what in the console: ``role_required``, ``current_staff``, signing in and out.

Every console view is marked either ``@role_required("viewer")`` (any signed-in staff member),
``@role_required("admin")``, or ``@public`` (the sign-in and set-up pages). The blueprint's
``before_request`` refuses any view with neither mark (it fails closed), checks the role,
then the CSRF token of every POST.

- anonymous: GET -> 302 to the sign-in page; any other method -> 401
- signed in without the role (a viewer on an admin page) -> 403
- a POST without the session's CSRF token -> 400
"""
import functools

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..ratelimits import keyed_hash, rate_limited
from . import accounts, audit, bp, limits
from .models import Staff

ROLES = {"viewer": (Staff.VIEWER, Staff.ADMIN), "admin": (Staff.ADMIN,)}


def role_required(role):
    """Mark a console view for staff with ``role``: "viewer" (viewer or admin) or "admin"."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def mark(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            refusal = refuse(role)  # also checked before the request; twice is cheap
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        checked.msp_console_role = role
        return checked

    return mark


def public(view):
    """Mark a console view that anybody may open (signing in, setting up an account)."""
    view.msp_console_public = True
    return view


def larger_body(extra_bytes, setting=None):
    """Mark a console view whose form may exceed the body limit sized for signatures
    (``WIDGET_MAX_BODY_BYTES``): it takes ``extra_bytes``, plus the config ``setting``'s bytes
    when one is named. The gate raises the limit for this view only, before CSRF reads the form."""

    def mark(view):
        view.msp_console_max_bytes = (extra_bytes, setting)
        return view

    return mark


def current_staff():
    """The signed-in staff member (``email``, ``role``, ``is_admin``), or None."""
    user = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def refuse(role):
    """The response that refuses this request for ``role``, or None when it may go on."""
    staff = current_staff()
    if staff is None:
        if request.method in ("GET", "HEAD"):
            return redirect_to("console.sign_in")
        abort(401)
    if staff.role not in ROLES[role]:
        abort(403)
    return None


def console_url(endpoint, **values):
    """``url_for`` that keeps the page's language (templates have it as ``console_url``)."""
    return url_for(endpoint, lang=str(get_locale()), **values)


def redirect_to(endpoint, **values):
    return redirect(console_url(endpoint, **values))


def load_staff(staff_id):
    """Flask-Login's user loader: an active account, or nobody."""
    try:
        staff = db.session.get(Staff, int(staff_id))
    except (TypeError, ValueError):
        return None
    return staff if staff is not None and staff.is_active else None


@bp.get("/")
@role_required("viewer")
def home():
    """The console's front page: the dashboard (the account page until there is one)."""
    if "console.dashboard" in current_app.view_functions:
        return redirect_to("console.dashboard")
    return redirect_to("console.account")


@bp.get("/account")
@role_required("viewer")
def account():
    staff = current_staff()
    return render_template("console/account.html", codes_left=accounts.recovery_codes_left(staff))


@bp.post("/account/recovery-codes")
@role_required("viewer")
def new_recovery_codes():
    """Fresh recovery codes (the old ones stop working), against a code from the app: a session
    alone, borrowed for a moment, must not buy a lasting way in."""
    staff = current_staff()
    wait = limits.code_check_wait(staff)
    if wait:
        audit.record("staff.recovery-codes.limited", target=staff.email)
        page = render_template("console/account.html", codes_left=accounts.recovery_codes_left(staff), error=limits.CODE_MESSAGE)
        return page, 429, {"Retry-After": str(wait)}
    if not accounts.use_totp_code(staff, request.form.get("code", "")[:20]):
        db.session.rollback()
        audit.record("staff.recovery-codes.failed", target=staff.email)
        error = _("That code is not the one your app shows now. Type the six digits it shows.")
        return render_template("console/account.html", codes_left=accounts.recovery_codes_left(staff), error=error), 422
    codes = accounts.new_recovery_codes(staff)
    audit.record("staff.recovery-codes", target=staff.email, commit=False)
    db.session.commit()
    return render_template("console/setup_done.html", codes=codes, renewed=True, next_url=console_url("console.home"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@rate_limited(limits.PAGE_SETTING)
def sign_in():
    if current_staff() is not None:
        return redirect_to("console.home")
    if request.method == "GET":
        return render_template("console/sign_in.html", signed_out="signed_out" in request.args)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    code = request.form.get("code", "")
    wait = limits.sign_in_wait(email)
    if wait:
        _record_failure("sign-in.limited", email)
        return render_template("console/sign_in.html", error=limits.MESSAGE, email=email), 429, {"Retry-After": str(wait)}
    staff = accounts.authenticate(email, password, code)
    if staff is None:
        _record_failure("sign-in.failed", email)
        error = _("That email, password and code do not match an account. Please try again.")
        return render_template("console/sign_in.html", error=error, email=email), 401
    session.rotate()  # a new id: any id known before signing in is worth nothing now
    login_user(staff)
    accounts.signed_in(staff)
    audit.record("sign-in", target=staff.email, details={"second_factor": staff.second_factor})
    return redirect_to("console.home")


def _record_failure(action, email):
    """Audit a refused sign-in under the account it named, if there is one. What was typed for
    an unknown account is not kept: it may be anybody's address, or a password typed in the
    wrong box; a keyed hash of it still shows one address tried again and again."""
    account = accounts.find(email)
    if account is not None:
        audit.record(action, who=account.email, target=account.email)
    else:
        audit.record(action, who="unknown account", details={"typed": keyed_hash("console-typed", accounts.normal_email(email))})


@bp.post("/sign-out")
@role_required("viewer")
def sign_out():
    audit.record("sign-out", target=current_staff().email)
    logout_user()
    session.end()  # the row goes: this cookie, and any copy of it, is worth nothing now
    return redirect_to("console.sign_in", signed_out=1)
