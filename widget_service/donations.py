"""Donations: currencies and amounts, a campaign's donation settings, and what it has raised.

Money is held in minor units (cents, paisa) of an ISO 4217 currency, as Stripe counts it, and
never converted: each currency has its own goal and total. Starting a gift is ``checkout.py``;
recording one, only from Stripe's signed webhook so the totals count money received, is
``stripe_events.py``. Nothing about the donor (name, address, card) is stored: Stripe keeps that.
"""
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from babel import Locale
from babel.numbers import format_currency as babel_format_currency
from flask import current_app
from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import select

from .errors import ValidationFailed
from .extensions import db
from .models import Donation, DonationTotal


@dataclass(frozen=True)
class Currency:
    """Amounts a donor may give in one currency, in its minor units."""

    code: str
    presets: tuple
    minimum: int
    maximum: int
    exponent: int = 2  # minor units per major unit: 10 ** exponent (all six are two-decimal at Stripe)


# Stripe takes at most eight digits of minor units (99,999,999) in these currencies.
STRIPE_MAX_AMOUNT = 99_999_999

# Presets and bounds sized to each currency's purchasing power. The minimums sit above
# Stripe's smallest charge (about 0.50 USD); the maximums cap what one Checkout can take, which
# also limits what a stolen card can be tried for.
CURRENCIES = {
    currency.code: currency
    for currency in (
        Currency("PKR", (100_000, 250_000, 500_000, 1_000_000), minimum=20_000, maximum=99_999_900),
        Currency("USD", (1_000, 2_500, 5_000, 10_000), minimum=200, maximum=1_000_000),
        Currency("GBP", (1_000, 2_500, 5_000, 10_000), minimum=200, maximum=1_000_000),
        Currency("EUR", (1_000, 2_500, 5_000, 10_000), minimum=200, maximum=1_000_000),
        Currency("CAD", (1_500, 3_000, 6_000, 12_000), minimum=300, maximum=1_500_000),
        Currency("AUD", (1_500, 3_000, 6_000, 12_000), minimum=300, maximum=1_500_000),
    )
}


@dataclass
class DonateSettings:
    """A campaign's donation settings (``Campaign.settings["donate"]``), with defaults filled in."""

    currencies: list
    default_currency: str
    goals: dict = field(default_factory=dict)  # currency -> minor units
    presets: dict = field(default_factory=dict)  # currency -> [minor units]
    monthly: bool = True
    external_url: str = ""
    bank: dict = field(default_factory=dict)  # lang -> text

    def presets_for(self, code):
        return list(self.presets.get(code) or CURRENCIES[code].presets)

    def bank_text(self, lang):
        return self.bank.get(lang) or self.bank.get("en") or ""


def donate_settings(campaign):
    raw = campaign.setting("donate") or {}
    currencies = [code for code in raw.get("currencies") or CURRENCIES if code in CURRENCIES] or list(CURRENCIES)
    default = raw.get("default_currency")
    return DonateSettings(
        currencies=currencies,
        default_currency=default if default in currencies else currencies[0],
        goals={code: int(amount) for code, amount in (raw.get("goals") or {}).items() if code in CURRENCIES},
        presets={code: [int(a) for a in amounts] for code, amounts in (raw.get("presets") or {}).items() if code in CURRENCIES},
        monthly=bool(raw.get("monthly", True)),
        external_url=raw.get("external_url") or "",
        bank=dict(raw.get("bank") or {}),
    )


def stripe_enabled():
    return bool(current_app.config["STRIPE_SECRET_KEY"])


# --- amounts --------------------------------------------------------------------------------

# Digits as people type them on Urdu and Arabic keyboards.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫", "01234567890123456789.")
# Whole units, plain (2500) or grouped (2,500; 1,000,000; lakh-style 1,00,000: the last group
# of three digits, the ones before it of two or three), then at most two decimals after a point.
_AMOUNT_RE = re.compile(r"^(?:\d{1,12}|\d{1,3}(?:,\d{2,3})*,\d{3})(?:\.\d{1,2})?$")


def parse_amount(text, currency):
    """The minor units in ``text`` (``"25"``, ``"1,000.50"``, ``"1,00,000"``, ``"۲۵"``), or None.

    A comma only ever groups thousands: "25,50" (a decimal comma, as much of Europe writes it) is
    refused rather than read as 2,550, so nobody gives a hundred times what they meant.
    """
    if not isinstance(text, str):
        return None
    cleaned = text.translate(_DIGITS).strip()
    cleaned = re.sub(r"[\s,٬'’]+", ",", cleaned)  # every grouping separator, spaces too, as a comma
    if not _AMOUNT_RE.fullmatch(cleaned):
        return None
    cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return int(value.scaleb(currency.exponent))


def to_major(amount, currency):
    return Decimal(amount).scaleb(-CURRENCIES[currency].exponent)


# Right-to-left page languages: in their sentences an amount such as "$25" is isolated as a
# left-to-right run (U+2066 ... U+2069), or the bidi algorithm shows it as "25$".
_RTL = {"ur"}
_LETTERS_BY_DIGITS = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def format_money(amount, currency, lang):
    """``amount`` minor units as the page language writes money, without ``.00`` on whole amounts."""
    value = to_major(amount, currency)
    if value == value.to_integral_value():
        pattern = Locale.parse(lang).currency_formats["standard"].pattern.split(";")[0]
        text = babel_format_currency(value, currency, format=re.sub(r"\.0+", "", pattern), locale=lang, currency_digits=False)
    else:
        text = babel_format_currency(value, currency, locale=lang)
    # CLDR keeps a currency symbol made of letters (PKR, Rs) apart from the digits with a
    # no-break space ("PKR 5,000"); Babel does not apply that rule.
    text = _LETTERS_BY_DIGITS.sub("\u00a0", text)
    return f"\u2066{text}\u2069" if lang in _RTL else text


def clean_donation(form, settings):
    """``(clean, errors)`` for a donate form: ``currency``, ``amount`` (minor units), ``interval``."""
    errors = {}
    code = form.get("currency")
    if code not in settings.currencies:
        return {}, {"currency": _l("Choose a currency.")}
    currency = CURRENCIES[code]
    interval = form.get("interval") or Donation.ONCE
    if interval not in Donation.INTERVALS or (interval == Donation.MONTHLY and not settings.monthly):
        errors["interval"] = _l("Choose one-time or monthly.")
    choice = form.get("amount") or ""
    custom = (form.get("custom_amount") or "").strip()
    bounds = {
        "minimum": format_money(currency.minimum, code, _lang()),
        "maximum": format_money(currency.maximum, code, _lang()),
    }
    amount = None
    # A typed amount wins over a preset that is still checked: without JavaScript, or before the
    # script arrives on a slow phone, typing does not move the radio off the default preset, and
    # the donor meant what they typed. (With the script, choosing a preset clears the box.)
    if choice == "other" or custom:
        amount = parse_amount(custom, currency)
        if not custom:
            errors["custom_amount"] = _l("Enter the amount you want to give.")
        elif amount is None:
            errors["custom_amount"] = _l("Enter an amount in numbers, such as 25 or 25.50.")
        elif not currency.minimum <= amount <= currency.maximum:
            errors["custom_amount"] = _l("Enter an amount from %(minimum)s to %(maximum)s.", **bounds)
    elif choice:
        amount = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 13 else None
        if amount not in settings.presets_for(code) or not currency.minimum <= amount <= currency.maximum:
            errors["amount"] = _l("Choose one of the amounts, or enter another amount.")
    else:
        errors["amount"] = _l("Choose an amount.")
    if errors:
        return {}, errors
    return {"currency": code, "amount": amount, "interval": interval}, {}


def _lang():
    return str(get_locale())


# --- totals -----------------------------------------------------------------------------------

def raised(campaign_id):
    """``{currency: minor units}`` raised by ``campaign_id``, from recorded donations only."""
    rows = db.session.execute(
        select(DonationTotal.currency, DonationTotal.amount).where(DonationTotal.campaign_id == campaign_id)
    )
    return {currency: amount for currency, amount in rows}


def progress(campaign, settings, lang):
    """One line per currency with a goal or money raised: what the widget's progress shows."""
    totals = raised(campaign.id)
    lines = []
    for code in settings.currencies:
        goal, amount = settings.goals.get(code, 0), totals.get(code, 0)
        if not goal and not amount:
            continue
        lines.append({
            "currency": code,
            "raised": amount,
            "goal": goal,
            "raised_text": format_money(amount, code, lang),
            "goal_text": format_money(goal, code, lang) if goal else "",
        })
    return lines


# --- settings -------------------------------------------------------------------------------

def change_donate_settings(campaign, goals=None, presets=None, currencies=None, default_currency=None,
                           monthly=None, external_url=None, bank=None):
    """Change ``campaign``'s donation settings; amounts in minor units. Raises ``ValidationFailed``.

    ``goals``/``presets``: ``{currency: amount or [amounts]}`` merged into what is set (a goal
    of 0 removes it); ``external_url``: an http(s) URL, or "" to remove; ``bank``: ``{lang: text}``.
    """
    raw = dict(campaign.setting("donate") or {})
    errors = {}
    for code in list(goals or {}) + list(presets or {}) + list(currencies or []) + ([default_currency] if default_currency else []):
        if code not in CURRENCIES:
            errors["currency"] = f"{code!r} is not one of {', '.join(CURRENCIES)}"
    if errors:
        raise ValidationFailed(errors=errors)
    if currencies is not None:
        raw["currencies"] = list(dict.fromkeys(currencies))
    if default_currency is not None:
        raw["default_currency"] = default_currency
    for code, amount in (goals or {}).items():
        if not isinstance(amount, int) or amount < 0:
            errors["goal"] = "A goal is an amount, zero or more."
        raw.setdefault("goals", {})[code] = amount
    raw["goals"] = {code: amount for code, amount in (raw.get("goals") or {}).items() if amount}
    for code, amounts in (presets or {}).items():
        spec = CURRENCIES[code]
        if not amounts or len(amounts) > 6 or any(not spec.minimum <= a <= spec.maximum for a in amounts):
            errors["presets"] = (
                f"{code} presets: one to six amounts from {to_major(spec.minimum, code)} to {to_major(spec.maximum, code)}"
            )
        raw.setdefault("presets", {})[code] = sorted(set(amounts))
    if monthly is not None:
        raw["monthly"] = bool(monthly)
    if external_url is not None:
        parts = urlsplit(external_url)
        if external_url and (parts.scheme not in ("http", "https") or not parts.hostname):
            errors["external_url"] = "The donation page must be a full http(s) URL."
        raw["external_url"] = external_url
    for lang, text in (bank or {}).items():
        if len(text) > 2000:
            errors["bank"] = "Bank details are at most 2,000 characters."
        raw.setdefault("bank", {})[lang] = text.replace("\\n", "\n").strip()
    if errors:
        raise ValidationFailed(errors=errors)
    campaign.settings = {**(campaign.settings or {}), "donate": raw}
    db.session.commit()
    return donate_settings(campaign)
