"""The dashboard's statistics: signatures made through the API, moved back in time where a test
needs older ones, rolled up by ``flask stats rollup``, recounted by ``flask stats recount``;
the figures read from the buckets equal the figures read live from the signatures."""
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from widget_service.campaigns import find_campaign
from widget_service.console import stats
from widget_service.console.figures import dashboard_figures
from widget_service.extensions import db
from widget_service.models import Signature, utcnow

from ..builders import make_campaign


def sign_at(app, widget, slug, when, **fields):
    """Sign through the API, then move the signature's time back to ``when`` (UTC)."""
    response = widget.sign(slug, **fields)
    assert response.status_code == 202, response.get_data(as_text=True)
    with app.app_context():
        newest = db.session.scalar(select(Signature.id).order_by(Signature.id.desc()).limit(1))
        db.session.execute(update(Signature).where(Signature.id == newest).values(created_at=when))
        db.session.commit()
        return newest


def figures(app, slug, now=None):
    with app.app_context():
        return dashboard_figures(find_campaign(slug), now=now)


def live(app, slug, now=None):
    """The figures read from the signatures alone (no buckets), as a check."""
    with app.app_context():
        campaign = find_campaign(slug)
        saved = db.session.get(stats.StatsRollup, campaign.id)
        until = saved.rolled_until if saved else None
        if saved:
            saved.rolled_until = None
            db.session.flush()
        result = dashboard_figures(campaign, now=now)
        db.session.rollback()
        return replace(result, rolled_until=until)


def comparable(result):
    return replace(result, breakdowns={name: b.rows for name, b in result.breakdowns.items()})


def rollup(runner, *args):
    result = runner.invoke(args=["stats", "rollup", *args])
    assert result.exit_code == 0, result.output
    return result.output


def spread(app, widget, slug, now):
    """Eleven signatures over four days and the open hour, some from partners and sites, one
    in Urdu, one caught by the honeypot; returns their ids."""
    ids = []
    for days, hours, fields in [
        (3, 2, {"ref": "ally-a", "country": "PK"}),
        (3, 1, {"ref": "ally-a", "country": "GB", "origin": "https://ally-a.example"}),
        (2, 5, {"ref": "ally-b", "country": "PK", "lang": "ur"}),
        (2, 5, {"country": "US", "website": "http://spam.example"}),  # a bot: held back as suspect
        (1, 0, {"ref": "ally-b", "country": "PK", "origin": "https://ally-b.example"}),
        (0, 30, {"ref": "ally-a", "country": "PK"}),
        (0, 3, {"country": "CA"}),
        (0, 2, {"ref": "ally-b", "country": "PK"}),
        (0, 1, {"ref": "ally-a", "country": "PK"}),
        (0, 0, {"country": "PK", "origin": "https://ally-a.example"}),
        (0, 0, {"country": "PK"}),
    ]:
        ids.append(sign_at(app, widget, slug, now - timedelta(days=days, hours=hours), **fields))
    return ids


def test_rolled_up_figures_equal_the_live_ones_and_the_count(app, widget, runner, campaign):
    now = utcnow()
    spread(app, widget, campaign, now)
    before = figures(app, campaign, now)  # nothing rolled up: everything read live
    assert before.rolled_until is None
    output = rollup(runner, campaign)
    assert f"{campaign}: rolled up to" in output
    after = figures(app, campaign, now)
    assert after.rolled_until == stats.floor_hour(utcnow() - stats.SETTLE)
    assert comparable(replace(after, rolled_until=None)) == comparable(before)
    assert after.total == widget.count(campaign) == 10 == sum(n for _, n in after.daily)
    assert after.held_back == {"pending": 0, "suspect": 1}
    refs = {key: total for key, total, _ in after.breakdowns["ref"].ranked()}
    assert refs == {"ally-a": 4, "ally-b": 3, "": 3}
    countries = {key: total for key, total, _ in after.breakdowns["country"].ranked()}
    assert countries == {"PK": 8, "GB": 1, "CA": 1}  # the suspect one from the US counts nowhere
    assert {key: total for key, total, _ in after.breakdowns["lang"].ranked()} == {"en": 9, "ur": 1}
    origins = {key: total for key, total, _ in after.breakdowns["origin"].ranked()}
    assert origins == {"": 7, "https://ally-a.example": 2, "https://ally-b.example": 1}
    for name in stats.DIMENSIONS:
        assert after.breakdowns[name].total == after.total


def test_days_are_pakistan_days(app, widget, runner, campaign):
    now = utcnow()
    today = stats.local_day(now)
    midnight = stats.day_start(today)  # 19:00 UTC the day before
    sign_at(app, widget, campaign, midnight - timedelta(days=1, minutes=1))  # the day before yesterday, 23:59 PKT
    sign_at(app, widget, campaign, midnight - timedelta(days=1))  # yesterday, 00:00 PKT
    rollup(runner, campaign)
    daily = dict(figures(app, campaign, now).daily)
    assert daily[today - timedelta(days=2)] == 1
    assert daily[today - timedelta(days=1)] == 1


def test_the_dashboard_reads_buckets_not_signatures_until_a_recount(app, widget, runner, campaign):
    now = utcnow()
    ids = spread(app, widget, campaign, now)
    rollup(runner, campaign)
    moved = ids[0]
    with app.app_context():  # changed by hand, behind the statistics' back
        db.session.execute(update(Signature).where(Signature.id == moved).values(ref="ally-z", state=Signature.SUSPECT))
        db.session.commit()
    stale = figures(app, campaign, now)
    assert "ally-z" not in stale.breakdowns["ref"].rows
    assert stale.held_back["suspect"] == 1
    when = now - timedelta(days=3, hours=2)  # the changed signature's minute
    since, until = (f"{moment:%Y-%m-%d %H:%M}" for moment in (when, when + timedelta(minutes=1)))
    result = runner.invoke(args=["stats", "recount", campaign, "--since", since, "--until", until])
    assert result.exit_code == 0, result.output
    fresh = figures(app, campaign, now)
    assert fresh.held_back["suspect"] == 2
    assert fresh.breakdowns["ref"].rows["ally-a"][0] == 3
    assert comparable(fresh) == comparable(live(app, campaign, now))


def test_a_full_recount_repairs_signatures_deleted_by_hand(app, widget, runner, campaign):
    now = utcnow()
    ids = spread(app, widget, campaign, now)
    rollup(runner, campaign)
    with app.app_context():
        db.session.execute(Signature.__table__.delete().where(Signature.id.in_(ids[:3])))
        db.session.commit()
    assert figures(app, campaign, now).breakdowns["ref"].rows["ally-a"][0] == 4
    result = runner.invoke(args=["stats", "recount", campaign])
    assert result.exit_code == 0 and "recounted up to" in result.output, result.output
    fresh = figures(app, campaign, now)
    assert fresh.breakdowns["ref"].rows["ally-a"][0] == 2
    assert comparable(fresh) == comparable(live(app, campaign, now))


def test_rollup_again_changes_nothing_and_moves_on_by_the_hour(app, widget, runner, campaign):
    now = utcnow()
    spread(app, widget, campaign, now)
    first = rollup(runner, campaign)
    assert "(was nothing yet)" in first
    once = figures(app, campaign, now)
    assert "(was" not in rollup(runner)  # every campaign; nothing new to roll up
    assert comparable(figures(app, campaign, now)) == comparable(once)


def test_an_hour_is_rolled_up_only_once_it_settled(app, widget, campaign):
    hour = stats.floor_hour(utcnow()) - timedelta(hours=1)
    sign_at(app, widget, campaign, hour - timedelta(hours=2))
    sign_at(app, widget, campaign, hour + timedelta(minutes=59, seconds=59))  # committed late
    with app.app_context():
        campaign_id = find_campaign(campaign).id
        # Three minutes after the hour closed: its signatures may still be committing.
        assert stats.rollup(campaign_id, now=hour + timedelta(hours=1, minutes=3)) == hour
        hours = db.session.execute(select(stats.StatsHour.hour, stats.StatsHour.count)).all()
        assert hours == [(hour - timedelta(hours=2), 1)]
        assert stats.rollup(campaign_id, now=hour + timedelta(hours=1, minutes=6)) == hour + timedelta(hours=1)
        assert db.session.scalar(select(stats.StatsHour.count).where(stats.StatsHour.hour == hour)) == 1


def test_rollup_in_bounded_steps_ends_where_one_step_does(app, widget, campaign):
    now = utcnow()
    spread(app, widget, campaign, now)
    with app.app_context():
        campaign_id = find_campaign(campaign).id
        steps = 0
        while stats.rollup(campaign_id, most=timedelta(hours=20)) < stats.floor_hour(utcnow() - stats.SETTLE):
            steps += 1
        assert steps >= 3
    stepped = figures(app, campaign, now)
    assert comparable(stepped) == comparable(live(app, campaign, now))


def test_catching_up_yields_after_its_time_or_finishes(app, widget, campaign):
    now = utcnow()
    spread(app, widget, campaign, now)
    target = stats.floor_hour(utcnow() - stats.SETTLE)
    with app.app_context():
        campaign_id = find_campaign(campaign).id
        first = stats.catch_up(campaign_id, seconds=0, step=timedelta(hours=6))
        assert first == stats.floor_hour(now - timedelta(days=3, hours=2)) + timedelta(hours=6)  # one step
        assert stats.catch_up(campaign_id, seconds=60) == target
    assert comparable(figures(app, campaign, now)) == comparable(live(app, campaign, now))


def test_recount_before_any_rollup_does_nothing(app, runner, campaign):
    result = runner.invoke(args=["stats", "recount", campaign])
    assert result.exit_code == 0 and "nothing rolled up yet" in result.output


@pytest.mark.parametrize("args", [["rollup", "no-such-campaign"], ["recount", "no-such-campaign"],
                                  ["recount", "{slug}", "--since", "2026-02-01", "--until", "2026-01-01"],
                                  ["recount", "{slug}", "--since", "yesterday"]])
def test_cli_refuses_bad_input_and_changes_nothing(app, runner, campaign, args):
    result = runner.invoke(args=["stats", *(arg.format(slug=campaign) for arg in args)])
    assert result.exit_code == 2 or (result.exit_code == 1 and "no campaign called" in result.output), result.output
    with app.app_context():
        assert db.session.scalar(select(stats.StatsRollup)) is None


def test_concurrent_rollups_and_recounts_agree(app, widget, campaign):
    """Several processes rolling up and recounting at once (cron and dashboards, moderation):
    each waits for the campaign's lock or skips, and the buckets come out right."""
    now = utcnow()
    spread(app, widget, campaign, now)
    errors = []

    def work(n):
        try:
            with app.app_context():
                campaign_id = find_campaign(campaign).id
                if n % 2:
                    stats.recount(campaign_id, now - timedelta(days=5), now)
                stats.rollup(campaign_id, wait=bool(n % 3))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert comparable(figures(app, campaign, now)) == comparable(live(app, campaign, now))


def test_other_campaigns_are_left_alone(app, widget, runner, campaign):
    now = utcnow()
    with app.app_context():
        other = make_campaign().slug
    sign_at(app, widget, other, now - timedelta(days=1), ref="elsewhere")
    spread(app, widget, campaign, now)
    rollup(runner, campaign)
    assert "elsewhere" not in figures(app, campaign, now).breakdowns["ref"].rows
    assert figures(app, other, now).rolled_until is None


def test_signing_never_reads_or_writes_the_statistics(app, widget, runner, campaign):
    """The statistics cost signing nothing: a signature's statements (opted in or not) never
    name their tables, rolled up or not."""
    rollup(runner, campaign)
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert widget.sign(campaign).status_code == 202
        assert widget.sign(campaign, opt_in=True).status_code == 202
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any("INSERT INTO signature" in statement for statement in seen)
    assert [statement for statement in seen if "stats_" in statement] == []
