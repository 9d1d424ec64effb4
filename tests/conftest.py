"""Fixtures: ``app`` (built by the real factory, once per database backend), ``client``,
``runner``, ``campaign`` (a slug) and ``widget`` (actions as a supporter would take them)."""
import re
import shutil
import subprocess
import time

import pytest
import redis as redis_lib
import sqlalchemy

from widget_service import create_app
from widget_service.config import engine_options
from widget_service.extensions import db

from . import services
from .builders import make_campaign, signature

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh, empty database per test: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}", {"connect_args": {"timeout": 15}}
        return
    url = services.require_postgres()
    schema = services.new_schema_name()
    admin = sqlalchemy.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        production = engine_options(url)  # the pool settings of production, in this test's schema
        yield url, {**production, "connect_args": {**production["connect_args"], "options": f"-csearch_path={schema}"}}
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def build_app(database_url, create_schema=True, **overrides):
    url, engine_options = database_url
    config = {
        "TESTING": True,
        "WIDGET_ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "REDIS_URL": "",
        # Most tests send many forms from one address at once; tests of the protection
        # itself switch these back on.
        "RATELIMIT_ENABLED": False,
        "FORM_MIN_SECONDS": 0,
        # Signatures count at once, as most tests expect; tests/mail/ tests confirmation itself.
        "CONFIRM_SIGNATURES": False,
    }
    config.update(overrides)
    app = create_app(config)
    if create_schema:
        with app.app_context():
            db.create_all()
    return app


def dispose(app):
    """Close the app's database and Redis connections."""
    with app.app_context():
        db.engine.dispose()
    redis = app.extensions.get("msp_redis")
    if redis is not None:
        redis.close()


@pytest.fixture
def make_app(database_url):
    """Build apps on this test's database (several make several service instances)."""
    apps = []

    def make(create_schema=True, **overrides):
        apps.append(build_app(database_url, create_schema=create_schema, **overrides))
        return apps[-1]

    yield make
    for app in apps:
        dispose(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def campaign(app):
    """The slug of a new open campaign with English and Urdu texts and a goal of 1,000."""
    with app.app_context():
        return make_campaign().slug


class Widget:
    """What supporters and allies do, through the public HTTP surface."""

    def __init__(self, client):
        self.client = client

    def sign(self, slug, **fields):
        return self.client.post(f"/api/v1/campaigns/{slug}/signatures", json=signature(**fields))

    def form_token(self, slug, lang="en", kind="petition"):
        """A token for a ``kind`` widget form, as the widget's script asks for one when the
        supporter starts on the form (the page itself carries none)."""
        response = self.client.post(f"/api/v1/campaigns/{slug}/form-tokens/{kind}")
        assert response.status_code == 200, response.data
        return response.get_json()["form_token"]

    def post_form(self, slug, kind="petition", **fields):
        """Send a ``kind`` widget's own form, as a browser without JavaScript does."""
        if "form_token" not in fields:
            fields["form_token"] = self.form_token(slug, fields.get("lang", "en"), kind)
        return self.client.post(f"/widgets/{slug}/{kind}", data=fields)

    def count(self, slug):
        response = self.client.get(f"/api/v1/campaigns/{slug}/count")
        assert response.status_code == 200, response.data
        return response.get_json()["signatures"]


@pytest.fixture
def widget(client):
    return Widget(client)


@pytest.fixture
def live_config():
    """Config overrides for ``tests.browser.live_service``; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (the system's, never a downloaded one)."""
    executable = services.require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=services.CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def stripe_api():
    """A loopback server speaking Stripe's API (``tests/stripe_server.py``)."""
    from .stripe_server import StripeServer

    server = StripeServer()
    yield server
    server.stop()


@pytest.fixture
def verify_server():
    """A loopback hCaptcha siteverify server for a widget served from 127.0.0.1."""
    from .captcha_server import CaptchaServer

    server = CaptchaServer(hostname="127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def own_redis():
    """A redis-server of this test's own on a spare port, which the test may kill."""
    binary = shutil.which("redis-server")
    if not binary:
        services.missing("redis-server not installed")
    port = services.free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis_lib.Redis.from_url(url).ping()
            break
        except redis_lib.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("own redis-server did not start")
            time.sleep(0.05)
    yield process, url
    process.kill()
    process.wait(timeout=10)


# The browser fixtures, for every test module (they build on build_app, defined above).
from .browser import host_site, live_service, new_context, page  # noqa: E402,F401
