"""``flask retention apply``: once a campaign has been closed for its retention period, the
personal fields of its signatures, offers to coordinate, subscriptions and gifts are erased and
its outbox mails deleted; every count and statistic stays exactly as it was; campaigns still in
their period are untouched; running it again changes nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from widget_service.campaigns import find_campaign, reopen_campaign
from widget_service.extensions import db
from widget_service.models import Coordinator, Donation, Signature, Subscription

from ..builders import make_campaign
from .conftest import add_gift, backdate, close, figures, rows_holding, supporter


@pytest.fixture
def app(make_app):
    return make_app(RETENTION_DAYS=30)


def people(client, widget, slug, prefix, n=3, phone="0300 7654321"):
    for i in range(n):
        supporter(client, widget, slug, f"{prefix}{i}@example.org", f"Zarmina {prefix.title()}{i}", opt_in=i != 2, phone=phone)


def test_retention_erases_only_campaigns_past_their_period_and_keeps_every_count(app, client, widget, runner, partner):
    with app.app_context():
        due, recent, own, running = (make_campaign().slug for _ in range(4))
    for slug, prefix, phone in ((due, "due", "0300 1111111"), (recent, "recent", "0300 2222222"),
                                (own, "own", "0300 3333333"), (running, "running", "0300 4444444")):
        people(client, widget, slug, prefix, phone=phone)
        backdate(app, slug, timedelta(days=3))
    widget.sign(due, email="held@example.org", name="Zarmina Held", honeypot="x")  # whatever its state
    add_gift(app, due, days_ago=40, event="evt_old", session="cs_old", subscription="sub_old")
    add_gift(app, due, days_ago=2, event="evt_new", session="cs_new")  # Stripe may still send it again
    close(app, due, days_ago=31)  # past the default 30 days
    close(app, recent, days_ago=29)  # not yet
    close(app, own, days_ago=31, retention_days=60)  # its own, longer period
    before = {slug: figures(app, widget, slug) for slug in (due, recent, own, running)}
    assert rows_holding(app, "due0@example.org") and rows_holding(app, "Zarmina Due1")

    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0, result.output
    assert result.output == (f"{due}: erased signatures 4, offers to coordinate 3, subscriptions 3, donations 1, "
                             "outbox mails deleted 3\n"), result.output

    for i in range(3):  # names and addresses, and with the names the regions, comments and notes
        assert rows_holding(app, f"due{i}@example.org") == [], i
        assert rows_holding(app, f"Zarmina Due{i}") == [], i
    for text in ("1111111", "cs_old", "evt_old", "sub_old"):
        assert rows_holding(app, text) == [], text
    assert rows_holding(app, "cs_new")  # a gift's ids are its replay protection for a week
    for prefix, phone in (("recent", "2222222"), ("own", "3333333"), ("running", "4444444")):
        assert "signature.email" in rows_holding(app, f"{prefix}0@example.org")
        assert "signature.region" in rows_holding(app, f"Quetta of Zarmina {prefix.title()}0")
        assert rows_holding(app, phone) == ["coordinator.phone"]
    after = {slug: figures(app, widget, slug) for slug in (due, recent, own, running)}
    assert after == before

    with app.app_context():
        erased = find_campaign(due).id
        for model in (Signature, Coordinator, Subscription):
            rows = db.session.scalars(select(model).where(model.campaign_id == erased)).all()
            assert rows and all(row.email == "" and row.email_canonical.endswith("@erased.invalid") for row in rows)
        signatures = db.session.scalars(select(Signature).where(Signature.campaign_id == erased)).all()
        assert all(s.name == "" and s.region is None and s.comment is None and s.ip_hash is None for s in signatures)
        assert {s.country for s in signatures} == {"PK"} and {s.ref for s in signatures} == {"quetta-net", None}
        offers = db.session.scalars(select(Coordinator).where(Coordinator.campaign_id == erased)).all()
        assert all(o.phone == "" and o.note is None and o.region == "PK-BA" for o in offers)

    # Again: nothing more to erase, nothing changes.
    again = runner.invoke(args=["retention", "apply"])
    assert again.exit_code == 0 and again.output == f"{due}: nothing left to erase\n", again.output
    assert {slug: figures(app, widget, slug) for slug in (due, recent, own, running)} == before

    # A week on, the late gift's ids go too; a campaign whose period ends now is erased.
    with app.app_context():
        gift = db.session.scalar(select(Donation).where(Donation.stripe_event_id == "evt_new"))
        gift.created_at -= timedelta(days=6)  # as if six days passed: the last run too
        find_campaign(due).erased_at -= timedelta(days=6)
        db.session.commit()
    close(app, recent, days_ago=30)
    later = runner.invoke(args=["retention", "apply"]).output
    assert f"{due}: erased signatures 0, offers to coordinate 0, subscriptions 0, donations 1" in later
    assert f"{recent}: erased signatures 3" in later
    assert rows_holding(app, "cs_new") == [] and rows_holding(app, "recent0@example.org") == []
    assert figures(app, widget, recent) == before[recent]


def test_an_erased_mailbox_can_sign_again_and_counts_again(app, client, widget, runner, partner):
    """The erased rows keep the unique indexes' slots of nobody: the same address, once the
    campaign reopens, makes a new signature that counts."""
    with app.app_context():
        slug = make_campaign().slug
    supporter(client, widget, slug, "again@example.org", "Zarmina Again")
    close(app, slug, days_ago=31)
    assert runner.invoke(args=["retention", "apply"]).exit_code == 0
    with app.app_context():
        reopen_campaign(find_campaign(slug))
    app.extensions["msp_campaign_refs"].pop(slug)
    assert widget.count(slug) == 1
    supporter(client, widget, slug, "again@example.org", "Zarmina Again")
    assert widget.count(slug) == 2
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Subscription)) == 2


def test_nothing_is_erased_while_no_campaign_is_past_its_period(app, client, widget, runner, partner):
    with app.app_context():
        slug = make_campaign().slug
    supporter(client, widget, slug, "open@example.org", "Zarmina Open")
    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0 and result.output == "no campaign is past its retention period\n"
    assert "signature.email" in rows_holding(app, "open@example.org")


def test_the_period_is_set_per_campaign_from_the_cli(app, runner, campaign):
    result = runner.invoke(args=["campaigns", "set", campaign, "--retention-days", "90"])
    assert result.exit_code == 0 and "personal data erased 90 days after it closes" in result.output
    with app.app_context():
        assert find_campaign(campaign).setting("retention_days") == 90
    result = runner.invoke(args=["campaigns", "set", campaign, "--default-retention"])
    assert "personal data erased 30 days after it closes" in result.output  # WIDGET_RETENTION_DAYS
    for bad in ("-1", "3651", "soon"):
        result = runner.invoke(args=["campaigns", "set", campaign, "--retention-days", bad])
        assert result.exit_code == 2 and "--retention-days" in result.output
    with app.app_context():
        assert find_campaign(campaign).setting("retention_days") is None


def test_closing_and_reopening_set_when_the_period_starts(app, runner, campaign):
    assert runner.invoke(args=["campaigns", "close", campaign]).exit_code == 0
    with app.app_context():
        first = find_campaign(campaign).closed_at
        assert first is not None and find_campaign(campaign).closed_since() == first
    runner.invoke(args=["campaigns", "close", campaign])  # closing again keeps the first time
    with app.app_context():
        assert find_campaign(campaign).closed_at == first
        reopen_campaign(find_campaign(campaign))
        assert find_campaign(campaign).closed_at is None and find_campaign(campaign).closed_since() is None
