"""MSP's console (``/console``): staff accounts with two factors, server-side sessions, CSRF,
the audit log, and the views of each part (dashboard, moderation, campaigns, exports).

``init_app`` is the one thing the factory calls. The console is the only part of the service
that ever sets a cookie, and only under ``/console``.
"""
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from ..errors import HTTP_MESSAGES, WidgetError
from ..ratelimits import client_network, keyed_hash
from .sessions import ConsoleSessions, is_console_path

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")

# The pages of the nav: endpoint, label, the role that sees it. A link shows once its
# endpoint exists and the signed-in staff member has the role.
NAV = (
    ("console.dashboard", _l("Dashboard"), "viewer"),
    ("console.moderation", _l("Moderation"), "admin"),
    ("console.campaigns", _l("Campaigns"), "admin"),
    ("console.exports", _l("Exports"), "admin"),
    ("console.partners_page", _l("Partners"), "admin"),  # widget_service/allies
    ("console.alerts_page", _l("Alerts"), "admin"),  # widget_service/mail
    ("console.audit_log", _l("Audit log"), "admin"),
    ("console.account", _l("Your account"), "viewer"),
)

# The console's security headers: never framed, never cached, no referrer beyond our origin
# (Flask-WTF checks the referrer of HTTPS posts against our own origin).
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}

csrf = CSRFProtect()
login_manager = LoginManager()

from . import audit, auth, cli, dashboard, limits, models, setup, stats, views_audit  # noqa: E402,F401  (views register on bp)
from . import campaigns, exports, moderation  # noqa: E402,F401  (moderation, campaigns, exports: C-admin's views)


def init_app(app):
    """Register the console: sessions (only under /console), sign-in, CSRF, limits, views, CLI."""
    app.config.setdefault("CONSOLE_IDLE_SECONDS", 30 * 60)
    app.config.setdefault("CONSOLE_MAX_SECONDS", 12 * 60 * 60)
    # CSRF is checked by the console's own before_request, for its views only: the public API
    # and the widgets' forms have their own, cookie-free protection.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.session_interface = ConsoleSessions()
    csrf.init_app(app)
    # CSRFProtect also hooks a check on every request, which the setting above makes a no-op:
    # unhooked, so that the public requests do not pay for it; ``gate`` calls csrf.protect().
    app.before_request_funcs[None] = [hook for hook in app.before_request_funcs[None] if hook.__module__ != "flask_wtf.csrf"]
    login_manager.init_app(app, add_context_processor=False)
    # Flask-Login refreshes or clears a remember-me cookie after every request, from the
    # session: only the console's requests have one (and it never sets remember-me), so that
    # runs after the console's views (``remember_cookie``), not after every request.
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    login_manager.session_protection = None  # the session is server-side; its id is the secret
    login_manager.user_loader(auth.load_staff)
    # Flask-Login keeps a digest of the client's address and browser in the session: keyed, as
    # every address-derived value here is.
    login_manager._session_identifier_generator = _client_identifier
    limits.init_app(app)
    app.jinja_env.globals["console_url"] = auth.console_url
    app.register_blueprint(bp)
    cli.init_app(app)
    stats.init_app(app)  # late changes to signatures (events.signatures_changed) recount their hours

    # On the app, not the blueprint: a console path that matches no view (a 404, a redirect to
    # add a slash) belongs to no blueprint, and gets these headers too.
    @app.after_request
    def console_headers(response):
        if is_console_path(request.path):
            response.headers.update(HEADERS)
        return response


def _client_identifier():
    return keyed_hash("console-client", f"{client_network(request.remote_addr)}|{request.user_agent.string}")


@bp.before_request
def gate():
    """Every console view is checked here before it runs: its role (a view with no mark is
    admin-only: forgetting one fails closed), its body limit (``auth.larger_body``), then the
    CSRF token of anything but a read (which reads the form)."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        abort(404)
    larger = getattr(view, "msp_console_max_bytes", None)
    if larger is not None:
        extra_bytes, setting = larger
        request.max_content_length = extra_bytes + (current_app.config[setting] if setting else 0)
    if not getattr(view, "msp_console_public", False):
        refusal = auth.refuse(getattr(view, "msp_console_role", "admin"))
        if refusal is not None:
            return refusal
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


@bp.after_request
def remember_cookie(response):
    """Flask-Login's after-request step, for the console's views only (see ``init_app``)."""
    return login_manager._update_remember_cookie(response)


@bp.errorhandler(CSRFError)
def csrf_failed(error):
    message = _("This form has expired or was not sent from the console. Please go back, reload the page and try again.")
    return render_template("console/error.html", status=400, message=message), 400


# What an HTTP error says in the console where it says more than the public pages do.
CONSOLE_MESSAGES = {
    401: _l("Your session has ended. Please sign in again."),
    403: _l("Your account may not open this page. An administrator can tell you more."),
}


def _error_page(status, message):
    """An error in a console view, on the console's page (the sign-in link on a 401)."""
    return render_template("console/error.html", status=status, message=message, sign_in_link=status == 401), status


@bp.errorhandler(WidgetError)
def widget_error(error):
    return _error_page(error.status, str(error.message))


@bp.errorhandler(HTTPException)
def http_error(error):
    message = CONSOLE_MESSAGES.get(error.code) or HTTP_MESSAGES.get(error.code) or error.description or error.name
    return _error_page(error.code, str(message))


@bp.app_template_global()
def csrf_field():
    """The hidden CSRF field every console POST form carries: ``{{ csrf_field() }}``."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


@bp.app_template_filter()
def bdi(text):
    """``text`` isolated from the sentence's direction (an email inside Urdu)."""
    return Markup('<bdi dir="ltr">%s</bdi>') % text


@bp.app_template_global()
def lang_field():
    """A hidden ``lang`` field, so a posted form answers in the page's language."""
    return Markup('<input type="hidden" name="lang" value="%s">') % escape(str(get_locale()))


@bp.context_processor
def console_context():
    staff = auth.current_staff()
    nav = []
    if staff is not None:
        for endpoint, label, role in NAV:
            if endpoint in current_app.view_functions and staff.role in auth.ROLES[role]:
                nav.append((endpoint, label))
    return {"staff": staff, "nav": nav}
