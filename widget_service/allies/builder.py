"""The snippet builder's domain: what an ally may choose, and the two snippets it gets.

The snippets are the ones docs/allies.md documents: the script (the loader makes the iframe, sizes
it, and passes the page's origin) and a plain ``<iframe>`` for site builders that refuse
scripts. They are built here once, for the page and for the tests; the page's script rebuilds
the same text in the browser as the choices change (``builder.js``), and a test holds the two
to each other.
"""
from dataclasses import dataclass
from urllib.parse import urlencode

from flask_babel import lazy_gettext as _l
from markupsafe import escape

from .. import theme
from ..validation import LANGUAGES, clean_ref
from ..views.embed import HEIGHTS, NARROW, WIDE, reserved_height

# Kind -> (its name in the builder, the plain iframe's height). That iframe cannot resize, so it
# is as tall as the loader ever starts the kind: in Urdu, in a phone's column (HEIGHTS).
KINDS = {
    kind: (name, max(HEIGHTS[kind][0]))
    for kind, name in (
        ("petition", _l("Petition")),
        ("actions", _l("Take action (every way to help)")),
        ("coordinator", _l("Become a coordinator")),
        ("notify", _l("Get notified of new actions")),
        ("donate", _l("Donate")),
        ("counter", _l("Counter (the live count and a link to sign)")),
    )
    if kind in HEIGHTS  # a kind the loader knows
}
# The iframe's accessible title per kind, as the loader gives it (en, ur).
TITLES = {
    "petition": ("Minority Support Pakistan petition", "مائنارٹی سپورٹ پاکستان کی پٹیشن"),
    "actions": ("Minority Support Pakistan: take action", "مائنارٹی سپورٹ پاکستان: مزید اقدامات"),
    "coordinator": ("Minority Support Pakistan: become a coordinator", "مائنارٹی سپورٹ پاکستان: کوآرڈینیٹر بنیں"),
    "notify": ("Minority Support Pakistan: get notified", "مائنارٹی سپورٹ پاکستان: اطلاع پائیں"),
    "donate": ("Minority Support Pakistan: donate", "مائنارٹی سپورٹ پاکستان: عطیہ دیں"),
    "counter": ("Minority Support Pakistan: signature count", "مائنارٹی سپورٹ پاکستان: دستخطوں کی تعداد"),
}
TITLES = {kind: titles for kind, titles in TITLES.items() if kind in KINDS}
# "" is the supporter's browser language (the snippet then has no data-lang).
WIDGET_LANGUAGES = ("", *LANGUAGES)
# The compact layout's heights, as views/embed.py's HEIGHTS holds the full ones: (English, Urdu)
# up to NARROW px wide and from WIDE px on, measured in Chromium with the demo campaign (the
# donate form without the other ways to give). The counter has one layout.
COMPACT_HEIGHTS = {
    "petition": ((759, 930), (650, 815)),
    "actions": ((570, 672), (450, 583)),
    "coordinator": ((786, 935), (636, 798)),
    "notify": ((425, 537), (364, 459)),
    "donate": ((600, 737), (443, 566)),
}
# The widget page's layouts (theme.LAYOUTS) and the loader's own: a button opening it in a dialog.
LAYOUTS = ("full", "compact", "button")


@dataclass(frozen=True)
class Choice:
    """What the ally chose, cleaned: never refused, as the loader never refuses a snippet."""

    kind: str = "petition"
    lang: str = ""
    partner: str | None = None  # the key as it will be credited
    partner_given: str = ""  # as typed, when it differs from the credited key
    # The look (theme.Theme: None and "light"/"system" are today's look) and the layout.
    accent: str | None = None
    theme: str = "light"
    radius: int | None = None
    font: str = "system"
    layout: str = "full"

    @classmethod
    def from_args(cls, args):
        kind = args.get("kind", "petition")
        lang = args.get("widget_lang", "")
        given = (args.get("partner") or "").strip()[:200]
        partner = clean_ref(given)[0] if given else None
        look = theme.Theme.from_args(args)
        layout = args.get("layout")
        return cls(
            kind=kind if kind in KINDS else "petition",
            lang=lang if lang in WIDGET_LANGUAGES else "",
            partner=partner,
            partner_given=given if given and given != partner else "",
            # The defaults are left out of the snippets: the colour picker always has a colour.
            accent=look.accent if look.accent != theme.DEFAULT_ACCENT else None,
            theme=look.theme,
            radius=look.radius if look.radius != theme.DEFAULT_RADIUS else None,
            font=look.font,
            layout=layout if layout in LAYOUTS else "full",
        )

    def look(self):
        """``(name, value)`` of the look and layout chosen (the defaults left out), in the order
        the snippets name them: ``data-NAME`` in the script's, ``NAME=`` in the iframe's query."""
        pairs = (
            ("accent", self.accent and self.accent[1:]), ("theme", self.theme if self.theme != "light" else None),
            ("radius", None if self.radius is None else str(self.radius)),
            ("font", self.font if self.font != "system" else None),
            ("layout", self.layout if self.layout != "full" else None),
        )
        return [(name, value) for name, value in pairs if value]

    def page_args(self):
        """This choice as the builder's own address asks for it (its links keep the choice)."""
        return {
            "kind": self.kind, "widget_lang": self.lang or None, "partner": self.partner,
            **{name: value for name, value in self.look()},
        }


def reserved(kind, lang, layout):
    """The placeholder's ``min-height`` for ``kind`` in ``layout``: the loader's for the full
    widget (``reserved_height``), else the compact form's, drawn the same way between the widths."""
    if layout != "compact" or kind not in COMPACT_HEIGHTS:
        return reserved_height(kind, lang)
    narrow, wide = (heights[lang == "ur"] for heights in COMPACT_HEIGHTS[kind])
    slope = (narrow - wide) / (WIDE - NARROW)
    return f"clamp({wide}px, calc({narrow + slope * NARROW:.0f}px - {slope * 100:.2f}vw), {narrow}px)"


def frame_height(kind, layout):
    """The plain iframe's fixed height: the tallest the layout starts at (Urdu, a phone's column)."""
    if layout == "compact" and kind in COMPACT_HEIGHTS:
        return max(COMPACT_HEIGHTS[kind][0])
    return KINDS[kind][1]


def compact_room():
    """Per kind, what builder.js needs for the compact layout: (iframe height, en and ur min-height)."""
    return {kind: (frame_height(kind, "compact"), reserved(kind, "en", "compact"), reserved(kind, "ur", "compact")) for kind in KINDS}


def script_snippet(base, slug, choice):
    """The documented snippet (docs/allies.md): a placeholder that holds the widget's space from
    the start, so the ally's page does not jump when the widget arrives, and the loader. With the
    visitor's language left to the browser, the space is the English widget's."""
    attributes = [("data-campaign", slug), ("data-widget", choice.kind)]
    if choice.lang:
        attributes.append(("data-lang", choice.lang))
    if choice.partner:
        attributes.append(("data-partner", choice.partner))
    attributes += [(f"data-{name}", f"#{value}" if name == "accent" else value) for name, value in choice.look()]
    if choice.layout != "button":  # a button needs no room kept for a whole widget
        attributes.append(("style", f"min-height:{reserved(choice.kind, choice.lang or 'en', choice.layout)}"))
    data = "".join(f' {name}="{escape(value)}"' for name, value in attributes)
    return f'<div class="msp-widget"{data}></div>\n<script async src="{escape(base)}/embed.js"></script>'


def iframe_url(base, slug, choice):
    """The widget page a plain iframe (and the builder's preview) shows: the loader's query. No
    iframe opens a dialog: for the button layout it is the full widget."""
    query = {}
    if choice.lang:
        query["lang"] = choice.lang
    if choice.partner:
        query["ref"] = choice.partner
    query.update((name, value) for name, value in choice.look() if not (name == "layout" and value == "button"))
    return f"{base}/widgets/{slug}/{choice.kind}" + (f"?{urlencode(query)}" if query else "")


def iframe_snippet(base, slug, choice):
    """A plain iframe: no script on the host page, so it keeps the starting height (no resizing)
    and the embedding page is known from the Referer only."""
    title = TITLES[choice.kind][1 if choice.lang == "ur" else 0]
    return (
        f'<iframe src="{escape(iframe_url(base, slug, choice))}" title="{escape(title)}" '
        f'width="100%" height="{frame_height(choice.kind, choice.layout)}" style="border:0" loading="lazy" '
        f'allow="clipboard-write; web-share"></iframe>'
    )
