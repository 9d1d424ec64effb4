"""Properties of the validation rules, over generated input (hypothesis): the canonical email,
names in any script, amounts in every currency, and control and bidirectional-override
characters. The rules are pure functions; two properties also go through HTTP."""
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from sqlalchemy import select

from widget_service.donations import CURRENCIES, DonateSettings, clean_donation, format_money, parse_amount
from widget_service.extensions import db
from widget_service.mailboxes import canonical_email
from widget_service.models import Signature
from widget_service.validation import INVISIBLE, NAME_MAX, clean_email, clean_name, clean_text, strip_controls

from .builders import make_campaign

PURE = settings(max_examples=300, deadline=None)
OVER_HTTP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- canonical email --------------------------------------------------------------------------

ATOM = "abcdefghijklmnopqrstuvwxyz0123456789"
local_parts = st.text(ATOM, min_size=1, max_size=20)
tags = st.text(ATOM + ".-_", min_size=0, max_size=10)
PROVIDER_DOMAINS = [
    "gmail.com", "googlemail.com", "proton.me", "protonmail.com", "pm.me", "protonmail.ch", "outlook.com",
    "hotmail.co.uk", "live.com.pk", "msn.com", "yahoo.com", "yahoo.co.in", "icloud.com", "fastmail.com",
    "example.org", "msp.org.pk",
]
addresses = st.one_of(
    st.emails(),
    st.builds(lambda local, tag, domain: f"{local}+{tag}@{domain}" if tag else f"{local}@{domain}",
              local_parts, tags, st.sampled_from(PROVIDER_DOMAINS)),
)


def with_dots(local, positions):
    """``local`` with a dot inserted before each of ``positions`` (inside the name, never doubled)."""
    for position in sorted({p for p in positions if 0 < p < len(local)}, reverse=True):
        local = local[:position] + "." + local[position:]
    return local


def flip_case(text, flips):
    return "".join(char.upper() if flip else char for char, flip in zip(text, flips + [False] * len(text)))


@PURE
@given(addresses)
def test_the_canonical_form_is_idempotent(address):
    once = canonical_email(address)
    assert canonical_email(once) == once


@PURE
@given(addresses, st.lists(st.booleans(), max_size=80))
def test_the_canonical_form_ignores_case_in_every_address_the_form_takes(address, flips):
    typed, error = clean_email(address)
    assume(error is None)
    flipped, error = clean_email(flip_case(address, flips))
    assert error is None
    assert canonical_email(flipped) == canonical_email(typed)


@PURE
@given(local_parts, st.lists(st.integers(0, 20), max_size=4), tags, st.sampled_from(["gmail.com", "googlemail.com"]))
def test_gmail_ignores_dots_and_plus_tags_and_googlemail_is_gmail(local, dots, tag, domain):
    assert canonical_email(f"{with_dots(local, dots)}+{tag}@{domain}") == canonical_email(f"{local}@gmail.com")


@PURE
@given(local_parts, st.lists(st.integers(0, 20), max_size=4), st.sampled_from("._-"), tags,
       st.sampled_from(["proton.me", "protonmail.com", "pm.me", "protonmail.ch"]))
def test_proton_is_one_domain_and_ignores_aliases_and_separators(local, positions, separator, tag, domain):
    spelled = with_dots(local, positions).replace(".", separator)
    assert canonical_email(f"{spelled}+{tag}@{domain}") == canonical_email(f"{local}@proton.me")


@PURE
@given(local_parts, tags, st.sampled_from(["outlook.com", "hotmail.fr", "live.com.pk", "hotmail.co.uk", "msn.com", "icloud.com"]))
def test_plus_tags_go_where_the_provider_drops_them_but_dots_stay(local, tag, domain):
    assert canonical_email(f"{local}+{tag}@{domain}") == canonical_email(f"{local}@{domain}")
    assume(len(local) > 1)
    assert canonical_email(f"{local[0]}.{local[1:]}@{domain}") != canonical_email(f"{local}@{domain}")


@PURE
@given(local_parts, local_parts, local_parts, st.sampled_from(["yahoo.com", "yahoo.co.in", "yahoo.fr"]))
def test_yahoo_disposable_addresses_are_one_mailbox_apart_from_the_base_name(base, one, other, domain):
    assert canonical_email(f"{base}-{one}@{domain}") == canonical_email(f"{base}-{other}@{domain}")
    assert canonical_email(f"{base}-{one}@{domain}") != canonical_email(f"{base}@{domain}")


@PURE
@given(local_parts, st.text(ATOM, min_size=1, max_size=10), st.sampled_from(["example.org", "msp.org.pk", "uni.edu.pk"]))
def test_other_providers_keep_tags_and_dots_apart(local, tag, domain):
    assert canonical_email(f"{local}+{tag}@{domain}") != canonical_email(f"{local}@{domain}")
    assume(len(local) > 1)
    assert canonical_email(f"{local[0]}.{local[1:]}@{domain}") != canonical_email(f"{local}@{domain}")


def test_two_spellings_of_one_mailbox_are_counted_once(app, widget):
    with app.app_context():
        slug = make_campaign().slug

    @OVER_HTTP
    @given(local_parts, st.lists(st.integers(0, 20), max_size=3), st.text(ATOM + "-_", max_size=10), st.lists(st.booleans(), max_size=30))
    def sign_twice(local, dots, tag, flips):
        first = widget.sign(slug, email=f"{local}@gmail.com")
        again = widget.sign(slug, email=flip_case(f"{with_dots(local, dots)}+{tag}@googlemail.com", flips))
        assert first.status_code == again.status_code == 202
        assert first.get_json() == again.get_json()  # the answer tells nobody it was a duplicate
        with app.app_context():
            rows = db.session.scalars(select(Signature.state).where(
                Signature.email_canonical == canonical_email(f"{local}@gmail.com"))).all()
        assert rows == [Signature.COUNTED]

    sign_twice()


# --- names in any script, control and bidi characters -------------------------------------------

# Visible characters only (a few letters and marks are invisible fillers, which names lose).
letters = st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo"]).filter(lambda char: char not in INVISIBLE)
name_chars = st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd", "Pd", "Po"]).filter(
    lambda char: char not in INVISIBLE) | st.sampled_from(" '\u200c\u200d")
names = st.builds(lambda head, letter, tail: head + letter + tail,
                  st.text(name_chars, max_size=40), letters, st.text(name_chars, max_size=40))
# What must never reach a stored name: C0/C1 controls, bidi embeddings, overrides and isolates,
# invisible joiners and fillers, line and paragraph separators.
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
hidden = st.one_of(
    st.sampled_from(sorted(BIDI)),
    st.sampled_from([chr(c) for c in range(32) if chr(c) not in "\t\n\r\v\f"] + [chr(c) for c in range(0x7F, 0xA0)]),
    st.sampled_from(["\u00ad", "\u200b", "\u2060", "\ufeff", "\u180e", "\u3164", "\ufe0f", "\u2028", "\u2029", "\U000e0041"]),
    st.sampled_from(sorted(INVISIBLE)),
)


def sprinkle(text, inserts):
    """``text`` with each ``(position, char)`` of ``inserts`` put in."""
    for position, char in sorted(inserts, reverse=True):
        position = min(position, len(text))
        text = text[:position] + char + text[position:]
    return text


@PURE
@given(names)
def test_a_name_in_any_script_with_a_letter_is_taken_as_the_same_text(name):
    cleaned, error = clean_name(name)
    expected = " ".join(unicodedata.normalize("NFC", name).split())
    assume(len(expected) <= NAME_MAX)
    assert error is None
    assert cleaned == expected


@PURE
@given(st.text(st.characters(categories=["Nd", "Zs", "Po", "Pd", "Sm", "So", "Mn"]), min_size=1, max_size=40))
def test_a_name_without_a_letter_is_refused(text):
    assert clean_name(text)[0] is None


@PURE
@given(names, st.lists(st.tuples(st.integers(0, 90), hidden), max_size=8))
def test_control_and_bidi_characters_change_nothing_in_a_name(name, inserts):
    assert clean_name(sprinkle(name, inserts)) == clean_name(name)


@PURE
@given(st.lists(st.characters() | hidden, max_size=300).map("".join), st.booleans())
def test_cleaned_text_holds_no_control_invisible_or_bidi_character_and_is_nfc(text, multiline):
    for cleaned in (strip_controls(text, keep_newlines=multiline), clean_text(text, 1000, required=False, multiline=multiline)[0] or ""):
        assert unicodedata.is_normalized("NFC", cleaned)
        assert not BIDI & set(cleaned) and not INVISIBLE & set(cleaned)
        assert all(char == "\n" and multiline or unicodedata.category(char) not in ("Cc", "Cs", "Co", "Cn") for char in cleaned)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_signed_name_is_stored_as_cleaned_in_any_script(app, widget):
    with app.app_context():
        slug = make_campaign().slug

    @OVER_HTTP
    @given(names, st.lists(st.tuples(st.integers(0, 90), hidden), max_size=4))
    def sign(name, inserts):
        expected, error = clean_name(name)
        assume(error is None)
        response = widget.sign(slug, name=sprinkle(name, inserts))
        assert response.status_code == 202, response.get_data(as_text=True)
        with app.app_context():
            stored = db.session.scalars(select(Signature.name).order_by(Signature.id.desc()).limit(1)).one()
        assert stored == expected

    sign()


# --- amounts in every currency ----------------------------------------------------------------

currencies = st.sampled_from(sorted(CURRENCIES))
URDU, ARABIC = "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"


@st.composite
def amounts(draw):
    code = draw(currencies)
    currency = CURRENCIES[code]
    # Large amounts too (grouped in lakhs, they differ from thousands): integers lean small.
    low, high = currency.minimum, currency.maximum
    return code, draw(st.integers(low, high) | st.integers(high // 100, high) | st.sampled_from([low, high]))


def grouped(whole, lakh):
    """``whole`` with grouping commas, international (1,000,000) or South Asian (10,00,000)."""
    digits = str(whole)
    if len(digits) <= 3:
        return digits
    head, last = digits[:-3], digits[-3:]
    size = 2 if lakh else 3
    groups = []
    while head:
        groups.insert(0, head[-size:])
        head = head[:-size]
    return ",".join(groups + [last])


@st.composite
def written(draw, amount):
    """``amount`` minor units as a donor may type it."""
    whole, cents = divmod(amount, 100)
    text = grouped(whole, draw(st.booleans())) if draw(st.booleans()) else str(whole)
    if cents or draw(st.booleans()):
        text += "." + (f"{cents:02d}" if cents % 10 or draw(st.booleans()) else str(cents // 10))
    script = draw(st.sampled_from([None, URDU, ARABIC]))
    if script:
        text = text.translate(str.maketrans("0123456789", script))
    return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " "]))


@PURE
@given(st.data(), amounts())
def test_every_way_of_writing_an_amount_in_any_currency_reads_as_that_amount(data, chosen):
    code, amount = chosen
    text = data.draw(written(amount))
    assert parse_amount(text, CURRENCIES[code]) == amount, text


@PURE
@given(amounts(), st.sampled_from(["en", "ur"]))
def test_an_amount_as_the_page_writes_it_reads_back_as_itself(chosen, lang):
    code, amount = chosen
    shown = format_money(amount, code, lang)
    number = "".join(char for char in shown if char.isdigit() or char in ",.")
    assert parse_amount(number, CURRENCIES[code]) == amount, shown


@PURE
@given(currencies, st.integers(0, 999), st.integers(10, 99))
def test_a_decimal_comma_or_a_third_decimal_is_refused_never_misread(code, whole, cents):
    assert parse_amount(f"{whole},{cents}", CURRENCIES[code]) is None
    assert parse_amount(f"{whole}.{cents}5", CURRENCIES[code]) is None


def test_amounts_within_each_currencys_bounds_are_taken_and_others_refused(app):
    @PURE
    @given(currencies, st.integers(0, 10**9), st.sampled_from(["en", "ur"]))
    def donate(code, amount, lang):
        currency = CURRENCIES[code]
        settings_ = DonateSettings(currencies=list(CURRENCIES), default_currency="USD")
        whole, cents = divmod(amount, 100)
        form = {"currency": code, "amount": "other", "custom_amount": f"{whole}.{cents:02d}"}
        with app.test_request_context(f"/?lang={lang}"):
            clean, errors = clean_donation(form, settings_)
        if currency.minimum <= amount <= currency.maximum:
            assert errors == {} and clean["amount"] == amount and clean["currency"] == code
        else:
            assert list(errors) == ["custom_amount"] and clean == {}

    donate()
