"""The field rules, as tables: input -> cleaned value or the field that is refused."""
import pytest
from hypothesis import given, strategies as st

from widget_service.validation import (
    canonical_email,
    clean_bool,
    clean_country,
    clean_email,
    clean_lang,
    clean_name,
    clean_origin,
    clean_ref,
    clean_signature,
    clean_text,
    country_choices,
    partner_key,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ali Raza", "Ali Raza"),
        ("  Ali   Raza  ", "Ali Raza"),
        ("علی رضا", "علی رضا"),  # Urdu
        ("محمد حسین", "محمد حسین"),  # Arabic
        ("José Ñúñez", "José Ñúñez"),
        ("Zoë\u0000 O'Brien", "Zoë O'Brien"),  # NUL stripped
        ("Ali\u202eazaR", "AliazaR"),  # bidi override stripped
        ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ kept: Persian/Urdu spelling needs it
        ("Ali\tRaza\n", "Ali Raza"),
        ("e\u0301", "\u00e9"),  # NFC
        # Unicode's default-ignorable characters show nothing, and go
        ("A\u2060li\u00ad Raza", "Ali Raza"),  # word joiner, soft hyphen
        ("Ali\u2061 Raza\u034f", "Ali Raza"),  # function application, combining grapheme joiner
        ("Ali\u200b\u180e Raza\ufeff", "Ali Raza"),  # zero-width space, Mongolian vowel separator, BOM
        ("Ali\ufe0f \u3164Raza\uffa0", "Ali Raza"),  # variation selector, Hangul fillers
        ("Ali\U000e0041\U000e0100", "Ali"),  # a tag, a variation selector supplement
        ("e\u034f\u0301", "\u00e9"),  # normalised once the joiner is gone
    ],
)
def test_name_accepts_any_script(value, expected):
    assert clean_name(value) == (expected, None)


@pytest.mark.parametrize("value", [
    None, "", "   ", "\u0000\u0001", "12345", "!!!", 42, ["Ali"], {"n": 1}, "x" * 101,
    "\u3164", "\u115f\u1160", "\u2060\u00ad",  # nothing visible: Hangul fillers are letters, yet show nothing
])
def test_name_refused(value):
    cleaned, error = clean_name(value)
    assert cleaned is None and error


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ali@example.org", "ali@example.org"),
        ("  Ali@Example.ORG ", "Ali@example.org"),
        ("علی@example.org", "علی@example.org"),
        # Invisible characters go: the email validator lets some of them through
        ("jane\u034f@outlook.fr", "jane@outlook.fr"),
        ("ja\u3164ne@outlook.fr", "jane@outlook.fr"),
        ("jane\ufe0f@outlook.fr", "jane@outlook.fr"),
        ("jane\u2060@outlook.fr", "jane@outlook.fr"),
        ("\u00adjane@outlook.fr\u200b", "jane@outlook.fr"),
    ],
)
def test_email_syntax_accepted(value, expected):
    assert clean_email(value) == (expected, None)


@pytest.mark.parametrize(
    "value",
    [None, "", "ali", "ali@", "@example.org", "ali@@example.org", "ali@localhost", "ali example@x.org",
     "ali@example", 7, True, "a" * 250 + "@example.org"],
)
def test_email_refused(value):
    cleaned, error = clean_email(value)
    assert cleaned is None and error


@pytest.mark.parametrize(
    ("email", "canonical"),
    [
        ("Ali.Raza+msp@gmail.com", "aliraza@gmail.com"),
        ("a.l.i.r.a.z.a@GoogleMail.com", "aliraza@gmail.com"),
        ("ALIRAZA@GMAIL.COM", "aliraza@gmail.com"),
        ("ali.raza+x@outlook.com", "ali.raza@outlook.com"),
        ("Ali.Raza+x@example.org", "ali.raza+x@example.org"),  # unknown provider: case only
        ("ali@Example.ORG", "ali@example.org"),
    ],
)
def test_canonical_email(email, canonical):
    assert canonical_email(email) == canonical


@pytest.mark.parametrize(("value", "expected"), [("PK", "PK"), ("pk", "PK"), (" gb ", "GB"), ("AF", "AF")])
def test_country_accepted(value, expected):
    assert clean_country(value) == (expected, None)


@pytest.mark.parametrize("value", [None, "", "XX", "EU", "UN", "PAK", "Pakistan", "001", 92])
def test_country_refused(value):
    cleaned, error = clean_country(value)
    assert cleaned is None and error


def test_country_choices_are_named_in_the_readers_language():
    assert dict(country_choices("en"))["PK"] == "Pakistan"
    assert dict(country_choices("ur"))["PK"] == "پاکستان"
    assert len(country_choices("en")) > 240


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (None, False), ("", False), ("on", True), ("1", True), ("0", False), ("false", False)],
)
def test_bool(value, expected):
    assert clean_bool(value) == (expected, None)


@pytest.mark.parametrize("value", ["maybe", 2, [], {}])
def test_bool_refused(value):
    assert clean_bool(value)[0] is None


@pytest.mark.parametrize(("value", "expected"), [(None, "en"), ("en", "en"), ("ur", "ur")])
def test_lang(value, expected):
    assert clean_lang(value) == (expected, None)


@pytest.mark.parametrize("value", ["fr", "UR", 1, ["ur"]])
def test_lang_refused(value):
    assert clean_lang(value)[0] is None


@pytest.mark.parametrize(("value", "expected"), [
    ("ally-1", "ally-1"), ("hrcp.org", "hrcp.org"), ("ally~whatsapp", "ally~whatsapp"), (None, None), ("", None),
    ("ہزارہ-ٹاؤن", "ہزارہ-ٹاؤن"),  # letters of any script, with their marks
    # Outside the rule: kept, made to follow it, never dropped while something is left.
    ("Quetta Solidarity Network", "Quetta-Solidarity-Network"), ("ally/هزاره", "ally-هزاره"),
    ("x" * 80, "x" * 64), ("a b", "a-b"), ("<x>", "x"), ("ally\n", "ally"), ("  ally  ", "ally"),
    ("Ｑuetta", "Quetta"), ("qu\u00adetta\u2060", "quetta"), ("ab\u202e", "ab"), ("_x", "x"), ("!!!", None),
    ('"><script>alert(1)</script>', "script-alert-1-script"),
])
def test_ref(value, expected):
    assert clean_ref(value) == (expected, None)


def test_a_ref_that_is_not_text_is_refused():
    assert clean_ref(5)[0] is None and clean_ref(5)[1]


@given(st.text(max_size=120))
def test_a_partner_key_follows_its_rule_and_is_kept_as_it_is(text):
    key = partner_key(text)
    assert key is None or (len(key) <= 64 and partner_key(key) == key and key[0].isalnum())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://ally.example.org", "https://ally.example.org"),
        ("http://localhost:5001", "http://localhost:5001"),
        ("HTTPS://Ally.Example.org", "https://ally.example.org"),
        ("https://ally.example.org/path", None),
        ("https://ally.example.org\n", None),
        ("javascript:alert(1)", None),
        ("https://ally.example.org:99999", None),
        ("http://[:::::]", None),
        ("http://[::1]:5001", "http://[::1]:5001"),
        ("null", None),
        (None, None),
        (42, None),
    ],
)
def test_origin(value, expected):
    assert clean_origin(value) == expected


def test_comment_keeps_paragraphs_and_limits_length():
    assert clean_text("one\r\n\r\n\r\n\r\ntwo ", 1000, required=False, multiline=True) == ("one\n\ntwo", None)
    assert clean_text("on\u00ade\n\u2060\ntwo\u2061", 1000, multiline=True) == ("one\n\ntwo", None)  # invisible ones go
    assert clean_text("\u2064\u200b", 1000, required=False, multiline=True) == (None, None)
    assert clean_text("x" * 1001, 1000, required=False, multiline=True)[0] is None
    assert clean_text(None, 1000, required=False) == (None, None)


def test_signature_reports_every_bad_field_at_once():
    clean, errors = clean_signature({"name": "", "email": "nope", "country": "ZZ", "opt_in": "perhaps", "lang": "fr", "ref": 7})
    assert set(errors) == {"name", "email", "country", "opt_in", "lang", "ref"}
    assert all(isinstance(message, str) and message for message in errors.values())


def test_signature_clean_adds_the_canonical_email():
    clean, errors = clean_signature({"name": "Ali", "email": "Ali.Raza+x@gmail.com", "country": "pk", "unknown": "ignored"})
    assert errors == {}
    assert clean["email_canonical"] == "aliraza@gmail.com"
    assert clean["country"] == "PK" and clean["lang"] == "en" and clean["opt_in"] is False
    assert "unknown" not in clean
