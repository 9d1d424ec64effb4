"""The coordinator's and subscriber's field rules, as tables."""
import pytest

from widget_service.supporter_validation import NOTE_MAX, PAKISTAN_REGIONS, clean_coordinator, clean_phone, clean_subscription


def coordinator(**overrides):
    data = {"name": "Ali Raza", "email": "ali@example.org", "phone": "0300 1234567", "region": "PK-BA"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0300 1234567", "+923001234567"),  # a Pakistani mobile, as people write it
        ("03001234567", "+923001234567"),
        ("0300-1234567", "+923001234567"),
        ("+92 300 1234567", "+923001234567"),
        ("0092 300 1234567", "+923001234567"),
        ("۰۳۰۰ ۱۲۳۴۵۶۷", "+923001234567"),  # Urdu digits
        ("081 2345678", "+92812345678"),  # a Quetta landline
        ("+44 7911 123456", "+447911123456"),  # the diaspora, with the country code
        ("+1 (202) 555-0143", "+12025550143"),
        (" +92 300 1234567\u202e ", "+923001234567"),  # bidi control stripped
        ("0300\u2060 1234567\u00ad", "+923001234567"),  # and invisible ones
    ],
)
def test_phone_is_normalised_to_e164(value, expected):
    assert clean_phone(value) == (expected, None)


@pytest.mark.parametrize(
    "value",
    [
        None, "", "   ", 3001234567, ["0300 1234567"],
        "0300 12",  # too short
        "0300 1234567 890",  # too long
        "0300-CALLNOW", "phone", "0300 123456x",  # letters
        "+1 300 1234567",  # not a number in that country's plan
        "+999 1234567",  # no such country code
        "+44 0300 123",  # wrong for its country
        "1" * 40,  # longer than anyone types
        "+92 300 1234567; DROP TABLE",
    ],
)
def test_bad_phones_are_refused(value):
    cleaned, error = clean_phone(value)
    assert cleaned is None and error


@pytest.mark.parametrize("region", list(PAKISTAN_REGIONS))
def test_every_province_and_territory_is_in_pakistan(region):
    clean, errors = clean_coordinator(coordinator(region=region, country="GB"))
    assert errors == {} and (clean["region"], clean["country"]) == (region, "PK")


def test_outside_pakistan_needs_a_country_other_than_pakistan():
    clean, errors = clean_coordinator(coordinator(region="outside", country="gb"))
    assert errors == {} and (clean["region"], clean["country"]) == ("outside", "GB")
    for country in (..., "", "PK", "XX", "EU", 7):
        _, errors = clean_coordinator(coordinator(region="outside", country=country))
        assert set(errors) == {"country"}, country


@pytest.mark.parametrize("region", [..., "", "Balochistan", "PK-XX", "pk-ba", "Outside", ["PK-BA"], {"r": 1}, 5])
def test_bad_regions_are_refused(region):
    _, errors = clean_coordinator(coordinator(region=region))
    assert set(errors) == {"region"}


def test_the_note_is_cleaned_and_limited():
    clean, errors = clean_coordinator(coordinator(note="I can\u0000 organise\u202e meetings.\r\n\r\n\r\n\r\nIn Quetta."))
    assert errors == {} and clean["note"] == "I can organise meetings.\n\nIn Quetta."
    assert clean_coordinator(coordinator(note="x" * NOTE_MAX))[1] == {}
    assert set(clean_coordinator(coordinator(note="x" * (NOTE_MAX + 1)))[1]) == {"note"}
    assert clean_coordinator(coordinator(note="   "))[0]["note"] is None


def test_a_complete_offer_is_cleaned_and_every_missing_field_named():
    clean, errors = clean_coordinator(coordinator(email="Ali.Raza+quetta@Gmail.com", lang="ur", ref="ally"))
    assert errors == {}
    assert clean["email_canonical"] == "aliraza@gmail.com" and clean["phone"] == "+923001234567"
    assert (clean["lang"], clean["ref"]) == ("ur", "ally")
    _, errors = clean_coordinator({})
    assert set(errors) == {"name", "email", "phone", "region"}


def test_a_subscription_needs_only_an_email_and_speaks_the_pages_language_by_default():
    clean, errors = clean_subscription({"email": "a@example.org", "lang": "ur"})
    assert errors == {} and clean["name"] is None and clean["email_lang"] == "ur"
    clean, _ = clean_subscription({"email": "a@example.org", "lang": "ur", "email_lang": "en", "name": " Ali "})
    assert (clean["email_lang"], clean["name"]) == ("en", "Ali")
    _, errors = clean_subscription({"email": "nope", "name": "12345", "email_lang": "fr"})
    assert set(errors) == {"email", "name", "email_lang"}
