"""GET /embed.js: small, cached briefly, revalidated by ETag; its starting heights. What it loads
later (GET /embed/modal.js), and the counter widget (GET /widgets/<slug>/counter)."""
import re

from demo import allied_site
from widget_service.campaigns import close_campaign, find_campaign
from widget_service.views.embed import HEIGHTS, LOADER_PATH, NARROW, SCRIPTS_DIR, WIDE, reserved_height

LOADER_BUDGET = 1500  # bytes, gzipped: 1.5 KB however a reader counts a kilobyte


def test_loader_is_javascript_with_a_short_cache_and_an_etag(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    etag = response.headers["ETag"]
    again = client.get("/embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_loader_fits_its_budget_as_served(client):
    served = client.get("/embed.js", headers={"Accept-Encoding": "gzip"})
    assert served.headers["Content-Encoding"] == "gzip"
    size = len(served.data)
    assert size <= LOADER_BUDGET, f"embed.js is {size} bytes gzipped, budget {LOADER_BUDGET}"


def test_loader_checks_origins_and_never_posts_to_any_origin(client):
    """Its messages count only from the service's origin and from the frame's own window (the
    names are shortened as served: the source says which they are)."""
    source = LOADER_PATH.read_text(encoding="utf-8")
    assert "e.origin !== origin" in source and "f.contentWindow !== e.source" in source
    for path in ("/embed.js", "/embed/modal.js"):
        served = client.get(path).data.decode()
        assert re.search(r"\b\w\.origin[!=]==\w\b", served), path
        assert re.search(r"\.contentWindow[!=]==\w\.source|\.source[!=]==\w(\[0\])?\.contentWindow", served), path
        assert "'*'" not in served and "postMessage" not in served, path


def test_loader_is_served_minified_from_its_readable_source(client):
    source = LOADER_PATH.read_text(encoding="utf-8")
    served = client.get("/embed.js").data.decode()
    assert "/*" not in served and "// " not in served and "\n" not in served.strip()
    assert "var frames" in source and "var frames" not in served  # local names shortened
    assert len(served) < len(source) * 0.6


def test_what_the_loader_loads_later_is_versioned_and_kept_long(client):
    loader = client.get("/embed.js").data.decode()
    [version] = re.findall(r"\.js\?v=([0-9a-f]{8})'", loader)
    current = client.get(f"/embed/modal.js?v={version}")
    assert current.status_code == 200 and current.mimetype == "text/javascript"
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert current.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "showModal" in current.data.decode() and "// " not in current.data.decode()
    # Any other version (an old loader's, none) is kept briefly: it may change under that address.
    for query in ("", "?v=00000000"):
        assert client.get(f"/embed/modal.js{query}").headers["Cache-Control"] == "public, max-age=300"
    again = client.get(f"/embed/modal.js?v={version}", headers={"If-None-Match": current.headers["ETag"]})
    assert again.status_code == 304
    assert len((SCRIPTS_DIR / "modal.js").read_text(encoding="utf-8")) > len(current.data) * 1.5


def test_the_loader_starts_each_kind_at_the_heights_the_service_gives_snippets():
    """embed/embed.js's KINDS and widget_service/views/embed.py's HEIGHTS are one table in two
    languages, and the demo ally's placeholders reserve what the service says they should."""
    source = LOADER_PATH.read_text(encoding="utf-8")
    for kind, ((narrow_en, narrow_ur), (wide_en, wide_ur)) in HEIGHTS.items():
        assert re.search(rf"{kind}: \[[^\]]*, {narrow_en}, {narrow_ur}, {wide_en}, {wide_ur}\]", source), kind
        for lang in ("en", "ur"):
            if (kind, lang) in allied_site.RESERVED:  # the demo ally embeds the counter nowhere
                assert allied_site.RESERVED[kind, lang] == reserved_height(kind, lang)
    assert len(re.findall(r"^    \w+: \[", source, re.M)) == len(HEIGHTS)


def test_the_space_reserved_follows_the_screens_width_between_the_two_heights():
    assert reserved_height("petition", "en") == "clamp(804px, calc(1094px - 40.25vw), 965px)"
    for kind in HEIGHTS:
        for lang, index in (("en", 0), ("ur", 1)):
            narrow, wide = HEIGHTS[kind][0][index], HEIGHTS[kind][1][index]
            low, intercept, per_vw, high = map(float, re.findall(r"[\d.]+", reserved_height(kind, lang)))
            assert (low, high) == (wide, narrow)
            assert abs(intercept - per_vw * NARROW / 100 - narrow) < 1 and abs(intercept - per_vw * WIDE / 100 - wide) < 1


def test_the_counter_shows_the_count_the_goal_and_a_link_to_sign_in_a_new_tab(client, widget, campaign):
    for _ in range(3):
        assert widget.sign(campaign).status_code == 202
    page = client.get(f"/widgets/{campaign}/counter?origin=https://ally.example.org&ref=demo-ally")
    assert page.status_code == 200
    html = page.data.decode()
    assert re.search(r"<strong data-count>3</strong>", html) and "Goal: 1,000" in html
    assert '<progress max="1000" value="3"' in html
    [link] = re.findall(r'<a class="button" href="([^"]+)" target="_blank" rel="noopener">Sign the petition', html)
    assert re.fullmatch(rf"http://localhost/c/{campaign}\?ref=demo-ally.+counter", link), link
    assert "(opens in a new tab)" in html
    # Shared like every widget page: kept by browsers and caches, a 304 for a reader who has it.
    assert page.headers["Cache-Control"].startswith("public, max-age=")
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    again = client.get(f"/widgets/{campaign}/counter?origin=https://ally.example.org&ref=demo-ally",
                       headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304


def test_the_counter_in_urdu_reads_right_to_left(client, campaign):
    html = client.get(f"/widgets/{campaign}/counter?lang=ur").data.decode()
    assert '<html lang="ur" dir="rtl"' in html
    assert "پٹیشن پر دستخط کریں" in html and "(نئے ٹیب میں کھلتا ہے)" in html and "ہدف:" in html
    assert f"/c/{campaign}?lang=ur" in html


def test_a_closed_campaigns_counter_says_so_and_an_unknown_one_is_a_404(app, client, campaign):
    with app.app_context():
        close_campaign(find_campaign(campaign))
    html = client.get(f"/widgets/{campaign}/counter").data.decode()
    assert "This petition is closed" in html and 'class="button"' not in html
    assert client.get("/widgets/no-such-campaign/counter").status_code == 404
