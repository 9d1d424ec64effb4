"""``flask supporters show EMAIL`` and ``forget EMAIL``: a person's access and deletion
requests, matched as the service matches a mailbox (every spelling that reaches it)."""
import pytest
from sqlalchemy import select

from widget_service.console.models import AuditEntry
from widget_service.extensions import db
from widget_service.mail.models import OutboxMail

from ..builders import make_campaign
from .conftest import backdate, figures, rows_holding, supporter

NAME = "Zarmina Qasimi"
ADDRESS = "zarmina.qasimi@gmail.com"


@pytest.fixture
def campaigns(app, client, widget, partner):
    """Two campaigns where the person signed (under two spellings of one Gmail mailbox),
    offered to coordinate and subscribed, beside another supporter."""
    from datetime import timedelta

    with app.app_context():
        slugs = [make_campaign().slug, make_campaign().slug]
    supporter(client, widget, slugs[0], "Zarmina.Qasimi+petitions@gmail.com", NAME, phone="0300 5550001")
    supporter(client, widget, slugs[1], "zarminaqasimi@googlemail.com", NAME, opt_in=False, phone="0300 5550001")
    for slug in slugs:
        supporter(client, widget, slug, "other@example.org", "Other Person", phone="0300 5550002")
        backdate(app, slug, timedelta(days=2))
    return slugs


def test_show_prints_every_place_the_person_is_stored(app, runner, campaigns):
    result = runner.invoke(args=["supporters", "show", " ZARMINA.QASIMI@gmail.com "])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "mailbox zarminaqasimi@gmail.com" in out
    for table, rows in (("signature", 2), ("coordinator", 2), ("subscription", 2), ("outbox_mail", 2)):
        assert f"\n{table}: {rows}\n" in out, table
    for detail in (NAME, "Zarmina.Qasimi+petitions@gmail.com", "zarminaqasimi@googlemail.com", "+923005550001",
                   f"Quetta of {NAME}", f"Comment of {NAME}", f"Note of {NAME}", f"campaign {campaigns[0]}",
                   f"campaign {campaigns[1]}", "subscription_confirm"):
        assert detail in out, detail
    assert "Other Person" not in out and "other@example.org" not in out and "5550002" not in out
    assert "Stripe holds them" in out


def test_show_finds_the_address_in_other_tables_too(app, runner, campaigns, staff):
    staff("admin", email=ADDRESS)  # the person is also on MSP's staff
    out = runner.invoke(args=["supporters", "show", ADDRESS]).output
    assert "also in staff.email: 1 row" in out


@pytest.mark.parametrize("verb", ["show", "forget"])
@pytest.mark.parametrize("text", ["zarmina", "zarmina@", "@gmail.com", "a b@example.org", ""])
def test_a_non_address_is_refused_in_one_line(app, runner, campaigns, verb, text):
    result = runner.invoke(args=["supporters", verb, text, *(["--yes"] if verb == "forget" else [])])
    assert result.exit_code == 1
    assert result.output == "Error: give the supporter's email address, such as name@example.org\n"
    assert "signature.name" in rows_holding(app, NAME)  # nothing erased


def test_forget_asks_first_and_a_no_changes_nothing(app, runner, campaigns):
    result = runner.invoke(args=["supporters", "forget", ADDRESS], input="n\n")
    assert result.exit_code == 1 and "Erase everything stored about zarminaqasimi@gmail.com" in result.output
    assert "signature.name" in rows_holding(app, NAME)
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "supporters.forget")) is None


def test_forget_erases_the_person_everywhere_and_keeps_every_count(app, client, widget, runner, campaigns):
    before = {slug: figures(app, widget, slug) for slug in campaigns}
    assert rows_holding(app, NAME) and rows_holding(app, "5550001")

    result = runner.invoke(args=["supporters", "forget", "zarminaqasimi@gmail.com"], input="y\n")
    assert result.exit_code == 0, result.output
    assert ("erased signatures 2, offers to coordinate 2, subscriptions 2, donations 0, outbox mails deleted 2"
            in result.output)

    for text in ("zarmina", "qasimi", "5550001"):  # every spelling of the address, the name, the phone
        assert rows_holding(app, text) == [], text
    assert {slug: figures(app, widget, slug) for slug in campaigns} == before  # a counted signature stays counted
    assert "signature.email" in rows_holding(app, "other@example.org")
    assert "coordinator.phone" in rows_holding(app, "5550002")
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.to_email == "other@example.org")) == 2
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "supporters.forget"))
        assert entry.actor.startswith("cli:") and len(entry.target) == 32 and entry.details["signatures"] == 2

    shown = runner.invoke(args=["supporters", "show", ADDRESS]).output
    assert "\nsignature: 0\n" in shown and "\nsubscription: 0\n" in shown
    assert "forgotten at this person's request on " in shown  # the audit log's keyed fingerprint matches

    # Forgetting again finds nothing and breaks nothing; the person may sign again, and counts.
    assert "erased signatures 0, offers to coordinate 0" in runner.invoke(args=["supporters", "forget", ADDRESS, "--yes"]).output
    count = widget.count(campaigns[0])
    assert widget.sign(campaigns[0], email=ADDRESS, name=NAME).status_code == 202
    assert widget.count(campaigns[0]) == count + 1
