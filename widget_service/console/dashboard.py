"""The dashboard (viewers and admins): the campaigns, and one campaign's numbers at a glance.

Aggregates only: no name, email, phone or comment is on these pages, whoever opens them.
A view first rolls up the campaign's hours that closed since the last rollup (for half a second
at most, and not while another process is at it), then reads the buckets and the open tail
(``figures``): its cost does not grow with the number of signatures.
"""
import functools
from decimal import ROUND_HALF_EVEN, Decimal

from babel import Locale
from babel.dates import format_date, format_time
from flask import render_template
from babel.numbers import format_decimal as babel_decimal, format_percent as babel_percent
from flask_babel import format_decimal, get_locale, gettext as _
from sqlalchemy import select

from ..campaigns import find_campaign
from ..counting import current_count
from ..donations import format_money
from ..extensions import db
from ..models import Campaign, Donation
from ..supporter_validation import PAKISTAN_REGIONS
from . import bp, charts, stats
from .auth import role_required
from .figures import dashboard_figures

# A view rolls up for at most this long itself (a day at a time); `flask stats rollup` from
# cron leaves it an hour at most to do.
INLINE_ROLLUP_SECONDS = 0.5
TOP = 10  # rows of a breakdown shown with bars; the rest in "everything else" and the full list
OUTSIDE = "outside"
TENTH = Decimal("0.1")


@bp.get("/dashboard")
@role_required("viewer")
def dashboard():
    """Every campaign with its count: the way into each one's dashboard."""
    lang = str(get_locale())
    campaigns = [
        {
            "slug": campaign.slug,
            "title": campaign.text(lang).title if campaign.texts else campaign.slug,
            "open": campaign.is_open(),
            "total": format_decimal(current_count(campaign.id)),
            "goal": format_decimal(campaign.goal) if campaign.goal else None,
        }
        for campaign in db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()))
    ]
    return render_template("console/dashboard_list.html", campaigns=campaigns)


@bp.get("/dashboard/<slug>")
@role_required("viewer")
def campaign_dashboard(slug):
    campaign = find_campaign(slug)
    stats.catch_up(campaign.id, INLINE_ROLLUP_SECONDS)
    figures = dashboard_figures(campaign)
    lang = str(get_locale())
    return render_template("console/dashboard.html", **present(campaign, figures, lang))


@functools.lru_cache(maxsize=None)
def formats(lang):
    """``(number, percent)``: whole numbers and per cents as ``lang`` writes them. A page shows
    about a thousand numbers, and Babel takes tens of microseconds for each, so where the
    locale's pattern is the plain one (digits grouped by three, checked against Babel) they
    are written directly."""
    def number(value):
        return f"{value:,}".replace(",", group) if isinstance(value, int) else babel_decimal(value, locale=lang)

    def percent(value):  # value: 0 to 100, rounded as Babel rounds (half to even)
        whole, _, tenth = f"{Decimal(str(value)).quantize(TENTH, ROUND_HALF_EVEN):,}".partition(".")
        return whole.replace(",", group) + (decimal + tenth if tenth != "0" else "") + "%"

    group, decimal = babel_decimal(1000, locale=lang)[1:-3], babel_decimal(1.5, locale=lang)[1:-1]
    samples = (0, 7, 1234, 1234567)  # and per cents, below, with halves to round
    if any(number(n) != babel_decimal(n, locale=lang) for n in samples) or any(
        percent(p) != babel_percent(p / 100, format="#,##0.#%", locale=lang) for p in (0, 0.05, 2, 25.65, 100, 1234.25)
    ):
        return (lambda value: babel_decimal(value, locale=lang),
                lambda value: babel_percent(value / 100, format="#,##0.#%", locale=lang))
    return number, percent


def present(campaign, figures, lang):
    """What the template shows, worded and formatted for ``lang``."""
    rtl = lang == "ur"
    number, percent = formats(lang)
    local = lambda moment: (moment + stats.DAY_OFFSET).replace(tzinfo=stats.PAKISTAN_TIME)  # noqa: E731
    hourly = [(f"{format_date(local(hour), 'EEE', locale=lang)} {format_time(local(hour), 'HH:mm', locale=lang)}", n)
              for hour, n in figures.hourly]
    daily = [(format_date(day, "d MMM yyyy", locale=lang), n) for day, n in figures.daily]
    progress = figures.progress
    return {
        "campaign": campaign,
        "title": campaign.text(lang).title if campaign.texts else campaign.slug,
        "is_open": campaign.is_open(),
        "as_of": f"{format_date(local(figures.now), 'd MMMM yyyy', locale=lang)}{'، ' if rtl else ', '}"
                 f"{format_time(local(figures.now), 'HH:mm', locale=lang)}",
        "figures": figures,
        "number": number,
        "progress": None if progress is None else {
            "text": percent(progress),
            "bar": charts.share(min(progress, 100), 100),
            "x": charts.bar_x(charts.share(min(progress, 100), 100), rtl),
        },
        "hourly": {"chart": charts.columns(hourly, rtl), "rows": hourly,
                   "note": _("Hours in Pakistan time. The last column is the current hour, still filling up.")},
        "daily": {"chart": charts.columns(daily, rtl), "rows": daily,
                  "note": _("The last column is today, still filling up.")},
        "breakdowns": [
            breakdown(figures, "ref", _("Partners (partner key)"), _("Partner key"), lang, rtl, percent),
            breakdown(figures, "origin", _("Websites the widget is on"), _("Website"), lang, rtl, percent),
            breakdown(figures, "country", _("Countries"), _("Country"), lang, rtl, percent),
            breakdown(figures, "lang", _("Languages"), _("Language"), lang, rtl, percent),
        ],
        "regions": regions(figures),
        "donations": donations(figures, lang),
    }


def key_label(dimension, key, lang):
    """``(label, dir)`` for a key of a breakdown."""
    if dimension == "ref":
        return (key, "ltr") if key else (_("No partner key"), None)
    if dimension == "origin":
        return (key.removeprefix("https://"), "ltr") if key else (_("Not embedded, or not known"), None)
    if dimension == "country":
        return Locale.parse(lang).territories.get(key, key), None
    try:
        return Locale.parse(key).get_display_name(lang), None
    except (ValueError, TypeError):
        return key, "ltr"


def breakdown(figures, dimension, heading, key_heading, lang, rtl, percent_text):
    ranked = figures.breakdowns[dimension].ranked()
    whole = figures.breakdowns[dimension].total

    def row(key, total, week):
        label, direction = key_label(dimension, key, lang) if key is not None else (_("Everything else"), None)
        percent = charts.share(total, whole)
        return {"key": key, "label": label, "dir": direction, "total": total, "week": week,
                "share": percent_text(percent), "bar": percent,
                "x": charts.bar_x(percent, rtl)}

    top = [row(*item) for item in ranked[:TOP]]
    rest = ranked[TOP:]
    other = row(None, sum(r[1] for r in rest), sum(r[2] for r in rest)) if rest else None
    return {"id": dimension, "heading": heading, "key_heading": key_heading, "top": top, "other": other,
            "all": [row(*item) for item in ranked] if rest else [], "count": len(ranked), "whole": whole}


def regions(figures):
    """Coordinators per region in MSP's order (provinces, then outside Pakistan), zeros too."""
    rows = [(str(name), figures.coordinators.get(code, 0)) for code, name in PAKISTAN_REGIONS.items()]
    rows.append((_("Outside Pakistan"), figures.coordinators.get(OUTSIDE, 0)))
    known = set(PAKISTAN_REGIONS) | {OUTSIDE}
    rows += [(code, n) for code, n in sorted(figures.coordinators.items()) if code not in known]
    return rows


def donations(figures, lang):
    """Per currency: one-time and monthly gifts and what they raised."""
    by_currency = {}
    for currency, interval, amount, gifts in figures.donations:
        line = by_currency.setdefault(currency, {"currency": currency, Donation.ONCE: (0, 0), Donation.MONTHLY: (0, 0)})
        line[interval] = (amount, gifts)
    return [
        {
            "currency": currency,
            "once": format_money(line[Donation.ONCE][0], currency, lang), "once_gifts": line[Donation.ONCE][1],
            "monthly": format_money(line[Donation.MONTHLY][0], currency, lang),
            "monthly_gifts": line[Donation.MONTHLY][1],
            "total": format_money(line[Donation.ONCE][0] + line[Donation.MONTHLY][0], currency, lang),
        }
        for currency, line in sorted(by_currency.items())
    ]
