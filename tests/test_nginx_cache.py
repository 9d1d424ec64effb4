"""The shared cache of the documented deployment (issue 14, item 7): nginx from
``deploy/nginx/msp-widgets.conf``, its ``proxy_cache`` included, in front of the service under
real gunicorn on PostgreSQL (the fixtures' way of tests/test_slow_clients.py). Widget pages, the
campaign page and the count are kept and served by nginx, the origin seeing one request for many
views (counted in gunicorn's own access log); signing, form tokens and the console pass through,
never kept; and with the origin stopped nginx goes on serving its copies (the page within its
max-age; the count past it, as the file's proxy_cache_use_stale allows; a page past its max-age,
as its own Cache-Control allows, which takes a minute to show).
"""
import time
from urllib.parse import quote

import pytest
import requests

from widget_service.extensions import db
from widget_service.models import Signature

from .builders import make_campaign, signature
from .gunicorn_instance import Gunicorn
from .test_slow_clients import nginx_in_front

SLUG = "cached-pages"
SECRET_KEY = "c" * 48
PAGE = f"/widgets/{SLUG}/petition"
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def origin(database_url, make_app, tmp_path):
    """The service under gunicorn (one worker) on this test's schema, its access log kept."""
    url, options = database_url
    schema = options["connect_args"]["options"].split("=", 1)[1]
    with make_app().app_context():
        make_campaign(slug=SLUG)
    log_dir = tmp_path / "gunicorn"
    log_dir.mkdir()
    instance = Gunicorn({
        "WIDGET_ENV": "production", "WIDGET_SECRET_KEY": SECRET_KEY,
        "WIDGET_DATABASE_URL": f"{url}?options={quote(f'-csearch_path={schema}')}", "WIDGET_REDIS_URL": "",
        "WIDGET_TRUSTED_PROXIES": "1", "WIDGET_PUBLIC_URL": "https://widgets.example.org",
        "WIDGET_LOG_LEVEL": "WARNING", "WIDGET_FORM_MIN_SECONDS": "0", "WIDGET_CONFIRM_SIGNATURES": "false",
        "GUNICORN_THREADS": "4",
    }, log_dir)
    yield instance
    instance.stop()


@pytest.fixture
def cache(origin, tmp_path):
    with nginx_in_front(int(origin.url.rsplit(":", 1)[1]), tmp_path / "nginx") as proxy:
        proxy.session = requests.Session()
        proxy.session.verify, proxy.session.trust_env = proxy.cert, False
        yield proxy


def origin_saw(origin, method, path, expecting):
    """How many requests for ``path`` (without its query: the access log keeps none) gunicorn
    logged. It logs a request just after answering it, so while it has fewer than ``expecting``
    the log is read again, for at most 5 s."""
    deadline = time.monotonic() + 5
    while (count := origin.access_log.read_text().count(f'"{method} {path}" ')) < expecting:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return count


def get(proxy, path, **headers):
    return proxy.session.get(proxy.url + path, headers={"Accept-Encoding": "gzip", **headers}, timeout=10)


def until(predicate, what, seconds):
    """Poll ``predicate`` (every 0.2 s) until it answers something true, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.2)


def test_nginx_keeps_the_pages_and_the_count_and_passes_the_rest_through(cache, origin, make_app):
    english, urdu = f"{PAGE}?lang=en&origin=https://ally.example.org", f"{PAGE}?lang=ur&origin=https://ally.example.org"
    first = get(cache, english)
    assert (first.status_code, first.headers["X-Cache-Status"]) == (200, "MISS")
    assert first.headers["Content-Encoding"] == "gzip" and 'lang="en"' in first.text

    # Views by other visitors (other languages of their browsers, other addresses): nginx's copy.
    views = [get(cache, english, **{"Accept-Language": language, "User-Agent": f"Visitor/{n}"})
             for n, language in enumerate(["ur", "en", "de"] * 10)]
    assert {(view.status_code, view.headers["X-Cache-Status"]) for view in views} == {(200, "HIT")}
    assert {view.content for view in views} == {first.content}, "byte-identical to the first"
    assert {view.headers["ETag"] for view in views} == {first.headers["ETag"]}
    assert origin_saw(origin, "GET", PAGE, 1) == 1, "31 views, one request to the origin"

    # A browser holding the copy revalidates it with its ETag: nginx answers 304 itself.
    again = get(cache, english, **{"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.content, again.headers["X-Cache-Status"]) == (304, b"", "HIT")

    # The Urdu page is a copy of its own, then served from the cache too.
    ur = [get(cache, urdu) for _ in range(3)]
    assert [view.headers["X-Cache-Status"] for view in ur] == ["MISS", "HIT", "HIT"]
    assert 'lang="ur"' in ur[0].text and ur[0].content == ur[2].content != first.content
    assert origin_saw(origin, "GET", PAGE, 2) == 2
    # Without `lang` the page is in the reader's language (Vary: Accept-Language): a copy per language.
    by_language = {language: [get(cache, PAGE + "?origin=https://ally.example.org", **{"Accept-Language": language})
                              for _ in range(2)] for language in ("ur", "en")}
    for language, (one, two) in by_language.items():
        assert f'lang="{language}"' in one.text and one.content == two.content, language
        assert (one.headers["X-Cache-Status"], two.headers["X-Cache-Status"]) == ("MISS", "HIT"), language

    # The count is kept too (for its max-age of 3 s).
    counts = [get(cache, f"/api/v1/campaigns/{SLUG}/count") for _ in range(5)]
    assert counts[0].json()["signatures"] == 0
    # Five in a row take well under its 3 s, but a loaded machine may stall one past it.
    assert [count.headers["X-Cache-Status"] for count in counts].count("HIT") >= 3
    assert origin_saw(origin, "GET", f"/api/v1/campaigns/{SLUG}/count", 1) <= 2

    # Signing passes through, every time, and is never answered from the cache.
    with make_app(create_schema=False, SECRET_KEY=SECRET_KEY).app_context():
        def stored():
            return db.session.query(Signature).count()

        before = stored()
        for n in range(2):
            signed = cache.session.post(f"{cache.url}/api/v1/campaigns/{SLUG}/signatures", timeout=10,
                                        json=signature(email=f"via-cache{n}@example.org"))
            assert signed.status_code == 202 and "X-Cache-Status" not in signed.headers, signed.text
        # The form token (a POST, no-store) and the no-JavaScript form's post, to the page's own address.
        tokens = [cache.session.post(f"{cache.url}/api/v1/campaigns/{SLUG}/form-tokens/petition", timeout=10)
                  for _ in range(2)]
        assert [token.status_code for token in tokens] == [200, 200]
        assert tokens[0].json()["form_token"] != tokens[1].json()["form_token"], "each its own, none kept"
        assert all("X-Cache-Status" not in token.headers for token in tokens)
        fields = {"name": "No Script", "email": "no-script@example.org", "country": "PK",
                  "form_token": tokens[0].json()["form_token"]}
        posted = cache.session.post(cache.url + english, data=fields, timeout=10)
        assert posted.status_code == 200 and posted.headers["Cache-Control"] == "no-store", posted.text[:300]
        assert "X-Cache-Status" not in posted.headers
        db.session.remove()
        assert stored() == before + 3, "both signatures and the form's reached the database"
    assert origin_saw(origin, "POST", f"/api/v1/campaigns/{SLUG}/signatures", 2) == 2
    assert origin_saw(origin, "POST", f"/api/v1/campaigns/{SLUG}/form-tokens/petition", 2) == 2
    assert origin_saw(origin, "POST", PAGE, 1) == 1
    assert get(cache, english).content == first.content, "the kept page is unchanged by a post to its address"

    # The console sets a cookie: never kept, each visitor gets their own.
    sign_in = [requests.get(f"{cache.url}/console/sign-in", verify=cache.cert, timeout=10) for _ in range(2)]
    assert [page.status_code for page in sign_in] == [200, 200]
    assert all("X-Cache-Status" not in page.headers for page in sign_in)
    assert sign_in[0].headers["Set-Cookie"] != sign_in[1].headers["Set-Cookie"]
    assert origin_saw(origin, "GET", "/console/sign-in", 2) == 2

    # The origin stops: nginx serves its copies, the page fresh (60 s), the count stale past its 3 s.
    origin.stop()
    down = get(cache, english)
    assert (down.status_code, down.headers["X-Cache-Status"], down.content) == (200, "HIT", first.content)
    assert get(cache, "/healthz").status_code == 502, "the origin is down indeed"

    def stale_count():
        answer = get(cache, f"/api/v1/campaigns/{SLUG}/count")
        return answer if answer.headers.get("X-Cache-Status") == "STALE" else None

    count = until(stale_count, "the count served stale past its max-age", 15)
    assert (count.status_code, count.content) == (200, counts[0].content), "the copy nginx kept"


def test_with_the_origin_down_nginx_serves_a_page_past_its_max_age(cache, origin):
    """The page's own Cache-Control (stale-while-revalidate=60, stale-if-error=86400) lets nginx
    serve it once it has expired while the origin is down: no proxy_cache_use_stale is needed for
    the pages. Takes the page's 60 s max-age to show."""
    page = f"{PAGE}?lang=ur&origin=https://ally.example.org"
    kept = get(cache, page)
    assert (kept.status_code, kept.headers["X-Cache-Status"]) == (200, "MISS")
    origin.stop()

    def stale():
        answer = get(cache, page)
        assert (answer.status_code, answer.content) == (200, kept.content), "the kept page, until and after it expires"
        return answer if answer.headers["X-Cache-Status"] == "STALE" else None

    until(stale, "the page served stale past its max-age", 60 + 30)
    assert get(cache, f"{PAGE}?lang=en").status_code == 502, "a page nginx never kept is an error"
