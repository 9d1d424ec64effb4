"""An ally's look for the widget pages: accent colour, light/dark/auto, corner radius, type.

The loader passes a snippet's ``data-accent``, ``data-theme``, ``data-radius`` and ``data-font``
as the iframe's ``?accent=&theme=&radius=&font=``. What is invalid is ignored (the default),
never refused and never reflected: the page only ever holds colours and numbers written here.

Whatever accent an ally picks, the widget keeps WCAG AA (4.5:1): the button's label is black or
white, whichever reads better on the accent (one of them always reaches 4.58:1), and the
accent's text (links, headings of details, the progress bar) is the accent made darker (light
page) or lighter (dark page) in OKLab, its hue kept, until it reaches 4.5:1 on the page.

The page gets the result as one ``<style>`` element whose SHA-256 the page's CSP names
(``style-src 'sha256-...'``): the same bytes for every visitor of the same choice, so shared
pages stay shared, and no extra request for a phone on a slow line.
"""
import base64
import hashlib
import math
import re
from dataclasses import dataclass

AA = 4.5
TARGET = 4.6  # aimed at, a little above AA: browsers and checkers round colours their own way
DEFAULT_ACCENT = "#0b6e4f"
DEFAULT_RADIUS = 6
RADIUS_MAX = 24
THEMES = ("light", "dark", "auto")
FONTS = ("system", "serif")
LAYOUTS = ("full", "compact")  # any other layout (the loader's "button") is the full page
# The backgrounds accent text is read on (widget.css: --bg and --soft, the thank-you's, of the
# light and the dark palette). Text made to read on the darker (light page) or the lighter (dark
# page) of each two reads on the other as well.
LIGHT_BG, LIGHT_SOFT = "#ffffff", "#eef7f2"
DARK_BG, DARK_SOFT = "#16191d", "#1f2428"

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


# --- colour arithmetic ---------------------------------------------------------------------

def parse_hex(text):
    """``#rgb``, ``rgb``, ``#rrggbb`` or ``rrggbb`` as ``#rrggbb`` (lower case), else None."""
    if not isinstance(text, str):
        return None
    match = _HEX.fullmatch(text.strip())
    if not match:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def _hex(rgb):
    return "#" + "".join(f"{round(min(1.0, max(0.0, c)) * 255):02x}" for c in rgb)


def _linear(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _gamma(c):
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def luminance(hex_colour):
    """WCAG 2 relative luminance."""
    r, g, b = (_linear(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _to_oklab(hex_colour):
    r, g, b = (_linear(c) for c in _rgb(hex_colour))
    l = 0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b
    m = 0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b
    s = 0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b
    l, m, s = (math.copysign(abs(v) ** (1 / 3), v) for v in (l, m, s))
    return (
        0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
        1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
        0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s,
    )


def _from_oklab(lightness, a, b):
    l = (lightness + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m = (lightness - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s = (lightness - 0.0894841775 * a - 1.2914855480 * b) ** 3
    rgb = (
        4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
        -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
        -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s,
    )
    return _hex(tuple(_gamma(c) for c in rgb))


def readable_on(colour, background, ratio=TARGET):
    """``colour`` as text on ``background`` with at least ``ratio``: unchanged when it has it,
    else its OKLab lightness moved away from the background's (hue and chroma kept as far as
    sRGB allows) just far enough. At the far end it is black or white, which always reach 4.5:1
    on the two page backgrounds, so it never fails."""
    if contrast(colour, background) >= ratio:
        return colour
    lightness, a, b = _to_oklab(colour)
    end = 0.0 if luminance(background) > 0.18 else 1.0  # darker on a light page, lighter on a dark one
    near, far = lightness, end
    best = _hex((end, end, end))
    for _ in range(24):  # bisection on lightness: ~1e-7 of the range, far below one sRGB step
        mid = (near + far) / 2
        candidate = _from_oklab(mid, a * _chroma_kept(mid, end), b * _chroma_kept(mid, end))
        if contrast(candidate, background) >= ratio:
            far, best = mid, candidate
        else:
            near = mid
    return best


def _chroma_kept(lightness, end):
    # Near black or white there is no room for colour: fade the chroma out over the last 15%.
    return min(1.0, abs(lightness - end) / 0.15)


def label_on(background):
    """Black or white text, whichever reads better on ``background``; white where both pass
    (the usual look of a coloured button)."""
    white, black = contrast("#ffffff", background), contrast("#000000", background)
    return "#ffffff" if white >= AA or white >= black else "#000000"


# --- the choice ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Theme:
    accent: str | None = None  # "#rrggbb"
    theme: str = "light"
    radius: int | None = None
    font: str = "system"

    @classmethod
    def from_args(cls, args):
        """The look asked for in a query (``accent``, ``theme``, ``radius``, ``font``); anything
        invalid is the default."""
        theme = args.get("theme")
        font = args.get("font")
        radius = args.get("radius")
        try:
            radius = min(RADIUS_MAX, max(0, int(radius))) if radius is not None and len(radius) <= 4 else None
        except ValueError:
            radius = None
        return cls(
            accent=parse_hex(args.get("accent")),
            theme=theme if theme in THEMES else "light",
            radius=radius,
            font=font if font in FONTS else "system",
        )

    def query(self):
        """The canonical query pairs of this look (what the links inside the widget carry on)."""
        pairs = []
        if self.accent:
            pairs.append(("accent", self.accent[1:]))
        if self.theme != "light":
            pairs.append(("theme", self.theme))
        if self.radius is not None:
            pairs.append(("radius", str(self.radius)))
        if self.font != "system":
            pairs.append(("font", self.font))
        return pairs

    def classes(self):
        """The ``<html>`` element's classes: the dark palette and the serif type live in widget.css."""
        names = []
        if self.theme != "light":
            names.append(f"theme-{self.theme}")
        if self.font == "serif":
            names.append("font-serif")
        return " ".join(names)

    def palette(self):
        """The colours worked out for this accent: what the button and the text use, on each
        page background. All of them meet 4.5:1 where they are read."""
        accent = self.accent or DEFAULT_ACCENT
        return {
            "accent": accent,
            "on_accent": label_on(accent),
            "light_text": readable_on(accent, LIGHT_SOFT),
            "dark_text": readable_on(accent, DARK_SOFT),
        }

    def css(self):
        """The ``<style>`` element's text, or "" for today's look (which widget.css holds)."""
        if self.accent is None and self.theme == "light" and self.radius is None:
            return ""
        p = self.palette()
        rules = [f"--accent:{p['accent']};--on-accent:{p['on_accent']};--brand:{p['light_text']}"]
        if self.radius is not None:
            rules.append(f"--radius:{self.radius}px")
        css = ":root{" + ";".join(rules) + "}"
        dark = "{--brand:" + p["dark_text"] + "}"
        if self.theme == "dark":
            css += ":root.theme-dark" + dark
        elif self.theme == "auto":
            css += "@media (prefers-color-scheme:dark){:root.theme-auto" + dark + "}"
        return css


def style_hash(css):
    """The CSP source that allows exactly this ``<style>`` element's text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def allow_style(csp, css):
    """``csp`` with ``css``'s hash added to its ``style-src``."""
    if not css:
        return csp
    return re.sub(r"(style-src [^;]*)", lambda m: f"{m.group(1)} {style_hash(css)}", csp, count=1)


def layout(args):
    value = args.get("layout")
    return value if value in LAYOUTS else "full"
