"""The share image of a campaign with none attached: a 1200x630 PNG drawn with Pillow.

It uses Pillow's bundled font, so it needs no system fonts. That font has Latin letters only
(and Urdu needs shaping, libraqm), so the card always shows the English title; a campaign with
no English text shows its slug. MSP can attach a designed image instead
(``flask campaigns attach SLUG image FILE``).
"""
import hashlib
import io
from functools import lru_cache

WIDTH, HEIGHT = 1200, 630
BRAND, INK, PALE = (11, 110, 79), (255, 255, 255), (214, 236, 226)
VERSION = "1"  # change when the drawing changes, so caches and previews pick up the new card


def card_title(campaign):
    english = next((text for text in campaign.texts if text.lang == "en"), None)
    return english.title if english else campaign.slug


def card_etag(title):
    return hashlib.sha256(f"{VERSION}\n{title}".encode()).hexdigest()[:32]


@lru_cache(maxsize=64)
def card_png(title):
    """The card for ``title``; drawn once per process and title."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), BRAND)
    draw = ImageDraw.Draw(image)
    margin = 80
    small = ImageFont.load_default(size=34)
    draw.text((margin, 70), "Minority Support Pakistan", font=small, fill=PALE)
    # The largest size at which the title fits in four lines.
    for size in (84, 74, 64, 56, 48, 42):
        font = ImageFont.load_default(size=size)
        lines = _wrap(draw, title, font, WIDTH - 2 * margin)
        if len(lines) <= 4:
            break
    lines = lines[:4]
    line_height = int(size * 1.2)
    top = (HEIGHT - line_height * len(lines)) // 2
    for n, line in enumerate(lines):
        draw.text((margin, top + n * line_height), line, font=font, fill=INK)
    draw.rectangle((0, HEIGHT - 110, WIDTH, HEIGHT), fill=(8, 82, 59))
    draw.text((margin, HEIGHT - 78), "Sign the petition", font=small, fill=INK)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _wrap(draw, text, font, width):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines
