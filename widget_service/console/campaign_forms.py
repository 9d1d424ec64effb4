"""The campaign forms of the console, read and checked: each ``parse_*`` returns ``(values,
errors)``, ``errors`` mapping a form field to a message shown beside it. The rules a campaign
must meet are the core's (``campaigns.create_campaign``, ``donations.change_donate_settings``,
``attachments``); these only turn what a browser sends into their arguments."""
from flask_babel import lazy_gettext as _l

from ..donations import CURRENCIES, parse_amount, to_major
from ..models import CampaignText
from ..campaigns import RETENTION_MAX_DAYS
from ..validation import clean_text
from . import local_time

LANGS = ("en", "ur")
TEXT_FIELDS = {  # field -> (most characters, several lines)
    "title": (CampaignText.title.type.length, False),
    "summary": (1000, True),
    "petition_text": (20000, True),
}
GOAL_MAX = 1_000_000_000
PRESETS_MAX = 6


def parse_texts(form):
    """``{lang: {"title", "summary", "petition_text"[, "is_draft"]}}``: English is required; Urdu
    is kept when it has a title, and dropped when all its fields are empty."""
    texts, errors = {}, {}
    for lang in LANGS:
        values = {}
        for name, (most, multiline) in TEXT_FIELDS.items():
            value, error = clean_text(form.get(f"{name}_{lang}", ""), most, required=False, multiline=multiline)
            if error:
                errors[f"{name}_{lang}"] = error
            values[name] = value or ""
        if not values["title"]:
            if lang == "en":
                errors["title_en"] = _l("Give the campaign a title in English.")
            elif values["summary"] or values["petition_text"]:
                errors["title_ur"] = _l("Give the Urdu version a title too, or empty all its fields.")
            continue
        if lang != "en":
            values["is_draft"] = form.get(f"draft_{lang}") == "on"
        texts[lang] = values
    return texts, errors


def parse_settings(form):
    """The goal, the closing time (Pakistan time, stored in UTC), the retention period and the captcha switch."""
    errors = {}
    raw = (form.get("goal") or "").strip().replace(",", "")
    goal = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    if goal is None or goal > GOAL_MAX:
        errors["goal"] = _l("Enter the number of signatures you aim for, such as 100000 (0 for none).")
    closes_at = None
    raw = (form.get("closes_at") or "").strip()
    if raw:
        closes_at = local_time.parse(raw)
        if closes_at is None:
            errors["closes_at"] = _l("Enter a date and time, such as 2025-03-01 14:30, or leave it empty.")
    raw = (form.get("retention_days") or "").strip()
    retention_days = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else None
    if raw and (retention_days is None or retention_days > RETENTION_MAX_DAYS):
        errors["retention_days"] = _l("Enter a number of days from 0 to 3650, or leave it empty for the default.")
    # None: the service's default (WIDGET_RETENTION_DAYS), followed if it changes.
    values = {"goal": goal, "closes_at": closes_at, "captcha": form.get("captcha") == "on", "retention_days": retention_days}
    return values, errors


def parse_donations(form):
    """The keyword arguments of ``change_donate_settings`` (amounts in minor units)."""
    errors = {}
    currencies = [code for code in form.getlist("currencies") if code in CURRENCIES]
    if not currencies:
        errors["currencies"] = _l("Offer at least one currency.")
    default = form.get("default_currency") or ""
    if currencies and default not in currencies:
        errors["default_currency"] = _l("Choose one of the currencies you offer.")
    goals, presets = {}, {}
    for code, currency in CURRENCIES.items():
        text = (form.get(f"goal_{code}") or "").strip()
        amount = parse_amount(text, currency) if text else 0
        if amount is None:
            errors[f"goal_{code}"] = _l("Enter an amount in numbers, such as 500000, or leave it empty.")
        goals[code] = amount
        text = (form.get(f"presets_{code}") or "").strip()
        if text:
            parts = [part.strip() for part in text.replace("،", ",").split(",")]
            amounts = [parse_amount(part, currency) for part in parts]
            if None in amounts or len(amounts) > PRESETS_MAX:
                errors[f"presets_{code}"] = _l(
                    "Enter up to six amounts separated by commas, without thousands separators: 1000, 2500, 5000."
                )
            elif any(not currency.minimum <= amount <= currency.maximum for amount in amounts):
                errors[f"presets_{code}"] = _l(
                    "Each amount must be from %(minimum)s to %(maximum)s.",
                    minimum=to_major(currency.minimum, code), maximum=to_major(currency.maximum, code),
                )
            else:
                presets[code] = amounts
    values = {
        "currencies": currencies,
        "default_currency": default if default in CURRENCIES else None,
        "goals": goals,
        "presets": presets,
        "monthly": form.get("monthly") == "on",
        "external_url": (form.get("external_url") or "").strip(),
        "bank": {lang: (form.get(f"bank_{lang}") or "").replace("\r\n", "\n") for lang in LANGS},
    }
    return values, errors


# The fields beside which the core's donation errors are shown, and (for the rules this module
# does not check first) their messages in the page's language.
DONATION_ERROR_FIELDS = {"currency": "currencies", "goal": "currencies", "presets": "currencies", "bank": "bank_en"}
DONATION_MESSAGES = {
    "external_url": _l("Enter the whole address of the page, starting with https://."),
    "bank": _l("Bank details are at most 2,000 characters in each language."),
}


def donation_errors(core_errors):
    """``change_donate_settings``' errors as ``{form field: message}``."""
    return {
        DONATION_ERROR_FIELDS.get(field, field): DONATION_MESSAGES.get(field, message)
        for field, message in core_errors.items()
    }


def donation_form(settings):
    """What the donation form shows for ``settings`` (a ``DonateSettings``): amounts in major units."""
    def major(code, amount):
        value = to_major(amount, code)
        return str(value.quantize(1) if value == value.to_integral_value() else value)

    return {
        "currencies": settings.currencies,
        "default_currency": settings.default_currency,
        "monthly": settings.monthly,
        "external_url": settings.external_url,
        "bank": settings.bank,
        "goals": {code: major(code, amount) for code, amount in settings.goals.items()},
        "presets": {code: ", ".join(major(code, a) for a in settings.presets_for(code)) for code in CURRENCIES},
    }
