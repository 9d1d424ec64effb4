"""The donate widget over HTTP: starting a Stripe Checkout against a loopback Stripe, the webhook
with genuine, forged, stale and replayed events, totals, and the fallback without Stripe."""
import json
import re
import threading
import time

import pytest
from sqlalchemy import func, select

from widget_service.extensions import db
from widget_service.models import Campaign, Donation, DonationTotal

from . import stripe_server as stripe_loop
from .builders import make_campaign, signature
from .stripe_server import completed_session, event, paid_invoice, signature_header

WEBHOOK = "/api/v1/stripe/webhook"


def stripe_config(server, **overrides):
    return stripe_loop.service_config(server, **{"STRIPE_TIMEOUT_SECONDS": 2.0, **overrides})


class Donor:
    """A donor and Stripe, as the service meets them: the widget, the form post, the webhook."""

    def __init__(self, app, server=None):
        self.app = app
        self.client = app.test_client()
        self.server = server
        with app.app_context():
            campaign = make_campaign()
            self.slug, self.campaign_id = campaign.slug, campaign.id

    def page(self, lang="en", currency=None, slug=None):
        query = f"?lang={lang}" + (f"&currency={currency}" if currency else "")
        return self.client.get(f"/widgets/{slug or self.slug}/donate{query}")

    def form_token(self, lang="en"):
        """A token, as the widget's script asks for one when the donor starts on the form."""
        return self.client.post(f"/api/v1/campaigns/{self.slug}/form-tokens/donate").get_json()["form_token"]

    def start(self, slug=None, **fields):
        fields.setdefault("currency", "USD")
        fields.setdefault("amount", "2500")
        fields.setdefault("lang", "en")
        if "form_token" not in fields:
            fields["form_token"] = self.form_token(fields["lang"])
        return self.client.post(f"/widgets/{slug or self.slug}/donate", data=fields)

    def session(self, **fields):
        """Start a donation and return the session the loopback Stripe made for it."""
        response = self.start(**fields)
        assert response.status_code == 303, response.data.decode()[:2000]
        session_id = response.headers["Location"].rsplit("/", 1)[1]
        return self.server.sessions[session_id]

    def deliver(self, evt, secret=stripe_loop.WEBHOOK_SECRET, timestamp=None, payload=None, header=None):
        payload = payload if payload is not None else json.dumps(evt)
        if header is None:
            header = signature_header(payload, secret, timestamp)
        headers = {"Stripe-Signature": header} if header else {}
        return self.client.post(WEBHOOK, data=payload, headers=headers, content_type="application/json")

    def donations(self):
        with self.app.app_context():
            rows = db.session.scalars(select(Donation).order_by(Donation.id)).all()
            return [(d.campaign_id, d.amount, d.currency, d.interval, d.stripe_object_id) for d in rows]

    def totals(self):
        with self.app.app_context():
            rows = db.session.execute(select(DonationTotal.currency, DonationTotal.amount, DonationTotal.donations))
            return {currency: (amount, n) for currency, amount, n in rows}


@pytest.fixture
def donor(make_app, stripe_api):
    return Donor(make_app(**stripe_config(stripe_api)), stripe_api)


@pytest.fixture
def offline_donor(make_app):
    """The service without Stripe, the demo's default."""
    return Donor(make_app())


def set_donate(donor, **settings):
    with donor.app.app_context():
        from widget_service.donations import change_donate_settings

        change_donate_settings(db.session.get(Campaign, donor.campaign_id), **settings)


# --- the widget ---------------------------------------------------------------------------

def test_without_stripe_the_widget_shows_the_donation_page_and_bank_details_in_both_languages(offline_donor):
    set_donate(
        offline_donor, external_url="https://msp.example.org/donate",
        bank={"en": "Account title: MSP\nIBAN: PK00 TEST", "ur": "اکاؤنٹ کا نام: ایم ایس پی\nIBAN: PK00 TEST"},
    )
    english = offline_donor.page("en")
    html = english.data.decode()
    assert english.status_code == 200
    assert 'id="donate"' not in html  # no form that could not be sent
    assert 'href="https://msp.example.org/donate" target="_blank" rel="noopener"' in html
    assert "Bank transfer from Pakistan" in html and "Account title: MSP" in html
    urdu = offline_donor.page("ur").data.decode()
    assert 'lang="ur" dir="rtl"' in urdu
    assert "اکاؤنٹ کا نام: ایم ایس پی" in urdu and "Account title" not in urdu
    assert "پاکستان سے بینک ٹرانسفر" in urdu
    assert 'href="https://msp.example.org/donate"' in urdu


def test_without_anything_configured_the_widget_says_so_and_a_post_starts_nothing(offline_donor):
    html = offline_donor.page().data.decode()
    assert "Online donations are not open yet" in html
    response = offline_donor.start(form_token="no-form-was-shown")
    assert response.status_code == 503
    assert offline_donor.donations() == []


def test_the_widget_offers_presets_per_currency_formatted_for_the_language(donor):
    html = donor.page("en", currency="GBP").data.decode()
    presets = re.findall(r'name="amount" id="a-\d+" value="(\d+)"[^>]*><label for="a-\d+">([^<]+)<', html)
    assert presets == [("1000", "£10"), ("2500", "£25"), ("5000", "£50"), ("10000", "£100")]
    assert 'name="currency" value="GBP"' in html
    assert re.search(r'<form id="donate" method="post" action="[^"]+" target="_blank"', html)
    urdu = donor.page("ur", currency="PKR").data.decode()
    # In right-to-left text each amount is a left-to-right isolate, or "$25" would show as "25$".
    # A symbol made of letters stands apart from the digits (a no-break space), as CLDR writes it.
    assert re.findall(r'<label for="a-\d+">([^<]+)<', urdu)[:2] == ["\u2066Rs\u00a01,000\u2069", "\u2066Rs\u00a02,500\u2069"]
    assert "رقم (PKR)" in urdu


def test_the_widget_sets_no_cookie_and_lets_its_form_lead_only_to_stripe_checkout(donor, stripe_api):
    response = donor.page()
    assert "Set-Cookie" not in response.headers
    # The same page for every visitor (its form's token is fetched by the script), kept briefly.
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert 'name="form_token" value=""' in response.data.decode()
    csp = response.headers["Content-Security-Policy"]
    assert f"form-action 'self' {stripe_api.url};" in csp
    assert "frame-ancestors *" in csp


def test_presets_and_currencies_follow_the_campaign_settings(donor):
    set_donate(donor, presets={"USD": [500, 1500]}, currencies=["PKR", "USD"], default_currency="PKR", monthly=False)
    html = donor.page().data.decode()
    assert 'name="currency" value="PKR"' in html
    assert re.findall(r'<nav class="currencies".*?</nav>', html, re.S)[0].count("<a ") == 2
    assert 'name="interval" value="once"' in html and 'id="i-month"' not in html
    usd = donor.page(currency="USD").data.decode()
    assert re.findall(r'name="amount" id="a-\d+" value="(\d+)"', usd) == ["500", "1500"]
    assert donor.start(currency="USD", amount="2500").status_code == 422  # no longer a preset
    assert donor.start(currency="EUR", amount="2500").status_code == 422  # not offered
    assert donor.start(currency="USD", amount="1500", interval="month").status_code == 422


# --- starting a donation --------------------------------------------------------------------

def test_a_one_time_donation_starts_a_checkout_in_payment_mode_and_records_nothing_yet(donor, stripe_api):
    response = donor.start(currency="USD", amount="5000", lang="ur", ref="demo-ally", origin="https://ally.example")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{stripe_api.url}/c/pay/cs_test_")
    [sent] = stripe_api.requests
    assert sent["auth"] == f"Bearer {stripe_loop.SECRET_KEY}"
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["submit_type"] == "donate"
    assert params["line_items[0][quantity]"] == "1"
    assert params["line_items[0][price_data][unit_amount]"] == "5000"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert "line_items[0][price_data][recurring][interval]" not in params
    assert params["metadata[msp_campaign]"] == donor.slug
    assert params["metadata[msp_campaign_id]"] == str(donor.campaign_id)
    assert params["metadata[msp_ref]"] == "demo-ally"
    assert params["payment_intent_data[metadata][msp_campaign_id]"] == str(donor.campaign_id)
    assert params["success_url"] == f"http://localhost/widgets/{donor.slug}/donate/thanks?lang=ur"
    assert params["cancel_url"] == f"http://localhost/widgets/{donor.slug}/donate/cancelled?lang=ur"
    assert not any("email" in key or "name]" == key[-5:] for key in params if "product_data" not in key)
    assert donor.donations() == [] and donor.totals() == {}


def test_a_monthly_donation_starts_a_subscription_checkout(donor, stripe_api):
    assert donor.start(currency="PKR", amount="250000", interval="month").status_code == 303
    params = stripe_api.requests[0]["params"]
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][recurring][interval]"] == "month"
    assert params["line_items[0][price_data][currency]"] == "pkr"
    assert params["line_items[0][price_data][unit_amount]"] == "250000"
    assert params["subscription_data[metadata][msp_campaign_id]"] == str(donor.campaign_id)
    assert params["subscription_data[metadata][msp_interval]"] == "month"
    assert "submit_type" not in params


@pytest.mark.parametrize("typed, currency, minor", [
    ("25", "USD", 2500), ("1,250.50", "USD", 125050), (" 7.5 ", "GBP", 750),
    ("۲۵۰۰", "PKR", 250000), ("٣٠", "EUR", 3000), ("10000", "AUD", 1000000),
    ("1,00,000", "PKR", 10000000), ("1 000", "EUR", 100000), ("۱٬۲۵۰", "PKR", 125000),
])
def test_a_custom_amount_is_read_in_minor_units(donor, stripe_api, typed, currency, minor):
    assert donor.start(currency=currency, amount="other", custom_amount=typed).status_code == 303
    assert stripe_api.requests[-1]["params"]["line_items[0][price_data][unit_amount]"] == str(minor)


def test_every_currencys_largest_gift_is_one_stripe_takes(donor, stripe_api):
    from widget_service.donations import CURRENCIES, STRIPE_MAX_AMOUNT, to_major

    for currency in CURRENCIES.values():
        assert currency.maximum <= STRIPE_MAX_AMOUNT
        largest = donor.start(currency=currency.code, amount="other", custom_amount=str(to_major(currency.maximum, currency.code)))
        assert largest.status_code == 303, (currency.code, largest.data[:300])


def test_a_custom_amount_typed_without_choosing_other_is_used(donor, stripe_api):
    assert donor.start(currency="USD", amount="", custom_amount="40").status_code == 303
    assert stripe_api.requests[-1]["params"]["line_items[0][price_data][unit_amount]"] == "4000"


def test_a_custom_amount_typed_while_the_default_preset_is_still_checked_is_used(donor, stripe_api):
    assert donor.start(currency="USD", amount="2500", custom_amount="40").status_code == 303
    assert stripe_api.requests[-1]["params"]["line_items[0][price_data][unit_amount]"] == "4000"


def test_a_bad_amount_typed_beside_a_preset_is_refused_not_swapped_for_the_preset(donor, stripe_api):
    response = donor.start(currency="USD", amount="2500", custom_amount="forty")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "such as 25 or 25.50" in html
    assert 'id="a-other" value="other" checked' in html and 'id="a-2500" value="2500" checked' not in html
    assert stripe_api.requests == []


@pytest.mark.parametrize("fields, field, message", [
    ({"amount": "other", "custom_amount": "1.99"}, "custom_amount", "Enter an amount from $2 to $10,000."),
    ({"amount": "other", "custom_amount": "10000.01"}, "custom_amount", "Enter an amount from $2 to $10,000."),
    ({"currency": "PKR", "amount": "other", "custom_amount": "199"}, "custom_amount", "from PKR\u00a0200 to PKR\u00a0999,999"),
    ({"currency": "PKR", "amount": "other", "custom_amount": "1000000"}, "custom_amount", "from PKR\u00a0200 to PKR\u00a0999,999"),
    # A decimal comma is refused, never read as a hundred times the amount.
    ({"currency": "EUR", "amount": "other", "custom_amount": "25,50"}, "custom_amount", "such as 25 or 25.50"),
    ({"currency": "EUR", "amount": "other", "custom_amount": "25,00"}, "custom_amount", "such as 25 or 25.50"),
    ({"currency": "EUR", "amount": "other", "custom_amount": "25,5"}, "custom_amount", "such as 25 or 25.50"),
    ({"currency": "EUR", "amount": "other", "custom_amount": "1,0000"}, "custom_amount", "such as 25 or 25.50"),
    ({"amount": "other", "custom_amount": "-5"}, "custom_amount", "such as 25 or 25.50"),
    ({"amount": "other", "custom_amount": "1e3"}, "custom_amount", "such as 25 or 25.50"),
    ({"amount": "other", "custom_amount": "2.555"}, "custom_amount", "such as 25 or 25.50"),
    ({"amount": "other", "custom_amount": ""}, "custom_amount", "Enter the amount"),
    ({"amount": "2600"}, "amount", "Choose one of the amounts"),
    ({"amount": "99999999999999999999"}, "amount", "Choose one of the amounts"),
    ({"amount": "٢٥٠٠"}, "amount", "Choose one of the amounts"),
    ({"amount": ""}, "amount", "Choose an amount."),
    ({"currency": "XXX"}, "currency", "Choose a currency."),
    ({"currency": ""}, "currency", "Choose a currency."),
    ({"interval": "week"}, "interval", "Choose one-time or monthly."),
])
def test_amounts_outside_the_bounds_and_bad_fields_get_422_and_reach_no_stripe(donor, stripe_api, fields, field, message):
    response = donor.start(**fields)
    assert response.status_code == 422
    html = response.data.decode()
    assert re.search(rf'id="e-{field}">[^<]*{re.escape(message)}', html), html
    # The message links to the wrong field (none for the currency, which has no field of its own).
    alert = re.search(r'id="alert" role="alert"[^>]*>Please correct the fields marked below(?:, starting with <a href="#([^"]+)">[^<]+</a>)?\.</p>', html)
    assert alert and (alert.group(1) is None) == (field == "currency"), html
    if alert.group(1):
        assert f'id="{alert.group(1)}"' in html and alert.group(1).startswith({"amount": "a-", "custom_amount": "f-custom_amount", "interval": "i-"}[field])
    if field == "custom_amount":
        assert 'aria-invalid="true" aria-describedby="e-custom_amount"' in html
    form_tag = re.search(r'<form id="donate"[^>]*>', html).group(0)
    assert 'target=' not in form_tag  # the form is the new tab's page now: it stays there
    assert stripe_api.requests == []


def test_errors_are_in_the_donors_language(donor):
    response = donor.start(lang="ur", amount="other", custom_amount="1")
    assert response.status_code == 422
    html = response.data.decode()
    assert 'lang="ur" dir="rtl"' in html
    assert re.search(r'id="alert" role="alert"[^>]*>براہِ کرم نیچے نشان زدہ خانوں کو درست کریں، <a href="#f-custom_amount">دیگر رقم</a> سے شروع کریں۔</p>', html)
    assert re.search(r'id="e-custom_amount">[^<a-zA-Z]*[\u0600-\u06ff][^<a-zA-Z]*</', html), "the field's own message, in Urdu"


@pytest.mark.parametrize("failure, status", [
    ((500, "api_error"), 502), ((401, "invalid_request_error"), 502), ((429, "rate_limit_error"), 502),
])
def test_stripe_errors_give_a_clear_page_record_nothing_and_the_form_can_be_sent_again(donor, stripe_api, failure, status):
    token = donor.form_token("ur")
    stripe_api.fail_with = failure
    response = donor.start(form_token=token, lang="ur")
    assert response.status_code == status
    alert = re.search(r'id="alert" role="alert"[^>]*>([^<]*)</p>', response.data.decode()).group(1)
    assert "آپ کا عطیہ" in alert  # the message, in the donor's language
    assert donor.donations() == []
    stripe_api.fail_with = None
    assert donor.start(form_token=token, lang="ur").status_code == 303


def test_a_session_url_off_the_checkout_origin_is_never_followed(make_app, stripe_api):
    config = stripe_config(stripe_api, STRIPE_CHECKOUT_ORIGIN="https://checkout.stripe.com")
    donor = Donor(make_app(**config), stripe_api)
    response = donor.start()
    assert response.status_code == 502 and "Location" not in response.headers
    assert len(stripe_api.requests) == 1 and donor.donations() == []


def test_a_wrong_secret_key_is_a_bad_gateway(make_app, stripe_api):
    donor = Donor(make_app(**stripe_config(stripe_api, STRIPE_SECRET_KEY="sk_test_wrong")), stripe_api)
    response = donor.start()
    assert response.status_code == 502
    assert stripe_api.requests[0]["auth"] == "Bearer sk_test_wrong"


def test_stripe_too_slow_is_a_503_with_retry_after(make_app, stripe_api):
    donor = Donor(make_app(**stripe_config(stripe_api, STRIPE_TIMEOUT_SECONDS=0.3)), stripe_api)
    stripe_api.delay = 1.5
    started = time.monotonic()
    response = donor.start()
    assert time.monotonic() - started < 1.4
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "could not be started just now. No money was taken." in response.data.decode()
    assert len(stripe_api.requests) == 1  # one try: the donor is waiting


def test_stripe_unreachable_is_a_503(make_app, stripe_api):
    from .services import free_port

    donor = Donor(make_app(**stripe_config(stripe_api, STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}")), stripe_api)
    assert donor.start().status_code == 503


# --- protection -------------------------------------------------------------------------------

@pytest.fixture
def guarded(make_app, stripe_api):
    config = stripe_config(stripe_api, FORM_MIN_SECONDS=0, RATELIMIT_ENABLED=True, RATELIMIT_DONATE="3 per minute",
                           RATELIMIT_EMAIL="1 per hour")
    return Donor(make_app(**config), stripe_api)


def test_a_trapped_form_never_reaches_stripe_and_looks_like_stripe_being_away(guarded, stripe_api):
    stripe_api.delay = 0
    outage = guarded.client.application.test_client()
    trapped = guarded.start(website="http://spam.example")
    no_token = guarded.start(form_token="")
    forged = guarded.start(form_token="forged.token.value")
    assert [r.status_code for r in (trapped, forged)] == [503, 503]
    # Without a token (no script fetched one): asked to press once more, with one; no Stripe call.
    assert no_token.status_code == 200 and "press the button once more" in no_token.data.decode()
    assert re.search(r'name="form_token" value="[^"]+"', no_token.data.decode())
    assert stripe_api.requests == []
    # A real outage answers the same page.
    stripe_api.delay = 3
    with guarded.app.app_context():
        guarded.app.config["STRIPE_TIMEOUT_SECONDS"] = 0.2
    form = {"currency": "USD", "amount": "2500", "lang": "en", "form_token": guarded.form_token()}
    # From another address: this one has used up its burst of three.
    real = outage.post(f"/widgets/{guarded.slug}/donate", data=form, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert real.status_code == 503
    strip = lambda html: re.sub(r'name="form_token" value="[^"]+"', "", html)  # noqa: E731
    assert strip(real.data.decode()) == strip(trapped.data.decode())


def test_a_replayed_form_does_not_start_a_second_checkout(guarded, stripe_api):
    token = guarded.form_token()
    assert guarded.start(form_token=token).status_code == 303
    assert guarded.start(form_token=token).status_code == 503
    assert len(stripe_api.requests) == 1


def test_donation_starts_have_no_per_email_allowance(guarded, stripe_api, caplog):
    # RATELIMIT_EMAIL is 1 per hour here: a form without an address is not limited by it, and
    # the limiter is not asked about a mailbox at all (it would fail on no address, and log it).
    assert [guarded.start().status_code for _ in range(3)] == [303, 303, 303]
    assert not [r for r in caplog.records if "per-email" in r.getMessage()]


def test_a_flood_of_donation_starts_from_one_address_gets_429(guarded, stripe_api):
    codes = [guarded.start(lang="ur").status_code for _ in range(5)]
    assert codes == [303, 303, 303, 429, 429]
    assert len(stripe_api.requests) == 3
    limited = guarded.start(lang="ur")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert 'lang="ur"' in limited.data.decode()
    assert "آپ کے نیٹ ورک" in limited.data.decode()


def test_by_default_one_address_starts_ten_donations_a_minute_at_most(make_app, stripe_api):
    """Tighter than the forms' 60 a minute: each start creates a Stripe session."""
    donor = Donor(make_app(**stripe_config(stripe_api, FORM_MIN_SECONDS=0, RATELIMIT_ENABLED=True)), stripe_api)
    codes = [donor.start().status_code for _ in range(11)]
    assert codes == [303] * 10 + [429] and len(stripe_api.requests) == 10
    assert donor.client.post(f"/api/v1/campaigns/{donor.slug}/signatures", json=signature()).status_code == 202, \
        "signing from that address is limited on its own"


def test_a_captcha_campaign_needs_the_captcha_before_stripe(make_app, stripe_api):
    from .captcha_server import SECRET, SITEKEY, CaptchaServer

    verify = CaptchaServer()
    try:
        app = make_app(**stripe_config(stripe_api), HCAPTCHA_SITEKEY=SITEKEY, HCAPTCHA_SECRET=SECRET,
                       HCAPTCHA_VERIFY_URL=f"{verify.url}/siteverify", HCAPTCHA_HOSTNAMES=("127.0.0.1",))
        donor = Donor(app, stripe_api)
        assert 'data-sitekey="' + SITEKEY in donor.page().data.decode()
        assert donor.start().status_code == 400
        assert stripe_api.requests == []
    finally:
        verify.stop()


def test_a_closed_campaign_takes_no_donations(donor, stripe_api):
    with donor.app.app_context():
        db.session.get(Campaign, donor.campaign_id).status = Campaign.CLOSED
        db.session.commit()
    assert "no longer takes donations" in donor.page().data.decode()
    assert donor.start(form_token="x").status_code == 409
    assert stripe_api.requests == []


def test_an_unknown_campaign_is_404(donor):
    assert donor.client.get("/widgets/no-such/donate").status_code == 404
    assert donor.client.post("/widgets/no-such/donate", data={}).status_code == 404


# --- the webhook ------------------------------------------------------------------------------

def test_a_paid_session_is_recorded_once_and_shows_in_the_widget(donor):
    set_donate(donor, goals={"USD": 100_000})
    session = donor.session(currency="USD", amount="5000")
    completed = event("checkout.session.completed", completed_session(session))
    response = donor.deliver(completed)
    assert response.status_code == 200 and response.get_json()["outcome"] == "recorded"
    assert donor.donations() == [(donor.campaign_id, 5000, "USD", "once", session["id"])]
    assert donor.totals() == {"USD": (5000, 1)}
    html = donor.page("en").data.decode()
    assert "$50 raised of $1,000" in html
    assert '<progress max="100000" value="5000"' in html
    # Replayed, and re-sent by Stripe under another event id: nothing changes.
    assert donor.deliver(completed).get_json()["outcome"] == "ignored: already recorded"
    again = event("checkout.session.async_payment_succeeded", completed_session(session))
    assert donor.deliver(again).status_code == 200
    assert donor.totals() == {"USD": (5000, 1)} and len(donor.donations()) == 1


def test_totals_are_kept_per_currency_without_exchange(donor):
    for currency, amount in (("USD", "2500"), ("PKR", "500000"), ("USD", "10000")):
        donor.deliver(event("checkout.session.completed", completed_session(donor.session(currency=currency, amount=amount))))
    assert donor.totals() == {"USD": (12500, 2), "PKR": (500000, 1)}
    html = donor.page("ur").data.decode()
    assert "$125" in html and "Rs\u00a05,000" in html


def test_an_unpaid_session_is_not_recorded_until_its_payment_succeeds(donor):
    session = donor.session(currency="EUR", amount="2500")
    unpaid = event("checkout.session.completed", completed_session(session, payment_status="unpaid"))
    assert donor.deliver(unpaid).get_json()["outcome"] == "ignored: not a paid one-time session"
    assert donor.donations() == []
    failed = event("checkout.session.async_payment_failed", completed_session(session, payment_status="unpaid"))
    assert donor.deliver(failed).get_json()["outcome"] == "ignored: event type"
    paid = event("checkout.session.async_payment_succeeded", completed_session(session))
    assert donor.deliver(paid).get_json()["outcome"] == "recorded"
    assert donor.totals() == {"EUR": (2500, 1)}


@pytest.mark.parametrize("changes, outcome", [
    ({"metadata": {"msp_campaign_id": "²"}}, "ignored: not a donation of ours"),
    ({"metadata": {"msp_campaign_id": "9" * 30}}, "ignored: not a donation of ours"),
    ({"amount_total": 10**20}, "ignored: no amount"),
    ({"amount_total": True}, "ignored: no amount"),
    ({"amount_total": 25.5}, "ignored: no amount"),
    ({"id": "cs_" + "x" * 300}, "ignored: malformed ids"),
    ({"id": 12345}, "ignored: malformed ids"),
])
def test_odd_values_in_a_correctly_signed_event_are_ignored_not_retried(donor, changes, outcome):
    """Answered 200, so Stripe does not send them again for days, and nothing is recorded."""
    session = completed_session(donor.session())
    if "metadata" in changes:
        changes = {"metadata": dict(session["metadata"], **changes["metadata"])}
    answer = donor.deliver(event("checkout.session.completed", dict(session, **changes)))
    assert answer.status_code == 200 and answer.get_json()["outcome"] == outcome
    assert donor.donations() == [] and donor.totals() == {}


def test_monthly_gifts_count_each_paid_invoice_and_the_first_month_once(donor):
    session = donor.session(currency="GBP", amount="1000", interval="month")
    completed = completed_session(session)
    metadata = {k: v for k, v in session["metadata"].items()}
    # Checkout reports the subscription's session as paid: it is not counted, its invoice is.
    assert donor.deliver(event("checkout.session.completed", completed)).get_json()["outcome"].startswith("ignored")
    first = paid_invoice(completed["subscription"], metadata, 1000, "gbp", billing_reason="subscription_create")
    first_event = event("invoice.paid", first)
    assert donor.deliver(first_event).get_json()["outcome"] == "recorded"
    assert donor.deliver(first_event).get_json()["outcome"] == "ignored: already recorded"
    assert donor.deliver(event("invoice.paid", first)).get_json()["outcome"] == "ignored: already recorded"
    second = paid_invoice(completed["subscription"], metadata, 1000, "gbp")
    assert donor.deliver(event("invoice.paid", second)).get_json()["outcome"] == "recorded"
    unpaid = paid_invoice(completed["subscription"], metadata, 1000, "gbp", status="open")
    assert donor.deliver(event("invoice.paid", unpaid)).get_json()["outcome"] == "ignored: invoice not paid"
    assert donor.totals() == {"GBP": (2000, 2)}
    assert [d[3] for d in donor.donations()] == ["month", "month"]


def test_a_gift_is_credited_to_the_partner_its_checkout_was_started_with(donor):
    """The ref goes to Stripe in the checkout's metadata and comes back with the paid session or
    invoice: one-time and monthly gifts are credited as signatures are (a key outside the rule
    made to follow it); a gift started with no ref has none."""
    once = donor.session(currency="USD", amount="2500", ref="quetta-net~whatsapp")
    assert donor.deliver(event("checkout.session.completed", completed_session(once))).get_json()["outcome"] == "recorded"
    monthly = donor.session(currency="GBP", amount="1000", interval="month", ref="Quetta Net")
    invoice = paid_invoice(completed_session(monthly)["subscription"], dict(monthly["metadata"]), 1000, "gbp")
    assert donor.deliver(event("invoice.paid", invoice)).get_json()["outcome"] == "recorded"
    plain = donor.session(currency="USD", amount="5000")
    assert donor.deliver(event("checkout.session.completed", completed_session(plain))).get_json()["outcome"] == "recorded"
    with donor.app.app_context():
        refs = db.session.scalars(select(Donation.ref).order_by(Donation.id)).all()
    assert refs == ["quetta-net~whatsapp", "Quetta-Net", None]


def test_an_invoice_in_the_older_api_shape_is_read_too(donor):
    session = donor.session(currency="USD", amount="2500", interval="month")
    invoice = {
        "id": "in_test_legacy", "object": "invoice", "status": "paid", "amount_paid": 2500, "currency": "usd",
        "subscription": "sub_test_legacy", "subscription_details": {"metadata": session["metadata"]},
    }
    assert donor.deliver(event("invoice.paid", invoice)).get_json()["outcome"] == "recorded"


def test_events_not_of_ours_are_acknowledged_and_ignored(donor):
    session = completed_session(donor.session())
    for metadata in ({}, {"msp_campaign_id": "999999"}, {"msp_campaign_id": "1 OR 1=1"}):
        response = donor.deliver(event("checkout.session.completed", dict(session, id=f"cs_other_{len(metadata)}", metadata=metadata)))
        assert response.status_code == 200 and response.get_json()["outcome"].startswith("ignored")
    odd = dict(session, currency="jpy")
    assert donor.deliver(event("checkout.session.completed", odd)).get_json()["outcome"] == "ignored: no amount"
    assert donor.deliver(event("customer.created", {"id": "cus_1"})).get_json()["outcome"] == "ignored: event type"
    assert donor.donations() == []


def test_forged_stale_and_malformed_events_get_400_and_change_nothing(donor):
    session = completed_session(donor.session())
    evt = event("checkout.session.completed", session)
    payload = json.dumps(evt)
    now = int(time.time())
    refused = [
        donor.deliver(evt, secret="whsec_someone_else"),  # forged
        donor.deliver(evt, timestamp=now - 301),  # stale: past the 300 s tolerance
        donor.deliver(evt, timestamp=now + 3600),  # from the future
        donor.deliver(evt, header=""),  # unsigned
        donor.deliver(evt, header="t=abc,v1=zzz"),  # garbled
        donor.deliver(evt, header=signature_header(payload).replace("v1=", "v0=")),  # another scheme
        donor.deliver(evt, payload=payload.replace('"paid"', '"paid" '), header=signature_header(payload)),  # altered
        donor.deliver(None, payload="{not json", header=signature_header("{not json")),  # malformed, signed
        donor.deliver(None, payload='["a list"]', header=signature_header('["a list"]')),
        donor.deliver(None, payload='{"id": "evt_1", "type": "checkout.session.completed"}',
                      header=signature_header('{"id": "evt_1", "type": "checkout.session.completed"}')),
    ]
    assert [r.status_code for r in refused] == [400] * len(refused)
    assert refused[0].get_json()["error"] == "bad_webhook"
    assert donor.donations() == []
    # The genuine one, with a second (rotated-secret) signature beside it, still counts.
    header = signature_header(payload) + ",v1=" + "0" * 64
    assert donor.deliver(evt, header=header).status_code == 200
    assert len(donor.donations()) == 1


def test_a_large_event_is_read_past_the_forms_body_limit(donor):
    session = completed_session(donor.session())
    session["line_items_padding"] = "x" * 40_000
    assert donor.deliver(event("checkout.session.completed", session)).get_json()["outcome"] == "recorded"


def test_without_a_webhook_secret_events_are_refused_with_503_so_stripe_retries(make_app, stripe_api):
    donor = Donor(make_app(**stripe_config(stripe_api, STRIPE_WEBHOOK_SECRET="")), stripe_api)
    session = completed_session(donor.session())
    response = donor.deliver(event("checkout.session.completed", session))
    assert response.status_code == 503 and donor.donations() == []


def test_the_same_event_delivered_concurrently_counts_once(donor):
    session = completed_session(donor.session(currency="CAD", amount="3000"))
    evt = event("checkout.session.completed", session)
    answers = []

    def deliver():
        answers.append(Donor.deliver(donor, evt).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [200] * 6
    assert donor.totals() == {"CAD": (3000, 1)}
    with donor.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Donation)) == 1


# --- the pages Stripe sends donors back to -------------------------------------------------------

def test_the_thank_you_and_cancel_pages_are_in_the_donors_language(donor):
    thanks = donor.client.get(f"/widgets/{donor.slug}/donate/thanks?lang=ur")
    assert thanks.status_code == 200 and 'lang="ur" dir="rtl"' in thanks.data.decode()
    assert "عطیے کا شکریہ" in thanks.data.decode()
    cancelled = donor.client.get(f"/widgets/{donor.slug}/donate/cancelled?lang=en")
    assert "No money was taken" in cancelled.data.decode()
    assert "Set-Cookie" not in thanks.headers


# --- settings -------------------------------------------------------------------------------------

def test_staff_set_donation_settings_from_the_command_line(donor):
    runner = donor.app.test_cli_runner()
    result = runner.invoke(args=[
        "campaigns", "donations", donor.slug, "--goal", "PKR=5,000,000", "--goal", "usd=2500.50",
        "--presets", "USD=5,10,20", "--external-url", "https://msp.example.org/give",
        "--bank-en", "IBAN PK00\\nMSP", "--bank-ur", "آئی بی اے این",
    ])
    assert result.exit_code == 0, result.output
    assert "PKR: raised PKR\u00a00 of PKR\u00a05,000,000" in result.output
    assert "USD: raised $0 of $2,500.50; presets $5, $10, $20" in result.output
    with donor.app.app_context():
        settings = db.session.get(Campaign, donor.campaign_id).setting("donate")
    assert settings["goals"] == {"PKR": 500_000_000, "USD": 250_050}
    assert settings["bank"] == {"en": "IBAN PK00\nMSP", "ur": "آئی بی اے این"}
    for bad in (["--goal", "XYZ=5"], ["--goal", "USD=lots"], ["--presets", "USD=0.5"],
                ["--external-url", "javascript:alert(1)"], ["--currencies", "USD,XYZ"]):
        result = runner.invoke(args=["campaigns", "donations", donor.slug, *bad])
        assert result.exit_code != 0, bad
    assert "Error" in result.output


def test_the_demo_campaign_gets_donation_settings(runner, client):
    assert runner.invoke(args=["campaigns", "seed-demo"]).exit_code == 0
    html = client.get("/widgets/hazara-quetta/donate?lang=ur").data.decode()
    assert "پاکستان سے بینک ٹرانسفر" in html and "PK00 EXMP" in html
    # Nothing raised yet: the goal, not a row of empty bars.
    assert "ہدف: \u2066Rs\u00a05,000,000\u2069" in html and "<progress" not in html
    assert 'href="https://example.org/donate-to-msp"' in html


# --- configuration --------------------------------------------------------------------------------

def test_production_refuses_a_stripe_key_without_the_webhook_secret(monkeypatch, tmp_path):
    from widget_service import config, create_app

    monkeypatch.setenv("WIDGET_ENV", "production")
    monkeypatch.setenv("WIDGET_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("WIDGET_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.setenv("WIDGET_PUBLIC_URL", "https://widgets.example.org")
    monkeypatch.setenv("WIDGET_STRIPE_SECRET_KEY", "sk_live_x")
    with pytest.raises(config.ConfigError, match="WIDGET_STRIPE_WEBHOOK_SECRET"):
        create_app()
    monkeypatch.setenv("WIDGET_STRIPE_WEBHOOK_SECRET", "whsec_x")
    assert create_app().config["STRIPE_API_BASE"] == "https://api.stripe.com"
    monkeypatch.setenv("WIDGET_STRIPE_API_BASE", "api.stripe.com")
    with pytest.raises(config.ConfigError, match="WIDGET_STRIPE_API_BASE"):
        create_app()
    monkeypatch.setenv("WIDGET_STRIPE_API_BASE", "http://stripe-proxy.internal")
    with pytest.raises(config.ConfigError, match="WIDGET_STRIPE_API_BASE must be an https"):
        create_app()
