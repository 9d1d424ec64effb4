"""Compressed responses (widget_service/compression.py): Brotli or gzip for what every visitor gets
the same, each representation with its own strong ETag, each body compressed once per process;
never a page made for one visitor, a range, a tiny body or a stream."""
import gzip
from pathlib import Path

import brotli
import flask_compress.flask_compress
import pytest
from flask import Response

from widget_service import compression

STATIC = Path(compression.__file__).resolve().parent / "static"
BOTH = {"Accept-Encoding": "gzip, deflate, br"}  # what browsers send
GZIP = {"Accept-Encoding": "gzip"}
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


def vary(response):
    return {word.strip().lower() for word in response.headers.get("Vary", "").split(",")}


@pytest.mark.parametrize("path", ["/embed.js", "/static/widget.css?v=1", "/static/widget.js?v=1", "/api/v1/openapi.json", "/c/{slug}?lang=ur"])
def test_what_everyone_gets_the_same_is_smaller_on_the_wire_and_decodes_to_the_same_body(client, campaign, path):
    path = path.format(slug=campaign)
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    for headers, encoding in ((BOTH, "br"), (GZIP, "gzip")):
        response = client.get(path, headers=headers)
        assert response.headers["Content-Encoding"] == encoding
        assert int(response.headers["Content-Length"]) == len(response.data) < len(plain.data) * 0.6
        assert DECODE[encoding](response.data) == plain.data
        assert "accept-encoding" in vary(response)
    assert "accept-encoding" in vary(plain)  # a cache must not hand the plain body to a gzip client


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_widget_pages_every_visitor_shares_go_compressed_and_revalidate(client, campaign, lang):
    for kind in ("petition", "actions", "coordinator", "notify"):
        path = f"/widgets/{campaign}/{kind}?lang={lang}"
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        zipped = client.get(path, headers=GZIP)
        assert "public" in zipped.headers["Cache-Control"] and zipped.headers["Content-Encoding"] == "gzip", kind
        assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data) * 0.5, kind
        assert zipped.headers["ETag"] != plain.headers["ETag"] and "accept-encoding" in vary(zipped)
        again = client.get(path, headers={**GZIP, "If-None-Match": zipped.headers["ETag"]})
        assert again.status_code == 304 and again.headers["ETag"] == zipped.headers["ETag"], kind


def test_each_representation_has_its_own_strong_etag_and_revalidates_with_it(client):
    etags = {}
    for encoding in ("identity", "gzip", "br"):
        response = client.get("/embed.js", headers={"Accept-Encoding": encoding})
        etags[encoding] = response.headers["ETag"]
        assert not etags[encoding].startswith("W/")
        again = client.get("/embed.js", headers={"Accept-Encoding": encoding, "If-None-Match": etags[encoding]})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etags[encoding] and "accept-encoding" in vary(again)
    assert len(set(etags.values())) == 3, etags
    # A client that now takes Brotli, holding the gzip body, gets the Brotli body, not a 304.
    switched = client.get("/embed.js", headers={"Accept-Encoding": "br", "If-None-Match": etags["gzip"]})
    assert switched.status_code == 200 and brotli.decompress(switched.data)


def test_head_says_what_get_would_send_without_a_body(client):
    got = client.get("/static/widget.css?v=1", headers=GZIP)
    head = client.head("/static/widget.css?v=1", headers=GZIP)
    assert head.status_code == 200 and head.data == b""
    for header in ("Content-Encoding", "Content-Length", "ETag", "Vary"):
        assert head.headers[header] == got.headers[header]


def test_a_range_is_of_the_uncompressed_file(client):
    with client.get("/static/widget.css?v=1", headers={**GZIP, "Range": "bytes=0-99"}) as response:
        assert response.status_code == 206 and "Content-Encoding" not in response.headers
        assert response.data == (STATIC / "widget.css").read_bytes()[:100]
        assert "accept-encoding" in vary(response)


def test_static_assets_and_the_loader_are_compressed_once_not_per_request(client, monkeypatch):
    calls = []
    real = flask_compress.flask_compress._compress_data
    monkeypatch.setattr(flask_compress.flask_compress, "_compress_data", lambda *args: calls.append(args[2]) or real(*args))
    for _ in range(5):
        for headers in (BOTH, GZIP):
            for path in ("/static/widget.css?v=1", "/static/widget.js?v=1", "/embed.js"):
                assert client.get(path, headers=headers).headers["Content-Encoding"]
    assert sorted(calls) == ["br"] * 3 + ["gzip"] * 3


def test_tiny_bodies_go_as_they_are(client, campaign):
    response = client.get(f"/api/v1/campaigns/{campaign}/count", headers=BOTH)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.get_json()["goal"] == 1000


def test_a_page_made_for_one_visitor_is_never_compressed(client):
    # The console's sign-in page carries its visitor's CSRF token (no-store): compressed next to
    # anything an attacker can put in the request, its size could give the token away (BREACH).
    response = client.get("/console/sign-in", headers=BOTH)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert len(response.data) > compression.MIN_SIZE and b"csrf_token" in response.data
    assert "Content-Encoding" not in response.headers and "accept-encoding" not in vary(response)


def test_streams_and_errors_go_as_they_are(make_app):
    app = make_app()

    @app.get("/test-stream")
    def stream():
        chunks = (b"<p>event</p>" * 200 for _ in range(3))
        return Response(chunks, mimetype="text/html", headers={"Cache-Control": "public, max-age=60"})

    client = app.test_client()
    streamed = client.get("/test-stream", headers=BOTH)
    assert "Content-Encoding" not in streamed.headers and streamed.data == b"<p>event</p>" * 600
    missing = client.get("/api/v1/campaigns/no-such-campaign", headers=BOTH)
    assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
