"""A view of a shared page asked again the same way is answered before Flask runs
(``kept_answers.KeptAnswers``, issue 14), with Flask's own bytes and headers, and only while
every per-process value the page was made from is unchanged."""
import pytest
from sqlalchemy.exc import OperationalError

from widget_service import kept_answers
from widget_service.allies import partners, policy
from widget_service.allies.policy import PARTNERS, set_policy
from widget_service.campaigns import close_campaign, find_campaign
from widget_service.extensions import db

from .builders import make_campaign
from .test_shared_pages import later

KINDS = ("petition", "actions", "coordinator", "notify", "donate", "counter")
ENCODINGS = (None, "gzip", "gzip, deflate, br, zstd")


@pytest.fixture
def flask_runs(app):
    """How many requests reached Flask (its before-request hooks run for every one)."""
    seen = []
    app.before_request(lambda: seen.append(1))
    return seen


def framers(answer):
    """Who may frame the page, by its CSP's ``frame-ancestors``."""
    return dict(answer[1])["Content-Security-Policy"].split("frame-ancestors ")[1].split(";")[0]


def get(client, url, **headers):
    response = client.get(url, headers={name.replace("_", "-"): value for name, value in headers.items() if value})
    return response.status_code, sorted(response.headers.items()), response.data


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("path", [f"/widgets/{{slug}}/{kind}" for kind in KINDS] + ["/c/{slug}"])
def test_a_repeated_view_and_revalidation_get_flasks_own_answer_without_flask(app, campaign, flask_runs, path, encoding):
    client, url = app.test_client(), path.format(slug=campaign) + "?lang=ur&origin=https://ally.example.org&ref=ally"
    first = get(client, url, Accept_Encoding=encoding)
    assert first[0] == 200 and len(flask_runs) == 1
    assert get(client, url, Accept_Encoding=encoding) == first
    assert get(app.test_client(), url, Accept_Encoding=encoding, User_Agent="someone else") == first
    assert len(flask_runs) == 1, "answered before Flask"
    if encoding and len(first[2]) > 1024:
        assert ("Content-Encoding", "br" if "br" in encoding else "gzip") in first[1]
    etag = dict(first[1])["ETag"]
    revalidated = get(client, url, Accept_Encoding=encoding, If_None_Match=etag)
    assert revalidated[0] == 304 and len(flask_runs) == 2
    assert get(client, url, Accept_Encoding=encoding, If_None_Match=etag) == revalidated
    assert len(flask_runs) == 2


def test_each_encoding_and_validator_is_an_answer_of_its_own(app, campaign, flask_runs):
    client, url = app.test_client(), f"/widgets/{campaign}/petition?lang=en"
    plain = get(client, url)
    brotli = get(client, url, Accept_Encoding="br")
    assert plain[2] != brotli[2] and len(flask_runs) == 2
    stale = get(client, url, If_None_Match='"p-0000"')
    assert stale == plain and len(flask_runs) == 3, "an unknown tag gets the page, through Flask once"
    assert get(client, url, If_None_Match='"p-0000"') == plain and len(flask_runs) == 3


def test_an_answer_that_varies_on_a_header_is_kept_per_value_of_it(app, campaign, flask_runs):
    # No ?lang: the language comes from Accept-Language; no ?origin: the framer from the Referer.
    client, url = app.test_client(), f"/widgets/{campaign}/petition"
    english = get(client, url, Accept_Language="en", Referer="https://one.example.org/page")
    urdu = get(client, url, Accept_Language="ur", Referer="https://one.example.org/page")
    other_framer = get(client, url, Accept_Language="en", Referer="https://two.example.org/page")
    assert len(flask_runs) == 3
    assert b'lang="en"' in english[2] and b'lang="ur"' in urdu[2]
    assert dict(english[1])["Vary"] == dict(other_framer[1])["Vary"]
    assert {"Accept-Language", "Referer"} <= {name.strip() for name in dict(english[1])["Vary"].split(",")}
    assert get(client, url, Accept_Language="ur", Referer="https://one.example.org/page") == urdu
    assert get(client, url, Accept_Language="en", Referer="https://one.example.org/page") == english
    assert len(flask_runs) == 3


def test_a_change_in_this_process_goes_through_flask_at_once(app, campaign, flask_runs, widget):
    client, url = app.test_client(), f"/widgets/{campaign}/petition?lang=en"
    get(client, url)
    widget.sign(campaign)
    runs = len(flask_runs)
    signed = get(client, url)
    assert len(flask_runs) == runs + 1 and b"<strong data-count>1</strong>" in signed[2]
    with app.app_context():
        close_campaign(find_campaign(campaign))
    assert b"This petition is closed" in get(client, url)[2]


def test_an_embed_policy_or_partner_origin_changed_here_shows_at_once(app, campaign, flask_runs):
    client, url = app.test_client(), f"/widgets/{campaign}/petition?lang=en&origin=https://ally.example.org"

    assert framers(get(client, url)) == framers(get(client, url)) == "*" and len(flask_runs) == 1
    with app.app_context():
        set_policy(find_campaign(campaign), PARTNERS)
        db.session.commit()
    assert framers(get(client, url)) == "'self'"
    with app.app_context():
        partners.allow_origin(partners.create("ally", "Ally", "team@ally.example.org"), "https://ally.example.org")
        db.session.commit()
    assert framers(get(client, url)) == framers(get(client, url)) == "'self' https://ally.example.org"
    assert len(flask_runs) == 3


def test_an_answer_made_while_the_policy_was_unreadable_is_not_kept(app, campaign, flask_runs, monkeypatch):
    client, url = app.test_client(), f"/widgets/{campaign}/petition?lang=en"

    def database_away(slug):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(policy, "find_campaign", database_away)
    refused = get(client, url)
    assert framers(refused) == "'self'", "framing refused meanwhile"
    monkeypatch.undo()
    again = get(client, url)
    assert len(flask_runs) == 2 and framers(again) == "*"


def test_a_kept_answer_ends_with_its_page_in_the_cache_window(app, campaign, flask_runs, monkeypatch):
    client, url = app.test_client(), f"/c/{campaign}?lang=en"
    first = get(client, url)
    later(monkeypatch, app.config["COUNT_CACHE_SECONDS"] + 0.5)
    assert get(client, url) == first and len(flask_runs) == 2
    assert get(client, url) == first and len(flask_runs) == 2


@pytest.mark.parametrize("method, path, headers", [
    ("GET", "/healthz", {}),
    ("GET", "/api/v1/campaigns/{slug}/count", {}),
    ("GET", "/widgets/{slug}/nonsense", {}),
    ("HEAD", "/widgets/{slug}/petition?lang=en", {}),
    ("GET", "/widgets/{slug}/petition?lang=en", {"Range": "bytes=0-10"}),
    ("GET", "/widgets/{slug}/petition?lang=en", {"If-Modified-Since": "Wed, 21 Oct 2026 07:28:00 GMT"}),
])
def test_anything_but_a_plain_view_of_a_shared_page_always_reaches_flask(app, campaign, flask_runs, method, path, headers):
    client = app.test_client()
    answers = [client.open(path.format(slug=campaign), method=method, headers=headers) for _ in range(3)]
    assert len(flask_runs) == 3
    assert len({(answer.status_code, answer.data) for answer in answers}) == 1


def test_the_kept_answers_are_bounded(make_app, monkeypatch):
    monkeypatch.setattr(kept_answers, "MAX_ANSWERS", 4)
    app = make_app()
    with app.app_context():
        slug = make_campaign().slug
    seen = []
    app.before_request(lambda: seen.append(1))
    client = app.test_client()
    urls = [f"/widgets/{slug}/petition?lang=en&ref=r{n}" for n in range(10)]
    for url in urls:
        client.get(url)
    assert len(seen) == 10
    client.get(urls[-1])
    assert len(seen) == 10, "the latest is kept"
    client.get(urls[0])
    assert len(seen) == 11, "the oldest made room"
    # One address asked with ever new framers (no ?origin: it varies on the Referer) counts
    # every variant against the same bound.
    framers = [{"Referer": f"https://site{n}.example.org/"} for n in range(10)]
    for headers in framers:
        client.get(f"/widgets/{slug}/petition?lang=en", headers=headers)
    assert len(seen) == 21
    client.get(f"/widgets/{slug}/petition?lang=en", headers=framers[-1])
    client.get(f"/widgets/{slug}/petition?lang=en", headers=framers[0])
    assert len(seen) == 22


def test_an_answer_asked_with_an_overlong_header_or_query_is_not_kept(app, campaign, flask_runs):
    client, url = app.test_client(), f"/widgets/{campaign}/petition"
    long_framer = {"Referer": "https://ally.example.org/" + "a" * 600}
    for headers, query in ((long_framer, ""), ({"Accept-Language": "en," + "x" * 600}, "?origin=https://a.example"),
                           ({}, "?lang=en&ref=" + "r" * 600)):
        answers = [client.get(url + query, headers=headers) for _ in range(2)]
        assert answers[0].status_code == 200 and answers[0].data == answers[1].data
    assert len(flask_runs) == 6, "each through Flask"


@pytest.mark.parametrize("path", ["/widgets/{slug}/petition?lang=en", "/embed.js"])
def test_no_answer_carries_a_date_of_its_own_the_server_stamps_it_when_it_is_sent(client, campaign, path):
    """Flask-Compress and the loader's view set a Date (werkzeug's make_conditional); kept, it
    would be replayed stale by a server that sends an app's Date (werkzeug's does)."""
    url = path.format(slug=campaign)
    answers = [client.get(url, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
    assert [answer.headers.get("Content-Encoding") for answer in answers] == ["gzip", "gzip"]
    assert [answer.headers.get("Date") for answer in answers] == [None, None]
