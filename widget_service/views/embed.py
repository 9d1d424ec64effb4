"""The loader, GET /embed.js: a fixed URL, so a short cache revalidated by ETag."""
import hashlib
from pathlib import Path

import rjsmin
from flask import Blueprint, Response, current_app, request

bp = Blueprint("embed", __name__)

LOADER_PATH = Path(__file__).resolve().parents[2] / "embed" / "embed.js"
LOADER_MAX_AGE = 300

# Each kind's height in px, (English, Urdu), in a column up to NARROW px wide and from WIDE px on,
# measured in Chromium with the demo campaign (tests/test_embed_browser.py checks them). The loader
# starts a frame at these (KINDS in embed/embed.js, kept equal by a test), drawing a straight line
# between the two widths, so the page barely moves when the widget reports its real height.
NARROW, WIDE = 320, 720
HEIGHTS = {
    "petition": ((965, 1258), (804, 988)),
    "actions": ((578, 719), (454, 589)),
    "coordinator": ((978, 1217), (753, 966)),
    "notify": ((541, 705), (432, 552)),
    "donate": ((1069, 1313), (799, 1041)),
}


def reserved_height(kind, lang):
    """The CSS ``min-height`` a snippet's placeholder gives itself, so the space is there before the
    loader has even arrived: the loader's line, drawn over the screen's width (``vw``: what CSS
    knows before any script), between the narrow and the wide height. The loader then starts its
    frame at exactly the height reserved."""
    narrow, wide = (heights[lang == "ur"] for heights in HEIGHTS[kind])
    slope = (narrow - wide) / (WIDE - NARROW)  # px of height per px of width
    return f"clamp({wide}px, calc({narrow + slope * NARROW:.0f}px - {slope * 100:.2f}vw), {narrow}px)"


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
