"""The dashboard through HTTP, signed in: its numbers agree with the public count and the
export, it reads the rolled-up buckets and the open tail (never all of a campaign's
signatures), in English and Urdu, with no personal data."""
import csv
import io
import re
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select, update

from widget_service.extensions import db
from widget_service.models import Signature, utcnow
from widget_service.console.stats import StatsRollup

from .conftest import make_staff, sign_in


def signed_in(app, role="viewer"):
    client = app.test_client()
    account = make_staff(app, role)
    assert sign_in(client, account.email, account.password, account.code()).status_code == 302
    return client


def sign(widget, slug, count, days_ago=0, **fields):
    """``count`` signatures through the API, moved ``days_ago`` days back (0: left as made)."""
    for _ in range(count):
        response = widget.sign(slug, **fields)
        assert response.status_code == 202, response.get_data(as_text=True)
    if days_ago:
        with widget.client.application.app_context():
            newest = db.session.scalars(select(Signature.id).order_by(Signature.id.desc()).limit(count)).all()
            db.session.execute(update(Signature).where(Signature.id.in_(newest))
                               .values(created_at=utcnow() - timedelta(days=days_ago)))
            db.session.commit()


def breakdown(html, dimension):
    """``{key: signatures}`` of one breakdown table of the page."""
    section = re.search(rf'aria-labelledby="by-{dimension}">(.*?)</section>', html, re.S).group(1)
    return {key: int(n) for key, n in re.findall(r'data-key="([^"]*)" data-count="(\d+)"', section)}


def card(html, attribute):
    return int(re.sub(r"\D", "", re.search(rf"<dd[^>]*{attribute}>([^<]+)<", html).group(1)))


def test_the_numbers_agree_with_the_count_and_the_export(app, widget, runner, campaign):
    sign(widget, campaign, 3, days_ago=40, ref="ally-a", country="GB")
    sign(widget, campaign, 2, days_ago=10, ref="ally-b", lang="ur")
    sign(widget, campaign, 2, days_ago=3, ref="ally-a")
    sign(widget, campaign, 4, ref="ally-b", origin="https://ally-b.example")  # today, read live
    sign(widget, campaign, 1, website="http://spam.example")  # a bot: held back
    client = signed_in(app)
    html = client.get(f"/console/dashboard/{campaign}").get_data(as_text=True)
    total = widget.count(campaign)
    assert total == 11 == card(html, "data-total")
    assert card(html, "data-held-back") == 1
    export = runner.invoke(args=["signatures", "export", campaign])
    assert export.exit_code == 0, export.output
    rows = list(csv.DictReader(io.StringIO(export.output.lstrip("\ufeff"))))
    assert len(rows) == total
    assert breakdown(html, "ref") == Counter(row["ref"] for row in rows) == {"ally-a": 5, "ally-b": 6}
    assert breakdown(html, "country") == Counter(row["country"] for row in rows) == {"PK": 8, "GB": 3}
    assert breakdown(html, "lang") == Counter(row["lang"] for row in rows)
    assert breakdown(html, "origin") == Counter(row["source_origin"] for row in rows) == {"": 7, "https://ally-b.example": 4}
    today, week, month = (re.search(rf"<dt>{label}</dt>\s*<dd class=\"value\">([\d,]+)<", html).group(1)
                          for label in ("Today", "Last 7 days", "Last 30 days"))
    assert (today, week, month) == ("4", "6", "8")
    with app.app_context():  # the view rolled up closed hours itself (as many as half a second allows)
        assert db.session.scalar(select(StatsRollup.rolled_until)) > utcnow() - timedelta(days=40)


@contextmanager
def statements(app):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        # Not the public count (cached per process for a second) nor the session's bookkeeping.
        if "counter_shard" not in statement and "console_session" not in statement:
            seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_view_never_reads_all_signatures_and_its_queries_do_not_grow(app, widget, campaign):
    client = signed_in(app)
    sign(widget, campaign, 3, days_ago=20)
    with app.app_context():  # cron's rollup (a view would do it too, for half a second at most)
        assert app.test_cli_runner().invoke(args=["stats", "rollup", campaign]).exit_code == 0
    with statements(app) as few:
        assert client.get(f"/console/dashboard/{campaign}").status_code == 200
    sign(widget, campaign, 30, days_ago=5)
    with app.app_context():  # rolled up by cron meanwhile
        assert app.test_cli_runner().invoke(args=["stats", "recount", campaign]).exit_code == 0
    with statements(app) as many:
        assert client.get(f"/console/dashboard/{campaign}").status_code == 200
    assert len(many) == len(few), "\n".join(s[:150] for s in few + ["----"] + many)
    reads = [s for s in many if re.search(r"\bFROM signature\b", s)]
    assert reads and all("signature.created_at >=" in s for s in reads), reads


def test_in_urdu_the_page_is_right_to_left_with_the_same_numbers(app, widget, campaign):
    sign(widget, campaign, 3, ref="ally-a")
    client = signed_in(app, "admin")
    english = client.get(f"/console/dashboard/{campaign}?lang=en").get_data(as_text=True)
    urdu = client.get(f"/console/dashboard/{campaign}?lang=ur").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in urdu
    assert "دستخط" in urdu and "Signatures per hour" not in urdu
    assert card(urdu, "data-total") == card(english, "data-total") == 3
    assert breakdown(urdu, "ref") == breakdown(english, "ref")


def test_charts_are_svg_with_their_numbers_in_accessible_tables(app, widget, campaign):
    sign(widget, campaign, 2, days_ago=2)
    html = signed_in(app).get(f"/console/dashboard/{campaign}").get_data(as_text=True)
    hourly = re.search(r'aria-labelledby="hourly-heading">(.*?)</section>', html, re.S).group(1)
    assert hourly.count("<rect ") == 48 and 'role="img"' in hourly
    assert "<caption>" in hourly and hourly.count('<th scope="row">') == 48
    daily = re.search(r'aria-labelledby="daily-heading">(.*?)</section>', html, re.S).group(1)
    assert daily.count('<th scope="row">') == daily.count("<rect ") >= 3
    assert "<script" not in html and "style=" not in html


def test_no_personal_data_on_the_dashboard(app, widget, campaign):
    widget.sign(campaign, name="Zainab Secretname", email="zainab.secret@example.org", comment="A private comment")
    for role in ("viewer", "admin"):
        html = signed_in(app, role).get(f"/console/dashboard/{campaign}").get_data(as_text=True)
        for private in ("Secretname", "zainab.secret", "private comment"):
            assert private not in html


def test_the_campaign_list_and_an_unknown_campaign(app, widget, campaign):
    sign(widget, campaign, 2)
    client = signed_in(app)
    listing = client.get("/console/dashboard").get_data(as_text=True)
    assert f'href="/console/dashboard/{campaign}?lang=en"' in listing
    assert "2 signatures of 1,000" in listing
    assert client.get("/console/dashboard/no-such-campaign").status_code == 404
    assert client.get("/console/dashboard/Not A Slug").status_code == 404
