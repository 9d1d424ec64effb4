"""Rate limits, bot traps and hCaptcha on the petition forms (JSON API and no-JS form post)."""
import re
import shutil
import ssl
import subprocess
import time
import uuid

import pytest
import redis as redis_lib
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from widget_service.extensions import db
from widget_service.models import Signature

from . import captcha_server, services
from .builders import make_campaign, signature
from .conftest import Widget

API = "/api/v1/campaigns/{}/signatures"


def stored(app, **filters):
    with app.app_context():
        return db.session.scalars(select(Signature).filter_by(**filters).order_by(Signature.id)).all()


def new_campaign(app, **settings):
    with app.app_context():
        campaign = make_campaign()
        if settings:
            campaign.settings = settings
            db.session.commit()
        return campaign.slug


def sign_from(client, slug, ip, **fields):
    return client.post(API.format(slug), json=signature(**fields), environ_base={"REMOTE_ADDR": ip})


# --- rate limits ----------------------------------------------------------------------------

@pytest.fixture
def limited_app(make_app):
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="3 per minute", RATELIMIT_IP_SUSTAINED="5 per hour")


def test_one_address_flooding_a_campaign_gets_429_with_retry_after(limited_app):
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    answers = [sign_from(client, slug, "203.0.113.5") for _ in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    refused = answers[-1]
    assert refused.get_json()["error"] == "rate_limited" and refused.get_json()["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert len(stored(limited_app)) == 3
    # Neighbours on other addresses, and the same address on another campaign, still sign.
    assert sign_from(client, slug, "203.0.113.6").status_code == 202
    assert sign_from(client, new_campaign(limited_app), "203.0.113.5").status_code == 202


def test_each_request_is_limited_by_its_own_address_even_inside_one_app_context(limited_app):
    """The limit key is worked out once per request, not once per app context: requests made
    while an app context is open (a CLI command, a test, a worker that keeps one) share ``g``,
    and must not share one another's key."""
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    with limited_app.app_context():
        assert [sign_from(client, slug, "203.0.113.8").status_code for _ in range(4)] == [202, 202, 202, 429]
        assert sign_from(client, slug, "203.0.113.9").status_code == 202


def test_the_sustained_limit_catches_a_slower_flood(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="100 per minute", RATELIMIT_IP_SUSTAINED="5 per hour")
    client, slug = app.test_client(), new_campaign(app)
    codes = [sign_from(client, slug, "203.0.113.7").status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]


def test_the_api_and_the_widget_form_share_one_bucket(limited_app):
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    widget = Widget(client)
    for _ in range(3):
        assert sign_from(client, slug, "127.0.0.1").status_code == 202
    response = widget.post_form(slug, name="Ali", email="ali@example.org", country="PK", lang="ur")
    assert response.status_code == 429 and response.mimetype == "text/html"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"] and response.headers["Retry-After"]
    html = response.data.decode()
    assert 'lang="ur"' in html and "براہِ کرم چند منٹ بعد دوبارہ کوشش کریں" in html
    assert 'value="ali@example.org"' in html, "the form comes back filled in"


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(limited_app):
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    codes = [
        client.post(API.format(slug), json=signature(), headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [202, 202, 202, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="1 per minute", TRUSTED_PROXIES=1)
    client, slug = app.test_client(), new_campaign(app)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = client.post(API.format(slug), json=signature(), headers={"X-Forwarded-For": "198.51.100.1"}, environ_base=proxy)
    other = client.post(API.format(slug), json=signature(), headers={"X-Forwarded-For": "198.51.100.2"}, environ_base=proxy)
    again = client.post(API.format(slug), json=signature(), headers={"X-Forwarded-For": "198.51.100.1"}, environ_base=proxy)
    assert (first.status_code, other.status_code, again.status_code) == (202, 202, 429)


def test_the_surge_limit_is_off_by_default_and_campaign_wide_when_set(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client, slug = app.test_client(), new_campaign(app)
    assert all(sign_from(client, slug, f"192.0.2.{i}").status_code == 202 for i in range(30))
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SURGE="3 per minute")
    client, slug = app.test_client(), new_campaign(app)
    codes = [sign_from(client, slug, f"192.0.2.{i}").status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]


def test_a_mailbox_over_its_limit_is_answered_like_a_duplicate(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_EMAIL="2 per hour")
    client, slug = app.test_client(), new_campaign(app)

    def sign_and_forget(spelling):
        # MSP deleting a signature on its signer's request lets the same mailbox sign again.
        answer = client.post(API.format(slug), json=signature(email=spelling))
        rows = stored(app, email_canonical="victim@gmail.com")
        with app.app_context():
            for row in rows:
                db.session.delete(db.session.merge(row))
            db.session.commit()
        return answer, len(rows)

    results = [sign_and_forget(s) for s in ("victim@gmail.com", "vic.tim@gmail.com", "victim+x@gmail.com")]
    assert [stored_rows for _, stored_rows in results] == [1, 1, 0]
    assert len({(a.status_code, a.data) for a, _ in results}) == 1 and results[0][0].status_code == 202


def test_trapped_forms_do_not_use_up_the_real_signers_allowance(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_EMAIL="2 per hour")
    client, slug = app.test_client(), new_campaign(app)
    for _ in range(5):
        client.post(API.format(slug), json=signature(email="victim@example.org", website="http://spam.example"))
    assert client.post(API.format(slug), json=signature(email="victim@example.org")).status_code == 202
    assert Widget(client).count(slug) == 1


def test_unknown_campaigns_share_one_bucket_per_address(limited_app):
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    codes = [sign_from(client, f"no-such-campaign-{n}", "203.0.113.30").status_code for n in range(4)]
    assert codes == [404, 404, 404, 429], "random slugs neither dodge the limit nor make buckets"
    assert sign_from(client, slug, "203.0.113.30").status_code == 202, "the real campaign has its own"


def test_concurrent_floods_cannot_overshoot_the_limit(limited_app):
    from concurrent.futures import ThreadPoolExecutor

    slug = new_campaign(limited_app)

    def one(_):
        return sign_from(limited_app.test_client(), slug, "203.0.113.50").status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(24)))
    assert codes.count(202) == 3 and codes.count(429) == 21


def test_an_ipv6_subscriber_is_limited_by_its_64_block(limited_app):
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    codes = [sign_from(client, slug, f"2001:db8:1:2::{n:x}").status_code for n in range(1, 5)]
    assert codes == [202, 202, 202, 429]
    assert sign_from(client, slug, "2001:db8:1:3::1").status_code == 202


def test_only_refusals_carry_retry_after_and_no_answer_tells_what_remains(limited_app):
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    headers = sign_from(client, slug, "203.0.113.40").headers
    assert "Retry-After" not in headers and not any(h.startswith("X-RateLimit") for h in headers.keys())


def test_switching_limits_off(make_app):
    app = make_app(RATELIMIT_ENABLED=False, RATELIMIT_IP_BURST="1 per minute")
    client, slug = app.test_client(), new_campaign(app)
    assert all(sign_from(client, slug, "203.0.113.9").status_code == 202 for _ in range(5))


@pytest.mark.parametrize("name", ["RATELIMIT_IP_BURST", "RATELIMIT_EMAIL", "RATELIMIT_SURGE"])
def test_a_malformed_limit_refuses_to_start(make_app, name):
    from widget_service.config import ConfigError

    with pytest.raises(ConfigError, match=f"WIDGET_{name}"):
        make_app(**{name: "lots"})


@pytest.fixture
def redis_url():
    return services.require_redis()


def test_instances_sharing_redis_share_the_limits(make_app, redis_url):
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="3 per minute", REDIS_URL=redis_url, REDIS_PREFIX=prefix)
    first, second = make_app(**settings), make_app(create_schema=False, **settings)
    slug = new_campaign(first)
    codes = [sign_from(app.test_client(), slug, "203.0.113.10").status_code for app in (first, second, first, second)]
    assert codes == [202, 202, 202, 429]
    keys = [k.decode() for k in redis_lib.Redis.from_url(redis_url).scan_iter(f"*{prefix}limits*")]
    assert keys and not any("203.0.113.10" in k or "@" in k for k in keys), "no raw IP or address in Redis"


def test_redis_dying_mid_flow_never_turns_signing_into_errors(make_app, own_redis):
    process, url = own_redis
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="50 per minute", REDIS_URL=url)
    client, slug = app.test_client(), new_campaign(app)
    widget = Widget(client)
    before = [widget.post_form(slug, name="Ali", email=f"a{i}@example.org", country="PK").status_code for i in range(3)]
    process.kill()
    process.wait(timeout=10)
    after = [widget.post_form(slug, name="Ali", email=f"b{i}@example.org", country="PK").status_code for i in range(5)]
    api = [sign_from(client, slug, "127.0.0.1").status_code for _ in range(3)]
    assert before == [200] * 3 and after == [200] * 5 and api == [202] * 3
    assert len(stored(app, state=Signature.COUNTED)) == 11
    assert widget.count(slug) == 11


# --- bot traps ------------------------------------------------------------------------------

@pytest.fixture
def trap_app(make_app):
    return make_app(FORM_MIN_SECONDS=2)


def token_issued(app, seconds_ago, **payload):
    """A form token as the service would have issued it ``seconds_ago``."""

    class Backdated(TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - seconds_ago)

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="msp-form-token:petition", signer=Backdated)
    return serializer.dumps({"n": uuid.uuid4().hex, **payload})


def test_a_filled_honeypot_looks_like_success_and_is_never_counted(trap_app):
    client, slug = trap_app.test_client(), new_campaign(trap_app)
    honest = client.post(API.format(slug), json=signature())
    trapped = client.post(API.format(slug), json=signature(website="http://buy.example"))
    assert (trapped.status_code, trapped.data) == (honest.status_code, honest.data)
    assert [s.state for s in stored(trap_app)] == [Signature.COUNTED, Signature.SUSPECT]
    assert Widget(client).count(slug) == 1


def test_a_rate_limited_oversized_form_is_refused_cleanly(limited_app):
    client, slug = limited_app.test_client(), new_campaign(limited_app)
    for _ in range(3):
        sign_from(client, slug, "127.0.0.1")
    response = client.post(f"/widgets/{slug}/petition", data={"comment": "x" * 20_000})
    assert response.status_code in (413, 429)


def test_a_replayed_token_is_suspect(trap_app):
    client, slug = trap_app.test_client(), new_campaign(trap_app)
    token = token_issued(trap_app, 10)
    first = client.post(API.format(slug), json=signature(email="one@example.org", form_token=token))
    replay = client.post(API.format(slug), json=signature(email="two@example.org", form_token=token))
    assert first.status_code == replay.status_code == 202
    assert {s.email: s.state for s in stored(trap_app)} == {"one@example.org": "counted", "two@example.org": "suspect"}


def test_replays_are_caught_across_instances_sharing_redis(make_app, redis_url):
    settings = dict(FORM_MIN_SECONDS=0, REDIS_URL=redis_url, REDIS_PREFIX=f"test-{uuid.uuid4().hex[:8]}:")
    first, second = make_app(**settings), make_app(create_schema=False, **settings)
    slug = new_campaign(first)
    token = token_issued(first, 10)
    first.test_client().post(API.format(slug), json=signature(email="one@example.org", form_token=token))
    second.test_client().post(API.format(slug), json=signature(email="two@example.org", form_token=token))
    assert [s.state for s in stored(first)] == [Signature.COUNTED, Signature.SUSPECT]


@pytest.mark.parametrize("token", ["forged", 12345, ["a"], "eyJuIjoiYWJjIn0.Zx0000.badbadbadbad"])
def test_a_forged_token_is_suspect(trap_app, token):
    client, slug = trap_app.test_client(), new_campaign(trap_app)
    assert client.post(API.format(slug), json=signature(form_token=token)).status_code == 202
    assert [s.state for s in stored(trap_app)] == [Signature.SUSPECT]


def test_the_widget_form_without_a_token_is_never_stored_but_an_allys_api_call_is(trap_app):
    """A widget's own post without a token is sent back to be sent once more, with one (the
    no-JavaScript form's second step): it is never stored or counted as it is. A bot's filled
    honeypot is still caught first, answered like a success."""
    client, slug = trap_app.test_client(), new_campaign(trap_app)
    bot = {"name": "Bot", "email": "bot@example.org", "country": "PK"}
    again = client.post(f"/widgets/{slug}/petition", data=bot)
    client.post(f"/widgets/{slug}/petition", data={**bot, "email": "honeypot@example.org", "website": "x"})
    client.post(API.format(slug), json=signature(email="ally-form@example.org"))
    assert again.status_code == 200 and "press the button once more" in again.data.decode()
    assert re.search(r'name="form_token" value="[^"]+"', again.data.decode())
    assert again.headers["Cache-Control"] == "no-store"
    assert {s.email: s.state for s in stored(trap_app)} == {"honeypot@example.org": "suspect", "ally-form@example.org": "counted"}


def test_an_expired_token_asks_politely_and_a_fresh_one_signs_at_once(trap_app):
    client, slug = trap_app.test_client(), new_campaign(trap_app)
    old = token_issued(trap_app, trap_app.config["FORM_MAX_AGE_SECONDS"] + 60)
    expired = client.post(API.format(slug), json=signature(email="slow@example.org", form_token=old))
    assert expired.status_code == 400 and expired.get_json()["error"] == "form_expired"
    fresh = expired.get_json()["form_token"]
    again = client.post(API.format(slug), json=signature(email="slow@example.org", form_token=fresh))
    assert again.status_code == 202
    assert [s.state for s in stored(trap_app)] == [Signature.COUNTED]


def test_without_javascript_an_expired_form_comes_back_filled_in(trap_app):
    client, slug = trap_app.test_client(), new_campaign(trap_app)
    old = token_issued(trap_app, trap_app.config["FORM_MAX_AGE_SECONDS"] + 60)
    response = Widget(client).post_form(slug, name="Ali Raza", email="ali@example.org", country="PK", form_token=old, lang="ur")
    html = response.data.decode()
    assert response.status_code == 400 and 'lang="ur"' in html
    assert 'value="Ali Raza"' in html and "دوبارہ بھیجیں" in html
    fresh = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    again = Widget(client).post_form(slug, name="Ali Raza", email="ali@example.org", country="PK", form_token=fresh)
    assert again.status_code == 200 and [s.state for s in stored(trap_app)] == [Signature.COUNTED]


def test_a_bot_that_signs_with_someones_address_does_not_block_them(trap_app):
    client, slug = trap_app.test_client(), new_campaign(trap_app)
    client.post(API.format(slug), json=signature(email="target@example.org", website="x"))
    client.post(API.format(slug), json=signature(email="target@example.org"))
    assert sorted(s.state for s in stored(trap_app)) == [Signature.COUNTED, Signature.SUSPECT]
    assert Widget(client).count(slug) == 1


# --- hCaptcha -------------------------------------------------------------------------------

@pytest.fixture
def verify_server():
    server = captcha_server.CaptchaServer(hostname="localhost")
    yield server
    server.stop()


@pytest.fixture
def captcha_app(make_app, verify_server):
    return make_app(
        HCAPTCHA_SITEKEY=captcha_server.SITEKEY,
        HCAPTCHA_SECRET=captcha_server.SECRET,
        HCAPTCHA_VERIFY_URL=verify_server.url + "/siteverify",
        HCAPTCHA_SCRIPT_URL=verify_server.url + "/1/api.js",
        HCAPTCHA_TIMEOUT_SECONDS=1,
    )


def test_a_solved_captcha_signs_and_the_server_is_asked_properly(captcha_app, verify_server):
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    response = client.post(API.format(slug), json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}),
                           environ_base={"REMOTE_ADDR": "203.0.113.20"})
    assert response.status_code == 202
    assert [s.state for s in stored(captcha_app)] == [Signature.COUNTED]
    [sent] = verify_server.requests
    assert sent == {"secret": captcha_server.SECRET, "response": captcha_server.PASSING_TOKEN,
                    "remoteip": "203.0.113.20", "sitekey": captcha_server.SITEKEY}


@pytest.mark.parametrize("token", [None, "", "10000000-aaaa-bbbb-cccc-000000000002", 42, "x" * 20_000])
def test_a_missing_or_bad_captcha_gets_400_and_stores_nothing(captcha_app, token):
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    fields = {} if token is None else {"h-captcha-response": token}
    response = client.post(API.format(slug) + "?lang=ur", json=signature(**fields))
    assert response.status_code in (400, 413)
    if response.status_code == 400:
        assert response.get_json()["error"] == "captcha_failed" and "روبوٹ" in response.get_json()["message"]
    assert stored(captcha_app) == []


def test_a_captcha_solved_for_another_site_is_refused(captcha_app, verify_server):
    verify_server.hostname = "evil.example"
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    response = client.post(API.format(slug), json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    assert response.status_code == 400 and stored(captcha_app) == []


def test_a_failed_captcha_can_be_solved_and_the_form_sent_again(captcha_app):
    captcha_app.config["FORM_MIN_SECONDS"] = 2
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    token = token_issued(captcha_app, 10)
    failed = client.post(API.format(slug), json=signature(form_token=token, **{"h-captcha-response": "wrong"}))
    solved = client.post(API.format(slug), json=signature(form_token=token, **{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    assert (failed.status_code, solved.status_code) == (400, 202)
    assert [s.state for s in stored(captcha_app)] == [Signature.COUNTED]


def test_the_expected_hostname_comes_from_the_public_url_not_the_request(captcha_app, verify_server):
    captcha_app.config["PUBLIC_URL"] = "https://widgets.example.org"
    verify_server.hostname = "evil.example"
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    forged = client.post(API.format(slug), json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}),
                         headers={"Host": "evil.example"})
    assert forged.status_code == 400
    verify_server.hostname = "widgets.example.org"
    assert client.post(API.format(slug), json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN})).status_code == 202


def test_a_wrong_secret_is_refused(captcha_app):
    captcha_app.config["HCAPTCHA_SECRET"] = "0x1111111111111111111111111111111111111111"
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    response = client.post(API.format(slug), json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    assert response.status_code == 400 and stored(captcha_app) == []


def test_the_verify_request_goes_through_the_proxy_the_environment_names(make_app, verify_server, monkeypatch):
    """Proxy variables are read once, not per request, but still honoured: here the verify URL's
    host does not even resolve, and only the proxy (the stand-in, acting as one) can reach it."""
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", verify_server.url)
    verify_url = f"http://verify-{uuid.uuid4().hex[:8]}.invalid/siteverify"
    app = make_app(HCAPTCHA_SITEKEY=captcha_server.SITEKEY, HCAPTCHA_SECRET=captcha_server.SECRET,
                   HCAPTCHA_VERIFY_URL=verify_url, HCAPTCHA_TIMEOUT_SECONDS=2)
    response = app.test_client().post(API.format(new_campaign(app)),
                                      json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    assert response.status_code == 202
    assert verify_server.targets == [verify_url]
    assert [s.state for s in stored(app)] == [Signature.COUNTED]


@pytest.mark.parametrize("trusted", [True, False])
def test_the_verify_request_trusts_the_ca_bundle_the_environment_names(make_app, tmp_path, monkeypatch, trusted):
    """hCaptcha is reached over HTTPS; a deployment behind a TLS-inspecting proxy names its CA in
    ``REQUESTS_CA_BUNDLE``. The stand-in here serves HTTPS with a certificate of its own: signing
    passes when the environment names that certificate, and gets a 503, storing nothing, when it
    names a bundle that does not hold it."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: it makes the stand-in's certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = captcha_server.CaptchaServer(hostname="localhost", tls=tls)
    try:
        other_bundle = tmp_path / "other.pem"
        other_bundle.write_text("")  # a bundle without the stand-in's certificate
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert if trusted else other_bundle))
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        app = make_app(HCAPTCHA_SITEKEY=captcha_server.SITEKEY, HCAPTCHA_SECRET=captcha_server.SECRET,
                       HCAPTCHA_VERIFY_URL=server.url + "/siteverify", HCAPTCHA_TIMEOUT_SECONDS=2)
        response = app.test_client().post(API.format(new_campaign(app)),
                                          json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    finally:
        server.stop()
    if trusted:
        assert response.status_code == 202
        assert [s.state for s in stored(app)] == [Signature.COUNTED]
    else:
        assert response.status_code == 503 and response.get_json()["error"] == "captcha_unavailable"
        assert stored(app) == [] and server.requests == []


def test_verify_service_down_refuses_by_default(captcha_app):
    captcha_app.config["HCAPTCHA_VERIFY_URL"] = f"http://127.0.0.1:{services.free_port()}/siteverify"
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    response = client.post(API.format(slug), json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    assert response.status_code == 503 and response.get_json()["error"] == "captcha_unavailable"
    assert stored(captcha_app) == []


def test_verify_service_too_slow_can_be_set_to_keep_the_signature_as_suspect(captcha_app, verify_server):
    verify_server.delay = 2
    captcha_app.config.update(HCAPTCHA_TIMEOUT_SECONDS=0.3, HCAPTCHA_ON_ERROR="suspect")
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    started = time.monotonic()
    response = client.post(API.format(slug), json=signature(**{"h-captcha-response": captcha_server.PASSING_TOKEN}))
    assert response.status_code == 202 and time.monotonic() - started < 1.5
    assert [s.state for s in stored(captcha_app)] == [Signature.SUSPECT]
    assert Widget(client).count(slug) == 0


def test_captcha_can_be_switched_off_per_campaign(captcha_app, verify_server):
    client, slug = captcha_app.test_client(), new_campaign(captcha_app, captcha=False)
    assert client.post(API.format(slug), json=signature()).status_code == 202
    assert verify_server.requests == []
    _, html = None, client.get(f"/widgets/{slug}/petition").data.decode()
    assert 'id="captcha"' not in html


def test_the_widget_names_the_captcha_but_loads_it_only_on_demand(captcha_app, verify_server):
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    response = client.get(f"/widgets/{slug}/petition")
    html = response.data.decode()
    assert f'data-sitekey="{captcha_server.SITEKEY}"' in html
    assert f'data-captcha-script="{verify_server.url}/1/api.js"' in html
    assert "<script" not in html.split("</head>")[1], "no script tag for the captcha in the page itself"
    csp = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {verify_server.url}" in csp and f"frame-src {verify_server.url}" in csp


def test_without_javascript_a_missing_captcha_rerenders_the_form_with_a_message(captcha_app):
    client, slug = captcha_app.test_client(), new_campaign(captcha_app)
    response = Widget(client).post_form(slug, name="Ali", email="ali@example.org", country="PK")
    html = response.data.decode()
    assert response.status_code == 400 and "not a robot" in html and 'value="Ali"' in html
    with_token = Widget(client).post_form(slug, name="Ali", email="ali@example.org", country="PK",
                                         **{"h-captcha-response": captcha_server.PASSING_TOKEN})
    assert with_token.status_code == 200 and len(stored(captcha_app)) == 1


def test_real_hcaptcha_is_the_default_and_its_origins_enter_the_csp(make_app):
    app = make_app(HCAPTCHA_SITEKEY=captcha_server.SITEKEY, HCAPTCHA_SECRET=captcha_server.SECRET)
    assert app.config["HCAPTCHA_VERIFY_URL"] == "https://api.hcaptcha.com/siteverify"
    slug = new_campaign(app)
    csp = app.test_client().get(f"/widgets/{slug}/petition").headers["Content-Security-Policy"]
    assert "script-src 'self' https://hcaptcha.com https://*.hcaptcha.com" in csp


def test_a_form_that_met_a_database_failure_can_be_sent_again_and_counts(make_app):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_EMAIL="1 per hour", FORM_MIN_SECONDS=2,
                   PROPAGATE_EXCEPTIONS=False)
    client, slug = app.test_client(), new_campaign(app)
    failures = []

    def cut_once(conn, cursor, statement, *args):
        if "INSERT INTO SIGNATURE" in statement.upper() and not failures:
            failures.append(statement)
            raise OperationalError(statement, {}, Exception("connection cut"))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", cut_once)
    body = signature(email="retry@example.org", form_token=token_issued(app, 10))
    first = client.post(API.format(slug), json=body)
    again = client.post(API.format(slug), json=body)  # what the widget sends when told to retry
    assert (first.status_code, again.status_code) == (503, 202)
    assert [s.state for s in stored(app)] == [Signature.COUNTED]
    assert Widget(client).count(slug) == 1


def test_application_wide_limits_still_apply_if_configured(make_app):
    """The service unhooks Flask-Limiter's before-request pass, which only serves limits it
    sets none of; whoever configures such a limit gets the pass back, and the limit holds."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 429]
    unlimited = make_app(RATELIMIT_ENABLED=True).test_client()
    assert [unlimited.get("/healthz").status_code for _ in range(3)] == [200] * 3


def test_a_mailbox_gets_its_allowance_back_only_when_the_database_failed(make_app):
    from sqlalchemy.exc import OperationalError

    from widget_service import protection

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_EMAIL="1 per hour")
    with app.test_request_context():
        campaign = make_campaign()

        def check():
            return protection.check_form("petition", campaign, {}, "victim@example.org", token_required=False)

        first = check()
        assert first.verdict == protection.STORE and check().verdict == protection.DROP
        first.failed(ValueError("a bug of ours, or bad data"))  # not an outage: nothing given back
        assert check().verdict == protection.DROP
        first.failed(OperationalError("INSERT", {}, Exception("connection cut")))
        assert check().verdict == protection.STORE
