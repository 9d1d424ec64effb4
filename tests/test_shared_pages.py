"""Widget pages and the campaign page are the same bytes for every visitor (issue 14): kept by
browsers and shared caches (public, short max-age, stale-while-revalidate, stale-if-error, a
strong ETag and 304), and per process, where a view in the cache window runs no query and
renders no template. The per-visitor part, the form token, is fetched by the script, and the
form without JavaScript is sent with one at its second step."""
import re
import time
from types import SimpleNamespace

import pytest
from flask import template_rendered
from sqlalchemy import event

from widget_service import cache as ttl_cache, kept_answers, page_cache
from widget_service.allies.policy import PARTNERS, set_policy
from widget_service.campaigns import close_campaign, find_campaign
from widget_service.extensions import db
from widget_service.models import Signature

from .builders import make_campaign
from .test_protection import new_campaign, stored

KINDS = ("petition", "actions", "coordinator", "notify", "donate")
PAGES = [f"/widgets/{{slug}}/{kind}" for kind in KINDS] + ["/c/{slug}"]
SHARED = "public, max-age=60, stale-while-revalidate=60, stale-if-error=86400"
TOKEN = re.compile(r'name="form_token" value="([^"]*)"')


def vary(response):
    return {name.strip().lower() for name in response.headers.get("Vary", "").split(",") if name.strip()}


def two_visitors(app):
    """Two clients that differ in everything a browser sends but the address."""
    first, second = app.test_client(), app.test_client()
    first_headers = {"User-Agent": "Phone/1", "Accept-Language": "en", "Referer": "https://ally.example.org/a"}
    second_headers = {"User-Agent": "Desk/2", "Accept-Language": "ur", "Referer": "https://other.example.org/b",
                      "X-Forwarded-For": "198.51.100.7"}
    return (first, first_headers), (second, second_headers)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_every_kind_is_the_same_bytes_for_two_visitors_and_revalidates_with_a_304(app, campaign, path, lang):
    url = path.format(slug=campaign) + f"?lang={lang}&origin=https://ally.example.org&ref=ally"
    (first, first_headers), (second, second_headers) = two_visitors(app)
    one = first.get(url, headers=first_headers)
    two = second.get(url, headers=second_headers)
    assert one.status_code == two.status_code == 200
    assert one.data == two.data and f'lang="{lang}"' in one.get_data(as_text=True)
    assert one.headers["Cache-Control"] == two.headers["Cache-Control"] == SHARED
    assert one.headers["ETag"] == two.headers["ETag"] and not one.headers["ETag"].startswith("W/")
    # The address names the language and the framing page: nothing of the request varies it but
    # the encoding it may be compressed in.
    assert vary(one) <= {"accept-encoding"} and "Set-Cookie" not in one.headers
    assert TOKEN.findall(one.get_data(as_text=True)) in ([], [""]), "no per-visitor token in a shared page"
    again = second.get(url, headers={**second_headers, "If-None-Match": one.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    assert again.headers["ETag"] == one.headers["ETag"] and again.headers["Cache-Control"] == SHARED
    assert again.headers["Content-Security-Policy"] == one.headers["Content-Security-Policy"]


def test_a_page_whose_language_or_framer_comes_from_the_request_says_so_in_vary(client, campaign):
    chosen = client.get(f"/widgets/{campaign}/petition", headers={"Accept-Language": "ur"})
    assert 'lang="ur"' in chosen.get_data(as_text=True)
    assert vary(chosen) - {"accept-encoding"} == {"accept-language", "referer"}
    plain_iframe = client.get(f"/widgets/{campaign}/petition?lang=en", headers={"Referer": "https://ally.example.org/x"})
    assert vary(plain_iframe) - {"accept-encoding"} == {"referer"}
    assert 'data-host-origin="https://ally.example.org"' in plain_iframe.get_data(as_text=True)
    other = client.get(f"/widgets/{campaign}/petition?lang=en", headers={"Referer": "https://b.example.org/"})
    assert 'data-host-origin="https://b.example.org"' in other.get_data(as_text=True), "one framer's page is not another's"
    assert vary(client.get(f"/c/{campaign}?lang=ur")) <= {"accept-encoding"}


def test_an_unknown_campaign_is_a_shared_404_and_a_post_answer_is_the_visitors_own(client, campaign):
    for path in ("/widgets/no-such/petition?lang=ur", "/c/no-such?lang=en"):
        first, second = client.get(path), client.get(path)
        assert first.status_code == second.status_code == 404 and first.data == second.data
        assert first.headers["Cache-Control"] == SHARED and first.headers["ETag"]
    posted = client.post(f"/widgets/{campaign}/petition", data={"name": "Ali", "lang": "en"})
    assert posted.headers["Cache-Control"] == "no-store" and "ETag" not in posted.headers


class Work:
    """Counts SQL statements and template renders while it is entered."""

    def __init__(self, app):
        self.app, self.statements, self.templates = app, [], []

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._statement)
        template_rendered.connect(self._template, self.app)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        template_rendered.disconnect(self._template, self.app)

    def _statement(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def _template(self, sender, template, context, **extra):
        self.templates.append(template.name)


@pytest.mark.parametrize("path", PAGES)
def test_a_second_view_runs_no_query_and_renders_no_template(app, campaign, path):
    client, url = app.test_client(), path.format(slug=campaign) + "?lang=ur"
    with Work(app) as first:
        assert client.get(url).status_code == 200
    assert first.statements and first.templates, "the first view builds the page"
    with Work(app) as second:
        again = client.get(url, headers={"User-Agent": "another visitor"})
        revalidated = client.get(url, headers={"If-None-Match": again.headers["ETag"]})
    assert (again.status_code, revalidated.status_code) == (200, 304)
    assert (second.statements, second.templates) == ([], [])


def test_an_unknown_campaigns_page_is_kept_too(app):
    client = app.test_client()
    client.get("/c/no-such")
    with Work(app) as second:
        assert client.get("/c/no-such").status_code == 404
    assert (second.statements, second.templates) == ([], [])


def later(monkeypatch, seconds):
    """The per-process caches (campaign snapshot, count, pages) see a clock ``seconds`` ahead."""
    ahead = SimpleNamespace(monotonic=lambda: time.monotonic() + seconds)
    monkeypatch.setattr(ttl_cache, "time", ahead)
    monkeypatch.setattr(page_cache, "time", ahead)
    monkeypatch.setattr(kept_answers, "time", ahead)


def test_a_campaign_closed_by_another_instance_reaches_the_kept_page_within_the_window(make_app, monkeypatch):
    shown, closer = make_app(), make_app(create_schema=False)
    slug = new_campaign(shown)
    client = shown.test_client()
    assert 'id="sign"' in client.get(f"/widgets/{slug}/petition?lang=en").get_data(as_text=True)
    with closer.app_context():
        close_campaign(find_campaign(slug))  # another process: this one learns of it by its window
    later(monkeypatch, shown.config["COUNT_CACHE_SECONDS"] + 0.5)
    page = client.get(f"/widgets/{slug}/petition?lang=en").get_data(as_text=True)
    assert 'id="sign"' not in page and "This petition is closed" in page


def test_a_change_in_this_process_shows_at_once(app, client, campaign, widget):
    url = f"/widgets/{campaign}/petition?lang=en"
    before = client.get(url)
    widget.sign(campaign)
    signed = client.get(url)
    assert re.search(r"<strong data-count>1</strong>", signed.get_data(as_text=True))
    assert signed.headers["ETag"] != before.headers["ETag"], "new bytes, new tag"
    with app.app_context():
        close_campaign(find_campaign(campaign))
    assert "This petition is closed" in client.get(url).get_data(as_text=True)


def test_a_kept_page_of_a_partners_only_campaign_keeps_its_frame_ancestors(app, client):
    with app.app_context():
        campaign = make_campaign()
        set_policy(campaign, PARTNERS)
        db.session.commit()
        slug = campaign.slug
    url = f"/widgets/{slug}/petition?lang=en&origin=https://ally.example.org"
    first = client.get(url)
    again = client.get(url)
    revalidated = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code, revalidated.status_code) == (200, 200, 304)
    assert "frame-ancestors *" not in first.headers["Content-Security-Policy"], "partners only"
    for response in (again, revalidated):
        assert response.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


# --- the token leaves the page ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["petition", "coordinator", "notify", "donate"])
def test_the_script_gets_a_fresh_token_that_nothing_keeps(client, campaign, kind):
    url = f"/api/v1/campaigns/{campaign}/form-tokens/{kind}"
    one, two = client.post(url), client.post(url)
    assert one.status_code == two.status_code == 200
    assert one.headers["Cache-Control"] == "no-store"
    assert one.get_json()["form_token"] != two.get_json()["form_token"]
    if kind != "donate":  # (no donate form without Stripe set up)
        page = client.get(f"/widgets/{campaign}/{kind}").get_data(as_text=True)
        assert f'data-token-url="{url}"' in page
    assert client.post(f"/api/v1/campaigns/no-such/form-tokens/{kind}").status_code == 404
    assert client.get(url).status_code == 405, "a token is never a GET a cache or prefetch could keep"


def test_tokens_are_rate_limited_per_network_in_buckets_of_their_own(make_app):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_IP_BURST="2 per minute")
    client, slug = limited.test_client(), new_campaign(limited)
    answers = [client.post(f"/api/v1/campaigns/{slug}/form-tokens/petition").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    other = client.post(f"/api/v1/campaigns/{slug}/form-tokens/petition", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 200
    # Fetching tokens spent none of the forms' allowance.
    signed = client.post(f"/api/v1/campaigns/{slug}/signatures", json={
        "name": "Ali", "email": "ali@example.org", "country": "PK", "lang": "en"})
    assert signed.status_code == 202


@pytest.fixture
def timed_app(make_app):
    return make_app(FORM_MIN_SECONDS=30)


def form_checks_later(monkeypatch, seconds=31):
    from widget_service import protection

    monkeypatch.setattr(protection, "time", SimpleNamespace(time=lambda: time.time() + seconds))


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_without_javascript_the_form_is_sent_at_its_second_step_like_one_with_a_token(timed_app, monkeypatch, lang):
    client, slug = timed_app.test_client(), new_campaign(timed_app)
    fields = {"name": "علی رضا", "email": "ali@example.org", "country": "PK", "comment": "ہم ساتھ ہیں", "lang": lang}
    step = client.post(f"/widgets/{slug}/petition", data=fields)
    html = step.get_data(as_text=True)
    assert step.status_code == 200 and step.headers["Cache-Control"] == "no-store"
    assert f'lang="{lang}"' in html and 'value="علی رضا"' in html and "ہم ساتھ ہیں</textarea>" in html
    assert ("press the button once more" if lang == "en" else "بٹن ایک بار پھر دبائیں") in html
    assert stored(timed_app) == [], "nothing is stored before the second step"
    token = TOKEN.search(html).group(1)
    at_once = client.post(f"/widgets/{slug}/petition", data={**fields, "form_token": token})
    assert at_once.status_code == 400, "the second step's token counts from the first post: too fast is still too fast"
    form_checks_later(monkeypatch)
    token = TOKEN.search(at_once.get_data(as_text=True)).group(1)
    signed = client.post(f"/widgets/{slug}/petition", data={**fields, "form_token": token})
    assert signed.status_code == 200 and 'class="thanks"' in signed.get_data(as_text=True)
    replayed = client.post(f"/widgets/{slug}/petition", data={**fields, "email": "bot@example.org", "form_token": token})
    assert replayed.status_code == 200
    assert {row.email: row.state for row in stored(timed_app)} == {
        "ali@example.org": Signature.COUNTED, "bot@example.org": Signature.SUSPECT}


def test_a_second_step_keeps_invalid_fields_for_the_first_answer(client, campaign):
    """Fields are checked before the token: a mistake is shown at once, with a token to send again."""
    wrong = client.post(f"/widgets/{campaign}/petition", data={"name": "Ali", "email": "nope", "lang": "en"})
    assert wrong.status_code == 422 and TOKEN.search(wrong.get_data(as_text=True)).group(1)
