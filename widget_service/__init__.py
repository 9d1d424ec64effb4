"""The MSP widget service: embeddable petition widgets feeding one shared count, and donations."""
import hashlib
import logging
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, request, url_for
from flask.sessions import SessionInterface
from flask_babel import get_locale
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    allies, attachments, captcha, cli, compression, config, console, counting, http_guards, kept_answers, log_privacy, mail,
    privacy, protection, redis_client,
)
from .cache import TTLCache
from .errors import register_errorhandlers
from .extensions import babel, cors, db, drop_connections_closed_while_idle, migrate
from .validation import LANGUAGES

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(overrides=None):
    """Build the app from ``WIDGET_*`` variables, then ``overrides`` (tests pass a dict)."""
    app = Flask(__name__)
    app.session_interface = NoSessions()
    app.config.update(config.from_environ())
    app.config.update(overrides or {})
    configure_logging(app)
    config.check(app.config, app.logger)
    kept_answers.init_app(app)  # views of shared pages answered again before Flask runs
    configure_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    console.init_app(app)  # MSP's console; its sessions are the only ones, under /console
    allies.init_app(app)  # partners, their statistics, the embed policy, the snippet builder
    mail.init_app(app)  # the outbox, its worker, and the pages its mails link to
    privacy.init_app(app)  # flask retention apply, flask supporters show/forget
    protection.init_app(app)
    register_errorhandlers(app)
    register_assets(app)
    compression.init_app(app)  # before the headers: it runs after them, on what views decided
    register_headers(app)
    http_guards.init_app(app)  # last: its redirect is the one the other after-request hooks finish
    register_template_context(app)
    cli.init_app(app)
    return app


class NoSessions(SessionInterface):
    """The service keeps no session and sets no cookie, ever: an iframe on an ally's page loses
    third-party cookies anyway, and a cookie would tie a supporter's visits together. Flask's
    cookie session would still look for its cookie and build a signer on every request."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        pass


def configure_logging(app):
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # On the handlers, not a logger: records from every module's logger (Flask's "Exception on
    # /confirm/<token>" among them) pass through them, and only through them.
    for handler in logging.getLogger().handlers + app.logger.handlers:
        log_privacy.install(handler)


def configure_proxies(app):
    # Trust X-Forwarded-For only from the number of proxies we were told sit in front of us;
    # with the default of 0 a client cannot pick the IP its rate limits are counted under.
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # Not X-Forwarded-Host: the host is taken from the request line or WIDGET_PUBLIC_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def select_locale():
    """``?lang=`` (or the posted form's ``lang``), then ``Accept-Language``, then English."""
    # The form only if it was parsed already: parsing it here could raise again inside the
    # error handler of an oversized body.
    posted = request.__dict__.get("form")
    for lang in (request.args.get("lang"), posted.get("lang") if posted else None):
        if lang in LANGUAGES:
            return lang
    return request.accept_languages.best_match(LANGUAGES) or "en"


def register_extensions(app):
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            drop_connections_closed_while_idle(db.engine)

    # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse). When the database
    # cut the connection mid-request, rolling the session back fails too; the request already
    # has its answer (503), so drop the broken session instead of turning the answer into a 500.
    @app.teardown_appcontext
    def release_session(exception):
        try:
            db.session.remove()
        except SQLAlchemyError as error:
            logging.getLogger(__name__).warning("dropped a session whose connection died: %s", error.__class__.__name__)
            try:
                db.session.invalidate()  # hand its connection back to the pool as dead
            except SQLAlchemyError:
                pass
            db.session.registry.clear()

    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    babel.init_app(app, locale_selector=select_locale)
    # Public, personal-data-free reads are open to every origin (the forms follow each
    # campaign's embed policy: allies/policy.py).
    cors.init_app(app, resources={r"/api/v1/campaigns/[^/]+(/count)?$": {"origins": "*", "methods": ["GET"], "send_wildcard": True}})
    # Flask-CORS hooks itself on every request, but only the API's paths are open: its hook
    # moves to the API blueprint's hooks (Flask keeps them under the blueprint's name), which no
    # other request runs. Its errors still pass through it: it wraps the app's error handling.
    # Found by its module, not its place among the hooks, so another hook added first cannot be
    # moved instead (and a Flask-CORS that hooks itself otherwise stops the start, not the CORS).
    hooks = app.after_request_funcs[None]
    cors_hooks = [hook for hook in hooks if getattr(hook, "__module__", "") == "flask_cors.extension"]
    if len(cors_hooks) != 1:
        raise RuntimeError(f"expected Flask-CORS's one after-request hook, found {len(cors_hooks)}")
    hooks.remove(cors_hooks[0])
    app.after_request_funcs.setdefault("api", []).append(cors_hooks[0])
    redis_client.init_app(app)
    counting.init_app(app)
    app.extensions.update(msp_counts=TTLCache(), msp_campaign_refs=TTLCache())
    attachments.init_app(app)


def register_blueprints(app):
    from .views import actions, api, campaign_page, donate, embed, pages, supporters, unsubscribe, widgets

    app.register_blueprint(api.bp)
    app.register_blueprint(actions.bp)  # before widgets: its fixed paths win over /<slug>/<kind>
    app.register_blueprint(widgets.bp)
    app.register_blueprint(campaign_page.bp)
    app.register_blueprint(supporters.bp)
    app.register_blueprint(supporters.api_bp)
    app.register_blueprint(unsubscribe.bp)
    app.register_blueprint(donate.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(pages.bp)


def register_assets(app):
    """Static files are addressed by content hash, so they can be cached for a year."""
    static = Path(app.static_folder)
    digests = {
        str(path.relative_to(static)): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in static.rglob("*")
        if path.is_file()
    }

    def asset_url(filename):
        return url_for("static", filename=filename, v=digests[filename])

    app.jinja_env.globals["asset_url"] = asset_url


RTL_LANGUAGES = {"ur"}


def register_template_context(app):
    @app.context_processor
    def page_language():
        lang = str(get_locale())
        return {"page_lang": lang, "page_dir": "rtl" if lang in RTL_LANGUAGES else "ltr"}


# Powerful features no page of the service uses, off for it and anything it frames; the widgets'
# "copy link" and share sheet use the two that stay on (the loader's iframes allow them too).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), serial=(), usb=(), clipboard-write=(self), web-share=(self)"
)
# What is not a page (JSON, scripts, styles, images) runs nothing and is framed by nobody.
NOT_A_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'"


def register_headers(app):
    https = urlsplit(app.config["PUBLIC_URL"]).scheme == "https"

    always = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
    ]
    if https:
        always.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def security_headers(response):
        """Each header the view did not set itself. The names the response has are read once,
        not looked up header by header: this runs for every request."""
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        if request.endpoint == "static" and request.args.get("v"):
            headers["Cache-Control"] = "public, max-age=31536000, immutable"
            # Let pages that require CORP on subresources (COEP) load our assets.
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            present.add("cache-control")
        wanted = always.copy()
        mimetype = response.mimetype
        if mimetype == "text/html":
            framed = request.path.startswith("/widgets/")  # pages (error pages too) in allies' iframes
            wanted.append(("Content-Security-Policy", captcha.page_csp(frameable=framed)))
            if not framed:
                # A top-level page shares no window with pages it opens or that open it.
                wanted.append(("Cross-Origin-Opener-Policy", "same-origin"))
        elif mimetype != "application/pdf":  # a PDF's CSP would stop the browser's viewer
            wanted.append(("Content-Security-Policy", NOT_A_PAGE_CSP))
        # Nothing is kept by a browser or a cache unless its view says for how long.
        wanted.append(("Cache-Control", "no-store"))
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response
