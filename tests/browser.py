"""Browser fixtures: the service and an ally's site on real loopback servers, and headless Chromium.

The ally's site is opened as ``http://localhost:PORT`` and the service as
``http://127.0.0.1:PORT``: two different sites, the way allies embed the widget. Every server
listens on a free port. One Chromium serves the whole session; each test gets fresh contexts.
Every wait is bounded by ``TIMEOUT_MS``.

conftest.py makes these fixtures, and the one session-wide Chromium (``browser``), available
to every test module; the helpers (``wait_for``, ``EmbeddedWidget``...) are imported from here.
"""
import threading
import time
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import select
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from demo import allied_site
from widget_service import demo_campaign
from widget_service.extensions import db
from widget_service.models import Signature

from .builders import make_campaign
from .conftest import build_app

SLUG = "hazara-quetta"
PARTNER = allied_site.PARTNER
# How long a browser test waits for something the service does. Only a failing test waits this
# long; on a CI machine shared with other work, a signature once took more than 10 s.
TIMEOUT_MS = 30_000


class ServerThread:
    """Runs a ``socketserver``-style server in a daemon thread until ``stop``."""

    def __init__(self, server):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class LiveService:
    """The service on a real port: ``url``, ``app``, and reads through its public API and its DB."""

    def __init__(self, app, url):
        self.app = app
        self.url = url

    def count(self, slug=SLUG):
        response = requests.get(f"{self.url}/api/v1/campaigns/{slug}/count", timeout=5)
        assert response.status_code == 200, response.text
        return response.json()["signatures"]

    def signatures(self, **filters):
        """Stored signatures matching ``filters``, as plain dicts."""
        with self.app.app_context():
            rows = db.session.scalars(select(Signature).filter_by(**filters).order_by(Signature.id)).all()
            return [
                {column.name: getattr(row, column.name) for column in Signature.__table__.columns}
                for row in rows
            ]


@pytest.fixture
def live_service(database_url, live_config):
    """The service with the demo campaign, on 127.0.0.1 and a free port, on each database."""
    app = build_app(database_url, **live_config)
    with app.app_context():
        make_campaign(slug=SLUG, goal=100_000, texts=demo_campaign.TEXTS)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    running = ServerThread(server)
    try:
        yield LiveService(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        running.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def host_site(live_service):
    """The ally's site (demo/allied_site.py) embedding the live service, opened as ``localhost``.

    ``url`` is its address on another site than the service; ``other_origin_url`` is the same
    server as ``127.0.0.1:PORT``, a third origin (neither the host page's nor the service's).
    ``add(path, html)`` serves one more page and returns its ``url``.
    """
    server = allied_site.make_server("127.0.0.1", 0, live_service.url)
    port = server.server_port
    running = ServerThread(server)

    def add(path, html):
        server.routes[path] = html
        return f"http://localhost:{port}{path}"

    try:
        yield SimpleNamespace(
            url=f"http://localhost:{port}",
            origin=f"http://localhost:{port}",
            other_origin_url=f"http://127.0.0.1:{port}",
            port=port,
            add=add,
        )
    finally:
        running.stop()


@pytest.fixture
def new_context(browser, live_service):
    """Makes fresh browser contexts (closed before the servers stop); options as ``new_context``."""
    contexts = []

    def new(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


class LateScript:
    """Holds back the requests for a script (``pattern``) in ``context`` until ``release()``: a
    slow phone, where the supporter starts on the form before the script has arrived."""

    def __init__(self, context, pattern):
        self.held, self.released = [], False
        context.route(pattern, self._hold)

    def _hold(self, route):
        if self.released:
            route.continue_()
        else:
            self.held.append(route)

    def release(self):
        self.released = True
        for route in self.held:
            route.continue_()


def wait_for(page, predicate, message, timeout_ms=TIMEOUT_MS, interval_ms=50):
    """Poll ``predicate()`` until it is truthy (returning it), else fail with ``message()``."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms} ms: {message()}")
        page.wait_for_timeout(interval_ms)


def digits(text):
    """The number written in ``text`` (any script's digits, any grouping)."""
    return int("".join(char for char in text if char.isdigit()))


class EmbeddedWidget:
    """A widget iframe on a host page, driven as a supporter would."""

    def __init__(self, page, iframe, service_url):
        self.page = page
        self.iframe = iframe  # a Locator for the <iframe> in the host page
        self.service_url = service_url

    @property
    def frame(self):
        return self.load()

    def load(self, scroll=True):
        """The iframe's document, once it is the service's widget page and has loaded."""
        if scroll:
            self.iframe.scroll_into_view_if_needed()  # lazy frames load near the viewport

        def loaded():
            frame = self.iframe.element_handle().content_frame()
            if not frame or not frame.url.startswith(self.service_url + "/widgets/"):
                return None
            try:  # ask the document itself: the frame's URL changes before its document does
                ready = frame.evaluate("() => location.origin + ' ' + !!document.querySelector('main.w')")
            except PlaywrightError:  # navigating right now
                return None
            return frame if ready == f"{self.service_url} true" else None

        return wait_for(self.page, loaded, lambda: f"the widget frame never loaded ({self.iframe})")

    def heights(self):
        """(the iframe element's inner height in the host page, its document's height)."""
        outer = self.iframe.evaluate("f => f.clientHeight")
        inner = self.frame.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
        return outer, inner

    def wait_until_fitted(self, tolerance=2):
        """Wait until the iframe is as tall as its content; return that height."""
        seen = []

        def fitted():
            seen.append(self.heights())
            outer, inner = seen[-1]
            return inner if abs(outer - inner) <= tolerance else None

        return wait_for(self.page, fitted, lambda: f"iframe height never fitted its content: {seen[-3:]}")

    def sign(self, name, email, country="PK"):
        """Fill the form and send it; wait for the thank-you panel."""
        frame = self.frame
        frame.fill("#f-name", name)
        frame.fill("#f-email", email)
        frame.select_option("#f-country", country)
        frame.click("#sign button[type=submit]")
        frame.locator("#thanks").wait_for(state="visible", timeout=TIMEOUT_MS)
        return frame

    def count(self):
        return digits(self.frame.locator("[data-count]").inner_text())


def ally_page(service_url, body, lang="en", head=""):
    """An ally's page in ``lang`` (its direction too) with ``body``, ``head`` in its head, and the
    loader, as the snippets say to paste it: async, at the end of the body."""
    direction = "rtl" if lang == "ur" else "ltr"
    return (
        f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>Ally</title>{head}</head>'
        f'<body>{body}<script async src="{service_url}/embed.js"></script></body></html>'
    )


def widgets(page, service_url):
    """The loader-made widget iframes on ``page``, in document order."""
    frames = page.locator("iframe.msp-widget-frame")
    return [EmbeddedWidget(page, frames.nth(i), service_url) for i in range(frames.count())]


def open_host_page(page, url, service_url, expected=1):
    """Load a host page and wait for the loader to make ``expected`` widget iframes."""
    page.goto(url)
    page.wait_for_function(
        "n => document.querySelectorAll('iframe.msp-widget-frame').length >= n", arg=expected, timeout=TIMEOUT_MS
    )
    return widgets(page, service_url)
