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

from ..validation import LANGUAGES, clean_ref
from ..views.embed import HEIGHTS, reserved_height

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
    )
}
# The iframe's accessible title per kind, as the loader gives it (en, ur).
TITLES = {
    "petition": ("Minority Support Pakistan petition", "مائنارٹی سپورٹ پاکستان کی پٹیشن"),
    "actions": ("Minority Support Pakistan: take action", "مائنارٹی سپورٹ پاکستان: مزید اقدامات"),
    "coordinator": ("Minority Support Pakistan: become a coordinator", "مائنارٹی سپورٹ پاکستان: کوآرڈینیٹر بنیں"),
    "notify": ("Minority Support Pakistan: get notified", "مائنارٹی سپورٹ پاکستان: اطلاع پائیں"),
    "donate": ("Minority Support Pakistan: donate", "مائنارٹی سپورٹ پاکستان: عطیہ دیں"),
}
# "" is the supporter's browser language (the snippet then has no data-lang).
WIDGET_LANGUAGES = ("", *LANGUAGES)


@dataclass(frozen=True)
class Choice:
    """What the ally chose, cleaned: never refused, as the loader never refuses a snippet."""

    kind: str = "petition"
    lang: str = ""
    partner: str | None = None  # the key as it will be credited
    partner_given: str = ""  # as typed, when it differs from the credited key

    @classmethod
    def from_args(cls, args):
        kind = args.get("kind", "petition")
        lang = args.get("widget_lang", "")
        given = (args.get("partner") or "").strip()[:200]
        partner = clean_ref(given)[0] if given else None
        return cls(
            kind=kind if kind in KINDS else "petition",
            lang=lang if lang in WIDGET_LANGUAGES else "",
            partner=partner,
            partner_given=given if given and given != partner else "",
        )


def script_snippet(base, slug, choice):
    """The documented snippet (docs/allies.md): a placeholder that holds the widget's space from
    the start, so the ally's page does not jump when the widget arrives, and the loader. With the
    visitor's language left to the browser, the space is the English widget's."""
    attributes = [("data-campaign", slug), ("data-widget", choice.kind)]
    if choice.lang:
        attributes.append(("data-lang", choice.lang))
    if choice.partner:
        attributes.append(("data-partner", choice.partner))
    attributes.append(("style", f"min-height:{reserved_height(choice.kind, choice.lang or 'en')}"))
    data = "".join(f' {name}="{escape(value)}"' for name, value in attributes)
    return f'<div class="msp-widget"{data}></div>\n<script async src="{escape(base)}/embed.js"></script>'


def iframe_url(base, slug, choice):
    query = {}
    if choice.lang:
        query["lang"] = choice.lang
    if choice.partner:
        query["ref"] = choice.partner
    return f"{base}/widgets/{slug}/{choice.kind}" + (f"?{urlencode(query)}" if query else "")


def iframe_snippet(base, slug, choice):
    """A plain iframe: no script on the host page, so it keeps the starting height (no resizing)
    and the embedding page is known from the Referer only."""
    title = TITLES[choice.kind][1 if choice.lang == "ur" else 0]
    return (
        f'<iframe src="{escape(iframe_url(base, slug, choice))}" title="{escape(title)}" '
        f'width="100%" height="{KINDS[choice.kind][1]}" style="border:0" loading="lazy" '
        f'allow="clipboard-write; web-share"></iframe>'
    )
