"""The share image of a campaign with none attached: a 1200x630 PNG drawn with Pillow.

English is drawn in Pillow's bundled font, so an English card needs no system fonts. Urdu needs
an Urdu font and shaping (Pillow's libraqm layout): the card is drawn in Noto Nastaliq Urdu
(or Noto Naskh Arabic) where the system has it (Debian's ``fonts-noto-core``), so the Urdu page
shares an Urdu card; without such a font, or without libraqm, the Urdu page shares the English
card. A campaign with no text in a language shows its slug. MSP can attach a designed image
instead (``flask campaigns attach SLUG image FILE``).
"""
import hashlib
import io
from functools import lru_cache
from pathlib import Path

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
BRAND, INK, PALE = (11, 110, 79), (255, 255, 255), (214, 236, 226)
VERSION = "2"  # change when the drawing changes, so caches and previews pick up the new card
FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"), Path("/usr/share/fonts/opentype/noto"))
# Urdu is written in Nastaliq; Naskh is the fallback every Arabic-script reader knows.
URDU_FONTS = ("NotoNastaliqUrdu-Regular.ttf", "NotoNaskhArabic-Regular.ttf")
# What the card says besides the title, per language (the same words as the page's).
LABELS = {
    "en": ("Minority Support Pakistan", "Sign the petition"),
    "ur": ("مائنارٹی سپورٹ پاکستان", "پٹیشن پر دستخط کریں"),
}


@lru_cache(maxsize=1)
def urdu_font_path():
    """The first Urdu font installed, when Pillow can shape text with it; else None."""
    from PIL import features

    if not features.check("raqm"):
        return None
    for folder in FONT_DIRS:
        for name in URDU_FONTS:
            if (folder / name).is_file():
                return str(folder / name)
    return None


def card_language(lang):
    """The language a card for a page in ``lang`` is drawn in: Urdu when it can be, else English."""
    return "ur" if lang == "ur" and urdu_font_path() else "en"


def card_title(campaign, lang="en"):
    """The title a card in ``lang`` (from ``card_language``) shows."""
    text = next((text for text in campaign.texts if text.lang == lang), None)
    return text.title if text else campaign.slug


def card_etag(title, lang="en"):
    font = urdu_font_path() if lang == "ur" else ""
    return hashlib.sha256(f"{VERSION}\n{lang}\n{font}\n{title}".encode()).hexdigest()[:32]


@lru_cache(maxsize=64)
def card_png(title, lang="en"):
    """The card for ``title`` in ``lang`` ("en", or "ur" when ``card_language`` allows it);
    drawn once per process, title and language."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), BRAND)
    draw = ImageDraw.Draw(image)
    org, call = LABELS[lang]
    if lang == "ur":
        path = urdu_font_path()

        def font_of(size):
            return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)

        # Right-aligned, right to left; Nastaliq needs about twice its size per line.
        x, anchor, options, sizes, spacing = WIDTH - MARGIN, "ra", {"direction": "rtl", "language": "ur"}, (72, 64, 56, 48, 42, 36), 1.9
        small = font_of(30)
    else:
        def font_of(size):
            return ImageFont.load_default(size=size)

        x, anchor, options, sizes, spacing = MARGIN, "la", {}, (84, 74, 64, 56, 48, 42), 1.2
        small = font_of(34)
    draw.text((x, 60), org, font=small, fill=PALE, anchor=anchor, **options)
    # The largest size at which the title fits in the lines the card has room for.
    room = 4 if lang == "en" else 3
    for size in sizes:
        font = font_of(size)
        lines = _wrap(draw, title, font, WIDTH - 2 * MARGIN, options)
        if len(lines) <= room:
            break
    lines = lines[:room]
    line_height = int(size * spacing)
    top = (HEIGHT - 110 - line_height * len(lines)) // 2 + 40
    for n, line in enumerate(lines):
        draw.text((x, top + n * line_height), line, font=font, fill=INK, anchor=anchor, **options)
    draw.rectangle((0, HEIGHT - 110, WIDTH, HEIGHT), fill=(8, 82, 59))
    draw.text((x, HEIGHT - 55), call, font=small, fill=INK, anchor=anchor[0] + "m", **options)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _wrap(draw, text, font, width, options):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font, **options) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines
