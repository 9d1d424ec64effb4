"""Compressed responses: Brotli where the client accepts it, else gzip (Flask-Compress).

Only what any cache may keep for everyone is compressed: a 200 whose Cache-Control neither
says ``no-store`` nor ``private`` (the widget pages once they are the same bytes for every
visitor, the loader, static assets, public JSON). That is what keeps compression safe from
BREACH-style attacks, which recover a secret of one visitor (a form or CSRF token, a name) from
the compressed size of a page that also reflects what an attacker put in the request: a page
that is the same for everyone carries no secret of anyone's. Pages made for one visitor (the
console, secret links, form answers, ``no-store`` pages) go out as they are.

Each compressed body is kept per process under its encoding and the response's strong ETag
(which names exactly one body), so a page, the loader or a static asset is compressed once, not
on every view or revalidation. Flask-Compress marks the compressed representation's ETag as its
own (``"X"`` becomes ``"X:gzip"``: different bytes, different validator), adds ``Vary:
Accept-Encoding`` and answers ``If-None-Match`` on that ETag with 304.
"""
import threading
from collections import OrderedDict

from flask import current_app, g, request
from flask_compress import Compress
from flask_compress.flask_compress import _choose_algorithm  # the choice its after_request makes

# What is worth compressing; images other than SVG, PDFs and fonts are compressed already.
MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml"]
# Under one packet's worth, compression saves no round trip and costs a little CPU each way.
MIN_SIZE = 1024
# Compressed bodies kept per process: pages of every campaign, kind and language, and assets.
CACHED_BODIES = 512


def init_app(app):
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])  # first choice when the client takes both
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", MIN_SIZE)
    # Each body is compressed once (see CompressedBodies), so gzip's smallest; Brotli's 11 would
    # take tens of milliseconds for a page whose count just changed, 5 is as fast as gzip -9.
    app.config.setdefault("COMPRESS_LEVEL", 9)
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.update(
        # Our hook below decides what is compressed; streamed bodies (files, events) never are.
        COMPRESS_REGISTER=False,
        COMPRESS_STREAMS=False,
        COMPRESS_CACHE_BACKEND=CompressedBodies,
        COMPRESS_CACHE_KEY=lambda request: g.get("msp_compressed_key", ""),
    )
    compress = Compress(app)
    app.extensions["msp_compress"] = compress

    # Registered before the security headers' hook, so it runs after it and every view has said
    # how long its response may be kept (hooks run in the reverse order of their registration).
    @app.after_request
    def compress_shareable(response):
        if not shareable(response):
            return response
        if response.status_code in (206, 304):
            # A range of the uncompressed bytes, or the view's own answer to the uncompressed
            # body's ETag: sent as they are, but saying, as their 200 would, that it varies.
            response.vary.add("Accept-Encoding")
            return response
        if response.status_code != 200:
            return response
        if response.is_streamed and request.endpoint == "static":
            # Flask streams static files from disk; a few KB each, read whole so that they
            # can be compressed once and served from the cache after that.
            file = response.response
            try:
                response.direct_passthrough = False
                response.set_data(b"".join(file))
            finally:
                file.close()
        etag, weak = response.get_etag()
        g.msp_compressed_key = etag if etag and not weak else ""
        return compress.after_request(response)


def representation_tag(etag, size):
    """The ETag this request's answer will carry for a shareable HTML body of ``size`` bytes
    tagged ``etag``: Flask-Compress's ``"X:br"`` or ``"X:gzip"`` when it will compress it for
    this client (by the same choice, Flask-Compress's own), else ``etag``. With it a view
    answers a reader who holds the compressed copy with its 304 itself, at no more cost than
    any other 304, rather than building the whole page for Flask-Compress to compare."""
    if size < current_app.config["COMPRESS_MIN_SIZE"]:
        return etag
    algorithm = _choose_algorithm(current_app.extensions["msp_compress"].enabled_algorithms,
                                  request.headers.get("Accept-Encoding", ""))
    return f"{etag}:{algorithm}" if algorithm else etag


def shareable(response):
    """A response any cache may keep for everyone (see the module's docstring). The header is
    looked at as text: parsing it (``response.cache_control``) on every request cost more than
    the rest of this hook. A directive that merely contains ``private`` or ``no-store`` would
    only leave a response uncompressed, never compress a private one."""
    cache_control = response.headers.get("Cache-Control")
    if cache_control is None:
        return False
    cache_control = cache_control.lower()
    return "no-store" not in cache_control and "private" not in cache_control


class CompressedBodies:
    """Compressed bodies under ``encoding;etag``: bounded, the least recently used leaves first.
    A response without a strong ETag (key ``encoding;``) is compressed each time, never kept."""

    def __init__(self):
        self._bodies = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        if key.endswith(";"):
            return None
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def set(self, key, value):
        if key.endswith(";"):
            return
        with self._lock:
            self._bodies[key] = value
            self._bodies.move_to_end(key)
            while len(self._bodies) > CACHED_BODIES:
                self._bodies.popitem(last=False)
