"""GET /embed.js: small, cached briefly, revalidated by ETag."""
from widget_service.views.embed import LOADER_PATH

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
