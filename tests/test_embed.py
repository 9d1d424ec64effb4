"""GET /embed.js: small, cached briefly, revalidated by ETag; its starting heights."""
import re

from demo import allied_site
from widget_service.views.embed import HEIGHTS, LOADER_PATH, NARROW, WIDE, reserved_height

LOADER_BUDGET = 1536  # bytes, gzipped


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
    served = client.get("/embed.js").data.decode()
    assert "e.origin!==origin" in served and "frames[i].contentWindow===e.source" in served
    assert "'*'" not in served


def test_loader_is_served_minified_from_its_readable_source(client):
    source = LOADER_PATH.read_text(encoding="utf-8")
    served = client.get("/embed.js").data.decode()
    assert served.startswith("/*! MSP widget loader") and "// " not in served
    assert len(served) < len(source) * 0.8 and "e.origin !== origin" in source


def test_the_loader_starts_each_kind_at_the_heights_the_service_gives_snippets():
    """embed/embed.js's KINDS and widget_service/views/embed.py's HEIGHTS are one table in two
    languages, and the demo ally's placeholders reserve what the service says they should."""
    source = LOADER_PATH.read_text(encoding="utf-8")
    for kind, ((narrow_en, narrow_ur), (wide_en, wide_ur)) in HEIGHTS.items():
        assert re.search(rf"{kind}: \[[^\]]*, {narrow_en}, {narrow_ur}, {wide_en}, {wide_ur}\]", source), kind
        for lang in ("en", "ur"):
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
