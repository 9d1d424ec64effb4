"""Answers to views of shared pages, kept finished in front of Flask (issue 14).

Even from the page cache (``page_cache``), with no query and no render, a view that passes
through Flask (routing, hooks, compression, headers) costs about twice ``/healthz``. Here the
whole answer (status, every header, the body compressed as that reader accepts, or the 304) is
kept when Flask makes it, and the same request is answered again before Flask runs. What
"the same" means, and for how long, is in ``KeptAnswers``.
"""
import threading
import time
from collections import OrderedDict

from flask import request

MAX_ANSWERS = 2048  # answers per process in all, however many variants an address is asked in
MADE_FROM = "msp.page_made_from"  # in the WSGI environ: what this request's shared page was made from
# Request headers that ask for something other than the whole page or its 304: left to Flask.
NOT_KEPT_HEADERS = ("HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")
KEPT_STATUSES = ("200", "304", "404")  # a page, its revalidation, an unknown campaign's page
# An answer asked for with a longer query or header value is not kept: real browsers and caches
# send short ones, and a flood of made-up long ones would fill memory with keys.
MAX_KEPT_VALUE = 512


class MadeFrom:
    """What a shared page's answer depends on: when its page leaves the page cache, and the
    per-process values (``(cache, key, value)``) it was made from."""

    def __init__(self, expires, dependencies):
        self.expires = expires
        self.dependencies = list(dependencies)

    def still_true(self):
        if self.expires <= time.monotonic():
            return False
        for cache, key, value in self.dependencies:
            now = cache.get(key)
            if now is not value and now != value:
                return False  # changed here, or expired (None): Flask asks again
        return True


def made_from(expires, *dependencies):
    """Say that this request's answer is a shared page, in the page cache until ``expires``
    (``time.monotonic``) and made from ``dependencies``: ``(cache, key, value)``, each a value
    of a ``TTLCache`` of this process."""
    request.environ[MADE_FROM] = MadeFrom(expires, dependencies)


def depends_on(cache, key, value):
    """This request's shared page (if it is one) is right only while ``cache`` (a ``TTLCache``)
    holds ``value`` under ``key``: for what a hook adds to it (the embed policy's CSP)."""
    made = request.environ.get(MADE_FROM)
    if made is not None:
        made.dependencies.append((cache, key, value))


def not_kept():
    """This answer is not to be kept (a hook had to answer without what it depends on)."""
    request.environ.pop(MADE_FROM, None)


class KeptAnswers:
    """WSGI middleware in front of Flask: the finished answers to views of shared pages (their
    status, every header and the body, compressed as that reader accepts), answered again to
    the same request before Flask runs, which costs a fraction of even the smallest Flask view.

    An answer is kept under everything that may change it: the address (path, whole query
    string, host, scheme), the ``Accept-Encoding`` and ``If-None-Match`` sent, and the headers
    its ``Vary`` names (``Accept-Language``, ``Referer``), each as sent. Nothing else of a
    request reaches these pages (``_page_key``), and nothing else of the service runs for them
    (no limit, no log, no session). It is answered only while it would be Flask's own answer:
    until its page leaves the page cache, and while every per-process value it was made from
    (the campaign's snapshot, count, files, embed policy: ``MadeFrom``) is the cached one. A
    change committed in this process, or one another instance made reaching this process's
    caches, sends the next request through Flask, which makes and keeps the new answer."""

    def __init__(self, wsgi_app, max_entries=MAX_ANSWERS):
        self.wsgi_app = wsgi_app
        self._varying = {}  # address -> environ names of the request headers its answer varies on
        self._answers = OrderedDict()  # (address, those headers' values) -> answer
        self._lock = threading.Lock()
        self._max = max_entries  # answers in all, however many variants an address is asked in

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST")
        if environ.get("REQUEST_METHOD") != "GET" or host is None or any(name in environ for name in NOT_KEPT_HEADERS):
            return self.wsgi_app(environ, _dated_by_the_server(start_response))
        address = (environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                   host, environ["wsgi.url_scheme"], environ.get("HTTP_ACCEPT_ENCODING"), environ.get("HTTP_IF_NONE_MATCH"))
        varying = self._varying.get(address)
        if varying is not None:
            key = (address, tuple(environ.get(name) for name in varying))
            with self._lock:
                answer = self._answers.get(key)
                if answer is not None:
                    self._answers.move_to_end(key)
            if answer is not None and answer[0].still_true():
                start_response(answer[1], list(answer[2]))
                return [answer[3]]
        return self._through_flask(environ, start_response, address)

    def _through_flask(self, environ, start_response, address):
        started = []

        def start(status, headers, exc_info=None):
            started[:] = (status, headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, _dated_by_the_server(start))
        made = environ.get(MADE_FROM)
        if made is None or not started or started[0][:3] not in KEPT_STATUSES:
            return body
        try:
            chunks = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        status, headers = started
        varying = _varying(headers)
        if varying is not None:
            values = tuple(environ.get(name) for name in varying)
            if all(value is None or len(value) <= MAX_KEPT_VALUE for value in address + values):
                self._keep(address, varying, values, (made, status, tuple(headers), chunks))
        return [chunks]

    def _keep(self, address, varying, values, answer):
        with self._lock:
            self._varying.pop(address, None)
            self._varying[address] = varying  # last in: the first to go is the longest unused
            if len(self._varying) > self._max:
                del self._varying[next(iter(self._varying))]
            self._answers[address, values] = answer
            self._answers.move_to_end((address, values))
            while len(self._answers) > self._max:
                self._answers.popitem(last=False)


def _dated_by_the_server(start_response):
    """``start_response`` without the app's ``Date``: the server stamps every answer with its
    own. werkzeug's ``make_conditional`` (run by Flask-Compress and the loader's view) adds one
    too; gunicorn drops it, but a server that sends it (werkzeug's own) would send a kept
    answer's stale one."""

    def start(status, headers, exc_info=None):
        return start_response(status, [(name, value) for name, value in headers if name.lower() != "date"], exc_info)

    return start


def _varying(headers):
    """The environ names of the request headers an answer's ``Vary`` names, but the
    ``Accept-Encoding`` every address is kept under anyway; None for ``Vary: *``."""
    names = []
    for name, value in headers:
        if name.lower() == "vary":
            for header in value.split(","):
                header = header.strip().upper().replace("-", "_")
                if header == "*":
                    return None
                if header and header != "ACCEPT_ENCODING":
                    names.append("HTTP_" + header)
    return tuple(sorted(set(names)))


def init_app(app):
    """Answers kept in front of Flask; installed before the proxy fix wraps the app, so that
    they are kept under the scheme the proxy was asked in."""
    app.wsgi_app = KeptAnswers(app.wsgi_app, MAX_ANSWERS)
