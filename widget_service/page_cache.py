"""Public pages that are the same bytes for every visitor: the widget pages and the campaign page.

Views outnumber signatures ten to a hundred times, so these pages are built to be kept:

- by browsers and any shared cache in front (a CDN, nginx): ``Cache-Control: public`` with a
  short ``max-age``, ``stale-while-revalidate`` and ``stale-if-error``, a strong ``ETag`` made
  from the body, and a 304 for a reader who has it;
- by each process: the rendered page is kept for ``WIDGET_COUNT_CACHE_SECONDS`` (the window
  in which the count and a changed campaign reach every instance anyway), so a view in that
  window runs no query and renders no template;
- and, finished (compressed, with every header the hooks add), in front of Flask
  (``kept_answers``): a view or a revalidation asked the same way again is answered from memory
  before Flask runs at all, while every per-process value the page was made from is unchanged.

A page can be shared because nothing in it is per visitor: the form token is fetched by the
widget's script when the supporter starts on the form (``views/api.py``, ``form_token``), and a
form posted without one is answered with a page of its own (``views/widgets.py``).
"""
import hashlib
import threading
import time
from collections import OrderedDict

from flask import current_app, request
from flask_babel import get_locale

from . import attachments
from .compression import representation_tag
from .campaigns import campaign_ref, find_campaign
from .counting import current_count
from .errors import CampaignNotFound, render_error
from .kept_answers import made_from

MAX_AGE = 60  # a browser or CDN serves its copy this long without asking
STALE_WHILE_REVALIDATE = 60  # ...and this much longer while it asks in the background
STALE_IF_ERROR = 86400  # ...and this long while we are down or answer 5xx
SHARED = f"public, max-age={MAX_AGE}, stale-while-revalidate={STALE_WHILE_REVALIDATE}, stale-if-error={STALE_IF_ERROR}"
MAX_ENTRIES = 2048  # pages kept per process; a flood of one-off query strings pushes out the oldest


class PageCache:
    """Rendered pages per process: bounded (least recently used out) and with expiry."""

    def __init__(self, max_entries=MAX_ENTRIES):
        self._items = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key):
        """``(value, expires)``: the kept value and when it expires (``time.monotonic``), or None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if hit[1] <= time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return hit

    def set(self, key, value, ttl):
        """Keep ``value``; returns when it expires."""
        expires = time.monotonic() + ttl
        with self._lock:
            self._items[key] = (value, expires)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return expires

    def clear(self):
        with self._lock:
            self._items.clear()


def etag_of(body):
    return "p-" + hashlib.sha256(body).hexdigest()[:32]


def _page_key(referrer_origin):
    """What a page may differ by: its path, its whole query string (``lang``, ``origin``,
    ``ref``, ``back``, ``currency``: every choice a page shows is in its address), the language
    (from ``Accept-Language`` when the address names none), the framing page's origin taken from
    the Referer (when the address names none) and the host (the campaign page tells its own
    origin from an ally's). Nothing else about a request reaches these pages."""
    query = tuple(sorted(request.args.items(multi=True)))
    return request.path, query, str(get_locale()), referrer_origin, request.host_url


def _vary(response, referrer_used):
    """Only what the page really varies on, and only when it does: the language comes from
    ``Accept-Language`` only when the address has no valid ``?lang``; the framing origin from the
    Referer only when it has no ``?origin`` (a plain ``<iframe>`` snippet; the loader always
    passes one). No cookie, no session, nothing else of the request is read."""
    from .validation import LANGUAGES

    if request.args.get("lang") not in LANGUAGES:
        response.vary.add("Accept-Language")
    if referrer_used:
        response.vary.add("Referer")


def not_modified(etag):
    """Whether the reader's ``If-None-Match`` names ``etag`` (strong comparison)."""
    return request.if_none_match.contains(etag)


def _respond(status, body, headers, etag, referrer_used):
    headers = {**headers, "Cache-Control": SHARED}
    # A reader holding the copy compressed for it names that copy's own tag (``"X:br"``): the
    # 304 is answered here with it, so a revalidation builds no page for the compression layer.
    tag = representation_tag(etag, len(body)) if status == 200 else etag
    if status == 200 and (not_modified(tag) or not_modified(etag)):
        response = current_app.response_class(status=304, headers=headers)
        response.set_etag(tag if not_modified(tag) else etag)
        response.vary.add("Accept-Encoding")
    else:
        response = current_app.response_class(body, status=status, headers=headers, mimetype="text/html")
        response.set_etag(etag)
    _vary(response, referrer_used)
    return response


def shared_page(slug, render, referrer_origin=None, referrer_used=False):
    """The page of campaign ``slug`` that ``render(campaign)`` builds (``(html, status, headers)``),
    from this process's cache while it is fresh and the campaign unchanged, as a response every
    visitor may share. An unknown campaign is a shared 404 page too (it costs one query per
    window, not one per request of a flood of views of a mistyped address)."""
    cache = _cache()
    key = _page_key(referrer_origin)
    hit, expires = cache.get(key) or (None, None)
    if hit is not None and hit[0] is None:  # an unknown campaign's page, kept for the window
        made_from(expires)
        return _respond(*hit[1:], referrer_used)
    try:
        ref = campaign_ref(slug)  # cached per process: no query within the window
    except CampaignNotFound as error:
        body = render_error(error.status, error.code, str(error.message)).get_data()
        hit = (None, error.status, body, {}, etag_of(body))
        made_from(cache.set(key, hit, current_app.config["COUNT_CACHE_SECONDS"]))
        return _respond(*hit[1:], referrer_used)
    # The page's version: the campaign's snapshot, its count and its attached files, each read
    # from this process's own cache (no query within its window), so the page is no staler than
    # each of them is anywhere else; a change committed in this process shows at once.
    version = (ref, current_count(ref.id), attachments.offered_files(ref.id))
    if hit is None or hit[0] != version:
        html, status, headers = render(find_campaign(slug))
        body = html.encode()
        hit = (version, status, body, dict(headers), etag_of(body))
        expires = cache.set(key, hit, current_app.config["COUNT_CACHE_SECONDS"])
    extensions = current_app.extensions
    made_from(expires, (extensions["msp_campaign_refs"], slug, version[0]),
               (extensions["msp_counts"], ref.id, version[1]), (extensions["msp_campaign_files"], ref.id, version[2]))
    return _respond(*hit[1:], referrer_used)


def _cache():
    """This app's cache, made on first use (one per app: tests build several in one process)."""
    cache = current_app.extensions.get("msp_page_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("msp_page_cache", PageCache())
    return cache
