"""The widget's theme from a snippet's choices (widget_service/theme.py): whatever accent an ally
picks, every colour worked out from it is read at WCAG AA (4.5:1); anything invalid is the
default, and nothing of the query reaches the page's CSS but colours and numbers written there."""
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from widget_service import theme
from widget_service.theme import DARK_BG, DARK_SOFT, LIGHT_BG, LIGHT_SOFT, Theme, contrast, parse_hex

CSS = (Path(theme.__file__).parent / "static" / "widget.css").read_text(encoding="utf-8")

hex_colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@settings(max_examples=2000, deadline=None)
@given(hex_colours)
def test_any_accent_gives_colours_that_meet_aa_on_both_pages(accent):
    palette = Theme(accent=accent).palette()
    assert palette["accent"] == accent  # the button is the ally's own colour...
    assert contrast(palette["on_accent"], accent) >= 4.5  # ...with a label that reads on it
    for background in (LIGHT_BG, LIGHT_SOFT):  # accent-coloured text, light page and thank-you
        assert contrast(palette["light_text"], background) >= 4.5
    for background in (DARK_BG, DARK_SOFT):  # ...and dark
        assert contrast(palette["dark_text"], background) >= 4.5


@settings(max_examples=500, deadline=None)
@given(hex_colours)
def test_an_accent_that_already_reads_is_kept(accent):
    for background in (LIGHT_SOFT, DARK_SOFT):
        if contrast(accent, background) >= theme.TARGET:
            assert theme.readable_on(accent, background) == accent


@settings(max_examples=500, deadline=None)
@given(hex_colours)
def test_an_adjusted_accent_moves_away_from_the_page_only(accent):
    # Darker on the light page, lighter on the dark one: never the other way.
    assert theme.luminance(theme.readable_on(accent, LIGHT_BG)) <= theme.luminance(accent) + 1e-9
    assert theme.luminance(theme.readable_on(accent, DARK_BG)) >= theme.luminance(accent) - 1e-9


def test_hue_is_kept_where_it_can_be():
    # Yellow on white becomes a dark olive yellow, not grey; pure blue on dark a lighter blue.
    r, g, b = (int(theme.readable_on("#ffff00", LIGHT_BG)[i:i + 2], 16) for i in (1, 3, 5))
    assert r > 3 * b and g > 3 * b
    r, g, b = (int(theme.readable_on("#0000ff", DARK_BG)[i:i + 2], 16) for i in (1, 3, 5))
    assert b > r and b > g


@pytest.mark.parametrize("given_text, colour", [
    ("#ff0", "#ffff00"), ("FF0", "#ffff00"), ("#0B6E4F", "#0b6e4f"), ("0b6e4f", "#0b6e4f"), (" #abc ", "#aabbcc"),
    ("", None), ("#ff", None), ("#ggg", None), ("red", None), ("#ff00ff00", None), ("url(x)", None),
    ("#fff;}body{", None), (None, None),
])
def test_accent_is_three_or_six_hex_digits(given_text, colour):
    assert parse_hex(given_text) == colour


@pytest.mark.parametrize("args, expected", [
    ({}, Theme()),
    ({"accent": "c00", "theme": "dark", "radius": "12", "font": "serif"}, Theme("#cc0000", "dark", 12, "serif")),
    ({"theme": "auto"}, Theme(theme="auto")),
    ({"theme": "DARK", "font": "comic", "radius": "x"}, Theme()),
    ({"radius": "-5"}, Theme(radius=0)),
    ({"radius": "999"}, Theme(radius=24)),
    ({"radius": "9" * 5000}, Theme()),
    ({"radius": "1e3"}, Theme()),
])
def test_invalid_choices_are_the_default(args, expected):
    assert Theme.from_args(args) == expected


def test_todays_look_needs_no_style_and_each_choice_is_one_hashable_style():
    assert Theme().css() == "" and Theme(font="serif").css() == ""
    css = Theme.from_args({"accent": "#ffff00", "theme": "auto", "radius": "30"}).css()
    # Colours and a number only: nothing of the query is copied into it.
    assert re.fullmatch(r"[@:\w(){}#;\- .]+", css), css
    assert "--radius:24px" in css and "prefers-color-scheme:dark" in css and ":root.theme-auto" in css
    assert css == Theme.from_args({"accent": "ff0", "theme": "auto", "radius": "24"}).css()  # deterministic
    csp = theme.allow_style("default-src 'none'; style-src 'self'; script-src 'self'", css)
    assert csp == f"default-src 'none'; style-src 'self' {theme.style_hash(css)}; script-src 'self'"
    assert theme.allow_style("style-src 'self'", "") == "style-src 'self'"


@pytest.mark.parametrize("value, layout", [("compact", "compact"), ("full", "full"), ("button", "full"), ("<x>", "full"), (None, "full")])
def test_layout_is_full_unless_compact(value, layout):
    assert theme.layout({"layout": value} if value else {}) == layout


def palette(selector):
    block = re.search(re.escape(selector) + r"\{([^}]*)\}", CSS).group(1)
    colours = dict(re.findall(r"--([\w-]+):(#[0-9a-f]{3,6})", block))
    return {name: parse_hex(value) for name, value in colours.items()}


@pytest.mark.parametrize("selector", [":root", ":root.theme-dark"])
def test_the_palettes_text_reads_on_every_surface(selector):
    colours = {**palette(":root"), **palette(selector)}
    assert colours["bg"] == (LIGHT_BG if selector == ":root" else DARK_BG)
    assert colours["soft"] == (LIGHT_SOFT if selector == ":root" else DARK_SOFT)
    for text in ("ink", "muted", "bad"):
        for surface in ("bg", "soft", "field", "panel"):
            assert contrast(colours[text], colours[surface]) >= 4.5, (text, surface)
    # Edges of the fields against the page (WCAG 1.4.11, 3:1).
    assert contrast(colours["field-line"], colours["bg"]) >= 3


def test_auto_follows_the_visitor_with_the_dark_palette():
    dark = re.search(r":root\.theme-dark\{([^}]*)\}", CSS).group(1).replace("color-scheme:dark;", "")
    auto = re.search(r"prefers-color-scheme:dark\)\{:root\.theme-auto\{([^}]*)\}", CSS).group(1)
    assert dark == auto
