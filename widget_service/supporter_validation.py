"""Pure field rules for the coordinator and notify-me forms, built on ``validation``'s.

``clean_coordinator(data)`` and ``clean_subscription(data)`` return ``(clean, errors)`` like
``validation.clean_signature``.
"""
import re

import phonenumbers
from flask_babel import lazy_gettext as _l

from .validation import (
    NOT_TEXT, canonical_email, clean_country, clean_email, clean_lang, clean_name, clean_ref, clean_text, strip_controls,
)

NOTE_MAX = 500
PHONE_INPUT_MAX = 32
PHONE_DEFAULT_REGION = "PK"  # "0300 1234567" is read as a Pakistani number
OUTSIDE_PAKISTAN = "outside"

# Pakistan's provinces and territories by their ISO 3166-2 codes, in the order MSP lists them.
PAKISTAN_REGIONS = {
    "PK-BA": _l("Balochistan"),
    "PK-KP": _l("Khyber Pakhtunkhwa"),
    "PK-PB": _l("Punjab"),
    "PK-SD": _l("Sindh"),
    "PK-IS": _l("Islamabad Capital Territory"),
    "PK-GB": _l("Gilgit-Baltistan"),
    "PK-JK": _l("Azad Jammu and Kashmir"),
}
# Digits in any script (Urdu users may type ۰۳۰۰), spaces and the usual separators; no
# letters, which phonenumbers would otherwise read as a keypad's ("0300-CALLNOW").
_PHONE_RE = re.compile(r"^\+?[\d ().\-/]+$")


def clean_phone(value):
    """A phone number in E.164 (``+923001234567``): national numbers are read as Pakistani,
    any other country's need its code after a ``+``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, _l("Enter your phone number.")
    if not isinstance(value, str):
        return None, NOT_TEXT
    text = " ".join(strip_controls(value).split())
    if len(text) > PHONE_INPUT_MAX or not _PHONE_RE.fullmatch(text):
        return None, _l("Enter a phone number in digits, like 0300 1234567 or +44 7911 123456.")
    try:
        number = phonenumbers.parse(text, PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return None, _l(
            "This is not a valid phone number. Pakistani numbers look like 0300 1234567; "
            "for another country start with + and its code."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def clean_coordinator_region(region, country):
    """``(region, country)`` for where a coordinator works: a province or territory of
    Pakistan (the country is then PK), or outside Pakistan with the country named."""
    if not isinstance(region, (str, type(None))):
        return {}, {"region": NOT_TEXT}
    if region in PAKISTAN_REGIONS:
        return {"region": region, "country": "PK"}, {}
    if region != OUTSIDE_PAKISTAN:
        message = _l("Choose your province or territory, or outside Pakistan.") if not region else _l(
            "Choose a region from the list."
        )
        return {}, {"region": message}
    if country in (None, ""):
        return {}, {"country": _l("Choose the country where you live.")}
    code, error = clean_country(country)
    if error:
        return {}, {"country": error}
    if code == "PK":
        return {}, {"country": _l("You chose outside Pakistan: choose the country where you live, or choose your province.")}
    return {"region": OUTSIDE_PAKISTAN, "country": code}, {}


COORDINATOR_FIELDS = {
    "name": clean_name,
    "email": clean_email,
    "phone": clean_phone,
    "note": lambda v: clean_text(v, NOTE_MAX, required=False, multiline=True),
    "lang": clean_lang,
    "ref": clean_ref,
}


def clean_coordinator(data):
    """Apply every coordinator field rule; ``(clean, errors)`` like ``clean_signature``."""
    clean, errors = _apply(COORDINATOR_FIELDS, data)
    where, where_errors = clean_coordinator_region(data.get("region"), data.get("country"))
    clean.update(where)
    errors.update({field: str(message) for field, message in where_errors.items()})
    if not errors:
        clean["email_canonical"] = canonical_email(clean["email"])
    return clean, errors


def clean_optional_name(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    return clean_name(value)


SUBSCRIPTION_FIELDS = {
    "email": clean_email,
    "name": clean_optional_name,
    "lang": clean_lang,
    "email_lang": lambda v: clean_lang(v) if v not in (None, "") else (None, None),
    "ref": clean_ref,
}


def clean_subscription(data):
    """The notify-me form: email, optional name, the page's language and the emails' language."""
    clean, errors = _apply(SUBSCRIPTION_FIELDS, data)
    if not errors:
        clean["email_canonical"] = canonical_email(clean["email"])
        clean["email_lang"] = clean["email_lang"] or clean["lang"]
    return clean, errors


def _apply(rules, data):
    clean, errors = {}, {}
    for field, rule in rules.items():
        value, error = rule(data.get(field))
        if error is not None:
            errors[field] = str(error)
        else:
            clean[field] = value
    return clean, errors
