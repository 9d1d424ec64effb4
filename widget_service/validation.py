"""Pure field rules for what supporters send. No I/O: every rule is a function of its input.

``clean_signature(data)`` returns ``(clean, errors)``; ``errors`` maps a field to a message.
"""
import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from .mailboxes import canonical_email

NAME_MAX = 100
EMAIL_MAX = 254
REGION_MAX = 100
COMMENT_MAX = 1000
REF_MAX = 64
ORIGIN_MAX = 255

LANGUAGES = ("en", "ur")

# Codes CLDR lists as territories that are not countries a person lives in.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ"}

# Characters that show nothing, yet make "Ali" and "A\u2060li" two names: Unicode's
# Default_Ignorable_Code_Point set (DerivedCoreProperties.txt, as of Unicode 14): the soft
# hyphen, joiners, fillers, variation selectors, tags, and the bidi marks, embeddings and
# isolates, which can also make a name read differently from what is stored.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# ZWNJ and ZWJ are in that set too, but stay: Urdu, Persian and many Indic scripts need them to
# spell words correctly (and ZWJ joins emoji sequences).
INVISIBLE = frozenset(chr(c) for first, last in _DEFAULT_IGNORABLE for c in range(first, last + 1)) - {"\u200c", "\u200d"}
# A partner key: letters of any script and their marks, digits, ._~- (``partner_key``).
_REF_RE = re.compile(r"^[^\W_][\w.~-]*$")
_ORIGIN_RE = re.compile(r"^https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$", re.IGNORECASE)

REQUIRED = _l("This field is required.")
NOT_TEXT = _l("This field must be text.")


@lru_cache(maxsize=None)
def country_codes():
    """ISO 3166-1 alpha-2 codes, from the CLDR data that Babel ships."""
    return frozenset(
        code for code in Locale("en").territories if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


@lru_cache(maxsize=8)
def country_choices(lang):
    """``[(code, name)]`` sorted by name in ``lang``, for the form's select."""
    names = Locale.parse(lang).territories
    return tuple(sorted(((code, names.get(code, code)) for code in country_codes()), key=lambda c: c[1]))


def strip_controls(text, keep_newlines=False):
    """Remove control characters and ``INVISIBLE`` ones, then NFC-normalise."""
    kept = []
    for char in text:
        if keep_newlines and char == "\n":
            kept.append(char)
        elif char in "\t\n\r\v\f":
            kept.append(" ")
        elif char in INVISIBLE or char in "\u2028\u2029" or unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def clean_text(value, max_length, required=True, multiline=False):
    """Return ``(text or None, error or None)`` for a free-text field."""
    if value is None or value == "":
        return None, (REQUIRED if required else None)
    if not isinstance(value, str):
        return None, NOT_TEXT
    text = strip_controls(value.replace("\r\n", "\n"), keep_newlines=multiline)
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", text)
    text = text.strip() if multiline else " ".join(text.split())
    if not text:
        return None, (REQUIRED if required else None)
    if len(text) > max_length:
        return None, _l("Use at most %(max)d characters.", max=max_length)
    return text, None


def clean_name(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, _l("Enter your full name.")
    name, error = clean_text(value, NAME_MAX)
    if error:
        return None, error
    # Any script is welcome, but a name has at least one letter in it.
    if not any(unicodedata.category(char).startswith("L") for char in name):
        return None, _l("Enter your name.")
    return name, None


def clean_email(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, _l("Enter your email address.")
    if not isinstance(value, str):
        return None, NOT_TEXT
    # The email validator lets some invisible characters through ("pat\u034f@gmail.com"), which
    # would make one mailbox look like another signer.
    value = "".join(char for char in value if char not in INVISIBLE).strip()
    if len(value) > EMAIL_MAX:
        return None, _l("Use at most %(max)d characters.", max=EMAIL_MAX)
    try:
        # Syntax only: no DNS lookups, which would be slow and leak who signs to resolvers.
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None, _l("Enter a valid email address, like name@example.com.")
    return result.normalized, None


def clean_country(value):
    if value is None or value == "":
        return None, _l("Choose your country.")
    if not isinstance(value, str):
        return None, NOT_TEXT
    code = value.strip().upper()
    if code not in country_codes():
        return None, _l("Choose a country from the list.")
    return code, None


def clean_bool(value):
    """JSON booleans, and what an HTML checkbox sends."""
    if value is None or value is False or value in ("", "0", "false", "off"):
        return False, None
    if value is True or value in ("1", "true", "on", "yes"):
        return True, None
    return None, _l("This must be true or false.")


def clean_lang(value):
    if value is None or value == "":
        return "en", None
    if value not in LANGUAGES:
        return None, _l("Choose one of: %(choices)s.", choices=", ".join(LANGUAGES))
    return value, None


def clean_ref(value):
    """A partner's key (or a share's ref), never refused for its spelling: see ``partner_key``."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        return None, NOT_TEXT
    return partner_key(value), None


def partner_key(text):
    """``text`` as a partner key: up to 64 letters (of any script), digits, ``._~-``, starting
    with a letter or digit. A key that follows the rule is kept as it is; any other text is made
    to follow it rather than dropped, since dropping it would lose the ally its credit without a
    word: invisible characters go, each run of other characters outside the rule becomes one
    ``-``, and the result is cut at 64 (``Quetta Solidarity Network`` is credited as
    ``Quetta-Solidarity-Network``). None when nothing of it is left. The loader warns the ally in
    the browser console when its ``data-partner`` does not follow the rule."""
    text = unicodedata.normalize("NFKC", text)
    if len(text) <= REF_MAX and _REF_RE.fullmatch(text):
        return text
    kept, replaced = [], False
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LNM" or char in "._~-":
            kept.append(char)
            replaced = False
        elif category != "Cf" and not replaced:  # Cf: invisible formatting, dropped
            kept.append("-")
            replaced = True
    key = "".join(kept)
    while key and unicodedata.category(key[0])[0] not in "LN":
        key = key[1:]
    return key[:REF_MAX].rstrip("-") or None


def clean_origin(value):
    """An embedding page's origin (``https://host[:port]``), or None when absent or odd.

    Attribution only: an unusable value is dropped rather than refusing a signature.
    """
    if not isinstance(value, str) or len(value) > ORIGIN_MAX or not _ORIGIN_RE.fullmatch(value):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # raises for a port past 65535
        if parts.hostname and ":" in parts.hostname:
            ipaddress.IPv6Address(parts.hostname)
    except ValueError:
        return None
    return value.lower()


SIGNATURE_FIELDS = {
    "name": clean_name,
    "email": clean_email,
    "country": clean_country,
    "region": lambda v: clean_text(v, REGION_MAX, required=False),
    "comment": lambda v: clean_text(v, COMMENT_MAX, required=False, multiline=True),
    "opt_in": clean_bool,
    "lang": clean_lang,
    "ref": clean_ref,
}


def clean_signature(data):
    """Apply every signature field rule; unknown fields are ignored."""
    clean, errors = {}, {}
    for field, rule in SIGNATURE_FIELDS.items():
        value, error = rule(data.get(field))
        if error is not None:
            errors[field] = str(error)
        else:
            clean[field] = value
    if not errors:
        clean["email_canonical"] = canonical_email(clean["email"])
    return clean, errors
