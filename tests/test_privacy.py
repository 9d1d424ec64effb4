"""The privacy notice: MSP's contact for requests, how long data is kept, and the companies a
supporter's data may reach, in English and Urdu, as each deployment is configured."""
import pytest

from widget_service import config

STRIPE = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}


def notice(app, lang):
    response = app.test_client().get(f"/privacy?lang={lang}")
    assert response.status_code == 200
    return response.data.decode()


@pytest.mark.parametrize(("contact", "link"), [
    ("privacy@msp.example", '<a dir="ltr" href="mailto:privacy@msp.example">privacy@msp.example</a>'),
    ("https://msp.example/data-requests", '<a dir="ltr" href="https://msp.example/data-requests">https://msp.example/data-requests</a>'),
])
def test_the_notice_names_msps_contact_for_requests_in_both_languages(make_app, contact, link):
    app = make_app(PRIVACY_CONTACT=contact)
    english, urdu = notice(app, "en"), notice(app, "ur")
    assert "show you what it keeps about you, to correct it, or to delete it" in english
    assert f"Write to MSP at {link} and give the email address you used" in english
    assert f"MSP کو {link} پر لکھیں" in urdu and "درست کرے یا حذف کر دے" in urdu


def test_without_a_contact_the_notice_still_says_how_to_ask(make_app):
    english = notice(make_app(), "en")
    assert "mailto:" not in english and "Write to MSP and give the email address you used" in english


@pytest.mark.parametrize(("days", "english", "urdu"), [
    (365, "At most 365 days after it closes, we erase from them your name", "زیادہ سے زیادہ 365 دن بعد"),
    (1, "At most 1 day after it closes, we erase from them your name", "زیادہ سے زیادہ 1 دن بعد"),
])
def test_the_notice_says_how_long_data_is_kept(make_app, days, english, urdu):
    app = make_app(RETENTION_DAYS=days)
    assert english in notice(app, "en") and "until you unsubscribe" in notice(app, "en")
    assert urdu in notice(app, "ur") and "ان سبسکرائب" in notice(app, "ur")


def test_stripe_is_named_when_donations_go_through_it(make_app):
    plain = make_app()
    assert "Stripe" not in notice(plain, "en") and "Stripe" not in notice(plain, "ur")
    with_stripe = make_app(**STRIPE)
    assert "Card donations are paid on the page of Stripe" in notice(with_stripe, "en")
    assert "ادائیگی کی کمپنی Stripe کے صفحے پر" in notice(with_stripe, "ur")


def test_every_company_a_supporter_may_reach_is_named_when_all_are_on(make_app):
    app = make_app(HCAPTCHA_SITEKEY="s", HCAPTCHA_SECRET="x", PRIVACY_CONTACT="privacy@msp.example", **STRIPE)
    for lang in ("en", "ur"):
        page = notice(app, lang)
        assert "hCaptcha" in page and "Stripe" in page and "privacy@msp.example" in page


@pytest.mark.parametrize("contact", ["javascript:alert(1)", "call the office", "privacy@", "https://", "<x>@y.org"])
def test_a_contact_that_is_no_address_is_refused(make_app, contact):
    with pytest.raises(config.ConfigError, match="WIDGET_PRIVACY_CONTACT"):
        make_app(PRIVACY_CONTACT=contact)


def test_the_settings_are_read_from_the_environment():
    settings = config.from_environ({"WIDGET_PRIVACY_CONTACT": " privacy@msp.example ", "WIDGET_RETENTION_DAYS": "180"})
    assert settings["PRIVACY_CONTACT"] == "privacy@msp.example" and settings["RETENTION_DAYS"] == 180
    for bad in ("-1", "3651", "a year"):
        with pytest.raises(config.ConfigError, match="WIDGET_RETENTION_DAYS"):
            config.from_environ({"WIDGET_RETENTION_DAYS": bad})
    # The setting it replaced promised what nothing kept: a deployment that still sets it is told.
    with pytest.raises(config.ConfigError, match="WIDGET_PRIVACY_RETENTION_MONTHS is replaced by WIDGET_RETENTION_DAYS"):
        config.from_environ({"WIDGET_PRIVACY_RETENTION_MONTHS": "6"})


def test_production_warns_when_the_notice_names_no_contact(monkeypatch, tmp_path, caplog):
    from widget_service import create_app

    monkeypatch.setenv("WIDGET_ENV", "production")
    monkeypatch.setenv("WIDGET_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("WIDGET_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.setenv("WIDGET_PUBLIC_URL", "https://widgets.example.org")
    create_app()
    assert any("WIDGET_PRIVACY_CONTACT is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    monkeypatch.setenv("WIDGET_PRIVACY_CONTACT", "privacy@msp.example")
    create_app()
    assert not any("WIDGET_PRIVACY_CONTACT" in r.getMessage() for r in caplog.records)
