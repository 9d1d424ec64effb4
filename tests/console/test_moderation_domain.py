"""Moderation's domain: selections, holding back and restoring, watched through the public
count and ``flask counts reconcile`` (on SQLite and PostgreSQL, with and without Redis)."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import redis as redis_lib

from widget_service.campaigns import find_campaign
from widget_service.console import moderation_domain as moderation
from widget_service.extensions import db

from .. import services
from ..builders import make_campaign, signature

NOW = datetime(2025, 3, 1, 12, 0, 0)


@pytest.mark.parametrize("args, field", [
    ({"since": "2025-03-01 10:00", "until": "2025-03-01 11:00"}, None),
    ({"since": "2025-03-01T10:00:30", "until": "2025-03-01T11:00"}, None),
    ({}, None),
    ({"since": "yesterday"}, "since"),
    ({"until": "2025-13-01 10:00"}, "until"),
    ({"since": "2025-03-01 11:00", "until": "2025-03-01 10:00"}, "since"),
    ({"since": "2025-01-01 10:00", "until": "2025-03-01 10:00"}, "since"),  # more than 31 days
    ({"ip_hash": "not-hex"}, "ip_hash"),
    ({"ip_hash": "ab" * 32}, None),
    ({"domain": "Example.COM"}, None),
    ({"domain": "a b.com"}, "domain"),
    ({"domain": "100%.com"}, "domain"),
    ({"ref": "partner-1"}, None),
    ({"ref": "-"}, None),
    ({"ref": "!!!"}, "ref"),
    ({"state": "suspect"}, None),
    ({"state": "deleted"}, "state"),
])
def test_parse_selection(app, args, field):
    with app.test_request_context():
        selection, errors = moderation.parse_selection(1, args, now=NOW)
    if field is None:
        assert errors == {} and selection.since < selection.until <= NOW
    else:
        assert selection is None and list(errors) == [field]


def test_an_end_in_the_future_is_now_and_the_default_window_is_a_day(app):
    with app.test_request_context():
        selection, _ = moderation.parse_selection(1, {"until": "2030-01-01 00:00", "domain": "@Bot.Example"}, now=NOW)
        assert selection.until == NOW and selection.since == NOW - timedelta(days=1)
        exact, _ = moderation.parse_selection(1, {"since": "2025-03-01 10:00", "until": "2025-03-01 11:30"}, now=NOW)
        assert (exact.since, exact.until) == (datetime(2025, 3, 1, 5, 0), datetime(2025, 3, 1, 6, 30))  # UTC
        assert selection.domain == "bot.example"
        again, _ = moderation.parse_selection(1, selection.as_args(), now=NOW)
        assert again == selection


def sign_wave(widget, slug, people=3, bots=5):
    """People from their own addresses, then a wave of bots from one address and one domain."""
    for n in range(people):
        assert widget.sign(slug, email=f"person{n}-{uuid.uuid4().hex[:6]}@example.org").status_code == 202
    for n in range(bots):
        response = widget.client.post(
            f"/api/v1/campaigns/{slug}/signatures", json=signature(email=f"bot{n}@bot.example"),
            environ_base={"REMOTE_ADDR": "203.0.113.66"},
        )
        assert response.status_code == 202


def selection_of(app, slug, **args):
    with app.test_request_context():
        selection, errors = moderation.parse_selection(find_campaign(slug).id, args)
    assert not errors
    return selection


def reconciled(runner, slug):
    """``flask counts reconcile``'s before and after for ``slug``."""
    result = runner.invoke(args=["counts", "reconcile", slug])
    assert result.exit_code == 0, result.output
    before, _, after = result.output.split(": ", 1)[1].split()[:3]
    return int(before), int(after)


def act(app, verb, selection, expected=None):
    with app.app_context():
        return getattr(moderation, verb)(selection, expected)


def test_a_wave_is_seen_held_back_at_once_and_restored(app, runner, widget, campaign):
    sign_wave(widget, campaign)
    assert widget.count(campaign) == 8
    selection = selection_of(app, campaign, domain="bot.example")
    with app.app_context():
        seen = moderation.wave(selection_of(app, campaign))
        assert seen["domains"][0] == ("bot.example", 5) and seen["ip_hashes"][0][1] == 5
        assert sum(n for _, n in seen["series"]) == 8 and seen["busiest"][0][1] >= 2
        assert moderation.states_in(selection) == {"counted": 5, "pending": 0, "suspect": 0}

    assert act(app, "hold_back", selection, expected=5) == 5
    assert widget.count(campaign) == 3  # at once
    assert reconciled(runner, campaign) == (3, 3)
    assert act(app, "hold_back", selection) == 0  # held back already: nothing twice
    assert widget.count(campaign) == 3

    with app.app_context():
        assert moderation.restorable_count(selection) == 5
    assert act(app, "restore", selection, expected=5) == 5
    assert widget.count(campaign) == 8
    assert reconciled(runner, campaign) == (8, 8)


def test_a_selection_that_changed_since_it_was_confirmed_changes_nothing(app, runner, widget, campaign):
    sign_wave(widget, campaign)
    by_address = selection_of(app, campaign, domain="bot.example")
    with pytest.raises(moderation.SelectionChanged) as raised:
        act(app, "hold_back", by_address, expected=4)
    assert raised.value.now == 5
    assert widget.count(campaign) == 8 and reconciled(runner, campaign) == (8, 8)


def test_restoring_never_counts_a_mailbox_twice(app, runner, widget, campaign):
    """A held-back mailbox that signed again meanwhile stays held back; of several held-back
    signatures of one mailbox, one comes back."""
    widget.sign(campaign, email="twice@example.org")
    widget.sign(campaign, email="again@example.org")

    def everyone():  # a selection ends when it is made: made again after each signing
        return selection_of(app, campaign)

    assert act(app, "hold_back", everyone()) == 2
    widget.sign(campaign, email="Twice@Example.org")  # signs again while held back: counted
    assert act(app, "hold_back", selection_of(app, campaign, state="counted")) == 1
    widget.sign(campaign, email="twice@example.org")  # and once more
    assert widget.count(campaign) == 1
    with app.app_context():
        assert moderation.states_in(everyone())["suspect"] == 3
        assert moderation.restorable_count(everyone()) == 1  # again@; twice@ is counted already
    assert act(app, "restore", everyone()) == 1
    assert widget.count(campaign) == 2 and reconciled(runner, campaign) == (2, 2)

    assert act(app, "hold_back", everyone()) == 2  # now twice@ has three held back, again@ one
    assert act(app, "restore", everyone()) == 2
    assert widget.count(campaign) == 2 and reconciled(runner, campaign) == (2, 2)


def test_criteria_pick_only_their_signatures(app, widget, campaign):
    widget.sign(campaign, email="a@one.example", ref="ally-1")
    widget.sign(campaign, email="b@two.example")
    widget.client.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature(email="c@one.example"),
                       environ_base={"REMOTE_ADDR": "198.51.100.9"})
    with app.app_context():
        ip_hash = moderation.wave(selection_of(app, campaign))["ip_hashes"][-1][0]

    def counted(**args):
        with app.app_context():
            return moderation.states_in(selection_of(app, campaign, **args))["counted"]

    assert counted() == 3
    assert counted(domain="one.example") == 2
    assert counted(ref="ally-1") == 1 and counted(ref="-") == 2
    assert counted(ip_hash=ip_hash) == 1
    assert counted(state="suspect") == 0
    pakistan_now = datetime.utcnow() + timedelta(hours=5)  # moderators type Pakistan time
    assert counted(since=(pakistan_now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")) == 3
    assert counted(since=(pakistan_now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M"),
                   until=(pakistan_now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")) == 0


def test_concurrent_moderators_and_signers_leave_no_drift(make_app, runner, campaign, app):
    """Two instances hold back the same wave at once while supporters sign: each signature
    leaves the count once, and the count agrees with a recount."""
    other = make_app(create_schema=False)
    client = app.test_client()
    for n in range(40):
        client.post(f"/api/v1/campaigns/{campaign}/signatures", json=signature(email=f"w{n}@wave.example"))
    selection = selection_of(app, campaign, domain="wave.example")
    stop = threading.Event()

    def sign_until_stopped():
        signer, n = other.test_client(), 0
        while not stop.is_set() and n < 50:
            n += 1
            assert signer.post(f"/api/v1/campaigns/{campaign}/signatures",
                               json=signature(email=f"p{n}@people.example")).status_code == 202
        return n

    with ThreadPoolExecutor(3) as pool:
        signing = pool.submit(sign_until_stopped)
        holds = [pool.submit(act, instance, "hold_back", selection) for instance in (app, other)]
        held = sorted(future.result() for future in holds)
        stop.set()
        people = signing.result()
    assert held == [0, 40]
    assert reconciled(runner, campaign) == (people, people)
    assert app.test_client().get(f"/api/v1/campaigns/{campaign}/count").get_json()["signatures"] == people


@pytest.fixture
def live(make_app):
    """An app on the shared Redis under a prefix of its own, with no per-process count copy."""
    url = services.require_redis()
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    yield make_app(REDIS_URL=url, REDIS_PREFIX=prefix, COUNT_CACHE_SECONDS=0), prefix
    client = redis_lib.Redis.from_url(url)
    for stale in client.scan_iter(f"{prefix}*"):
        client.delete(stale)


def test_with_redis_the_live_count_drops_at_once_and_agrees_with_a_recount(live):
    app, prefix = live
    with app.app_context():
        slug = make_campaign().slug
    widget_client = app.test_client()
    from ..conftest import Widget

    widget = Widget(widget_client)
    sign_wave(widget, slug)
    assert widget.count(slug) == 8  # the live hash exists
    selection = selection_of(app, slug, domain="bot.example")
    assert act(app, "hold_back", selection, expected=5) == 5
    assert widget.count(slug) == 3
    widget.sign(slug)  # a signer after the hold-back adds to the new generation
    assert widget.count(slug) == 4
    runner = app.test_cli_runner()
    assert reconciled(runner, slug) == (4, 4)
    assert act(app, "restore", selection) == 5
    assert widget.count(slug) == 9 and reconciled(runner, slug) == (9, 9)
    with app.app_context():
        redis = app.extensions["msp_redis"]
        redis.delete(f"{prefix}live-count:{find_campaign(slug).id}")  # Redis lost its hash
    assert widget.count(slug) == 9  # rebuilt from SQL, which the moderation kept right


def test_the_dashboard_agrees_after_a_hold_back_of_hours_already_rolled_up(app, runner, widget, campaign):
    from sqlalchemy import update

    from widget_service.console.figures import dashboard_figures
    from widget_service.models import Signature, utcnow

    sign_wave(widget, campaign)
    with app.app_context():  # signed three hours ago, so the rollup takes them into its buckets
        db.session.execute(update(Signature).values(created_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    assert runner.invoke(args=["stats", "rollup", campaign]).exit_code == 0
    assert act(app, "hold_back", selection_of(app, campaign, domain="bot.example")) == 5
    with app.app_context():
        figures = dashboard_figures(find_campaign(campaign))
    assert figures.rolled_until is not None
    assert figures.held_back["suspect"] == 5
    assert figures.total == sum(n for _, n in figures.daily) == widget.count(campaign) == 3


def test_a_signature_a_trap_caught_is_restored_only_where_no_confirmation_is_asked(app, runner, widget, campaign):
    widget.sign(campaign, email="person@example.org")
    widget.sign(campaign, email="caught@example.org", website="http://spam.example")  # the honeypot: suspect
    assert widget.count(campaign) == 1
    everyone = selection_of(app, campaign)
    with app.app_context():
        assert moderation.restorable_count(everyone) == 1  # a person caught by mistake may be approved
        find_campaign(campaign).settings = {"confirm_signatures": True}  # the campaign now asks for confirmation
        db.session.commit()
    assert act(app, "hold_back", everyone) == 1
    assert widget.count(campaign) == 0
    with app.app_context():
        # The one a moderator held back was counted (confirmed); the trapped one never was.
        assert moderation.states_in(everyone)["suspect"] == 2 and moderation.restorable_count(everyone) == 1
    assert act(app, "restore", everyone) == 1
    assert widget.count(campaign) == 1 and reconciled(runner, campaign) == (1, 1)
    with app.app_context():
        assert moderation.restorable_count(everyone) == 0
        find_campaign(campaign).settings = {}
        db.session.commit()
    assert act(app, "restore", everyone) == 1  # without confirmation, the trapped one may count
    assert widget.count(campaign) == 2 and reconciled(runner, campaign) == (2, 2)
