"""The loader, GET /embed.js: a fixed URL, so a short cache revalidated by ETag."""
import hashlib
from pathlib import Path

import rjsmin
from flask import Blueprint, Response, current_app, request

bp = Blueprint("embed", __name__)

LOADER_PATH = Path(__file__).resolve().parents[2] / "embed" / "embed.js"
LOADER_MAX_AGE = 300


def read_loader():
    """The loader as served: minified once (comments and spaces out, names kept, so what runs
    still reads like ``embed/embed.js``), and its ETag."""
    served = rjsmin.jsmin(LOADER_PATH.read_text(encoding="utf-8"), keep_bang_comments=True).encode()
    return served, hashlib.sha256(served).hexdigest()[:16]


@bp.record_once
def load(state):
    # Read once at start-up: every request serves the same bytes with the same ETag.
    state.app.extensions["msp_loader"] = read_loader()


@bp.get("/embed.js")
def loader():
    source, etag = current_app.extensions["msp_loader"]
    response = Response(source, mimetype="text/javascript")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)
