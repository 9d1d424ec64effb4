"""The loader, GET /embed.js (a fixed URL, so a short cache revalidated by ETag), the code it loads
only when a page needs it (GET /embed/modal.js, versioned and kept long), and the counter widget."""
import hashlib
from pathlib import Path

from calmjs.parse import es5
from calmjs.parse.unparsers.es5 import minify_print
from flask import Blueprint, Response, current_app, request
from flask_babel import get_locale

from ..sharing import campaign_url, share_ref
from .widgets import render_widget, shared_widget

bp = Blueprint("embed", __name__)

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "embed"
LOADER_PATH = SCRIPTS_DIR / "embed.js"
LATER = ("modal",)  # embed/NAME.js, loaded by the loader only for a page that needs it
LOADER_MAX_AGE = 300
VERSIONED_MAX_AGE = 365 * 86400
VERSION_MARK = "VERSION"  # where the loader's source asks for the version of what it loads

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
    "counter": ((132, 157), (132, 157)),
}


def reserved_height(kind, lang):
    """The CSS ``min-height`` a snippet's placeholder gives itself, so the space is there before the
    loader has even arrived: the loader's line, drawn over the screen's width (``vw``: what CSS
    knows before any script), between the narrow and the wide height. The loader then starts its
    frame at exactly the height reserved."""
    narrow, wide = (heights[lang == "ur"] for heights in HEIGHTS[kind])
    slope = (narrow - wide) / (WIDE - NARROW)  # px of height per px of width
    return f"clamp({wide}px, calc({narrow + slope * NARROW:.0f}px - {slope * 100:.2f}vw), {narrow}px)"


def minify(path):
    """``path``'s script as served: calmjs.parse's minifier, which also gives local names one
    letter (the loader's budget), so the readable, commented source is the only one kept."""
    return minify_print(es5(path.read_text(encoding="utf-8")), obfuscate=True, obfuscate_globals=False)


def read_scripts():
    """``{path: (bytes, etag)}``: the loader and what it loads later, minified once. The loader
    names the later scripts' version (a hash of them), so they can be kept long."""
    later = {name: minify(SCRIPTS_DIR / f"{name}.js").encode() for name in LATER}
    version = hashlib.sha256(b"".join(later.values())).hexdigest()[:8]
    loader = minify(LOADER_PATH)
    assert loader.count(VERSION_MARK) == 1, "embed/embed.js names the version of what it loads once"
    scripts = {"loader": loader.replace(VERSION_MARK, version).encode(), **later}
    return {name: (body, hashlib.sha256(body).hexdigest()[:16]) for name, body in scripts.items()}, version


@bp.record_once
def load(state):
    # Read once at start-up: every request serves the same bytes with the same ETag.
    state.app.extensions["msp_loader"] = read_scripts()


def script(name, max_age):
    source, etag = current_app.extensions["msp_loader"][0][name]
    response = Response(source, mimetype="text/javascript")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)


@bp.get("/embed.js")
def loader():
    return script("loader", LOADER_MAX_AGE)


@bp.get("/embed/modal.js")
def modal():
    """The button layout's dialog. Kept long when asked for at the version this loader names
    (a new version is a new address), else briefly."""
    current = request.args.get("v") == current_app.extensions["msp_loader"][1]
    response = script("modal", VERSIONED_MAX_AGE if current else LOADER_MAX_AGE)
    if current:
        response.headers["Cache-Control"] += ", immutable"
    return response


@bp.get("/widgets/<slug>/counter")
def counter(slug):
    """The counter: a badge with the live count, the goal and a link to sign on the campaign page.
    A shared page like every widget's (``page_cache``): a view costs no query in the common case."""
    def render(campaign, context):
        sign_url = campaign_url(campaign.slug, str(get_locale()), share_ref(context["ref"], "counter"))
        return render_widget(campaign, "widget/counter.html", shared=True, sign_url=sign_url, **context)

    return shared_widget(slug, render)
