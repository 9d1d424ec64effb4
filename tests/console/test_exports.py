"""Exports through the console (admins): the CLI's CSV files (byte-order mark, Urdu, formula-safe),
filtered by Pakistan days and partner, streamed, each written in the audit log."""
import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from widget_service.campaigns import find_campaign
from widget_service.extensions import db
from widget_service.models import Donation, Signature, Subscription, utcnow
from widget_service.subscriptions import confirm

from ..builders import signature
from .conftest import csrf_token


@pytest.fixture
def admin(console_client):
    client = console_client("admin")
    client.token = csrf_token(client, "/console/exports")
    return client


def export(admin, slug, kind="signatures", **filters):
    return admin.post("/console/exports", data={"csrf_token": admin.token, "campaign": slug, "kind": kind, **filters})


def rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def sign_at(app, client, slug, when, **fields):
    response = client.post(f"/api/v1/campaigns/{slug}/signatures", json=signature(**fields))
    assert response.status_code == 202
    with app.app_context():
        newest = db.session.scalar(select(Signature.id).order_by(Signature.id.desc()).limit(1))
        db.session.execute(update(Signature).where(Signature.id == newest).values(created_at=when))
        db.session.commit()


def test_signatures_are_the_clis_file_filtered_by_pakistan_day_partner_and_state(app, client, runner, campaign, admin, widget, tmp_path):
    # 2025-03-01 in Pakistan runs from 2025-02-28 19:00 to 2025-03-01 19:00 UTC.
    sign_at(app, client, campaign, datetime(2025, 2, 28, 18, 59), name="Before Midnight")
    sign_at(app, client, campaign, datetime(2025, 2, 28, 19, 0), name="=HYPERLINK(\"http://x\")", ref="ally-a")
    sign_at(app, client, campaign, datetime(2025, 3, 1, 18, 59), name="زرمینہ قیصرانی", ref="ally-b")
    sign_at(app, client, campaign, datetime(2025, 3, 1, 19, 0), name="Next Day", ref="ally-a")
    sign_at(app, client, campaign, datetime(2025, 3, 1, 12, 0), name="Bot Person", website="http://spam.example")

    everyone = rows(export(admin, campaign))
    assert len(everyone) == widget.count(campaign) == 4  # the counted ones, as the public count
    assert [row["state"] for row in everyone] == ["counted"] * 4
    day = rows(export(admin, campaign, since="2025-03-01", until="2025-03-01"))
    assert [row["name"] for row in day] == ["'=HYPERLINK(\"http://x\")", "زرمینہ قیصرانی"]
    assert day[0]["created_at"] == "2025-02-28 19:00:00"  # the file keeps UTC
    assert [row["name"] for row in rows(export(admin, campaign, ref="ally-a"))] == ["'=HYPERLINK(\"http://x\")", "Next Day"]
    assert [row["name"] for row in rows(export(admin, campaign, state="suspect"))] == ["Bot Person"]
    assert len(rows(export(admin, campaign, state="all", since="2025-03-02"))) == 1

    assert runner.invoke(args=["signatures", "export", campaign, "-o", str(tmp_path / "cli.csv")]).exit_code == 0
    assert (tmp_path / "cli.csv").read_bytes() == export(admin, campaign).get_data()  # the CLI's very file
    audit = runner.invoke(args=["audit", "tail", "-n", "20"]).output
    assert audit.count(f"export.signatures\t{campaign}") == 6
    assert "'since': '2025-03-01'" in audit and "'ref': 'ally-a'" in audit


def test_the_download_is_streamed_as_a_named_attachment(admin, campaign, widget):
    for _ in range(3):
        widget.sign(campaign)
    response = export(admin, campaign)
    assert response.is_streamed
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{campaign}-signatures-')
    assert len(rows(response)) == 3


def test_coordinators_subscribers_and_donations(app, client, campaign, admin, widget):
    offer = {"name": "Coordinator One", "email": "one@example.org", "phone": "0300 1234567", "region": "PK-BA", "ref": "ally-a"}
    assert client.post(f"/api/v1/campaigns/{campaign}/coordinators", json=offer).status_code == 202
    offer = {"name": "+Two", "email": "two@example.org", "phone": "0300 7654321", "region": "PK-SD"}
    assert client.post(f"/api/v1/campaigns/{campaign}/coordinators", json=offer).status_code == 202
    widget.sign(campaign, email="confirmed@example.org", opt_in=True)
    widget.sign(campaign, email="waiting@example.org", opt_in=True)
    with app.app_context():
        campaign_id = find_campaign(campaign).id
        confirm(db.session.scalar(select(Subscription).where(Subscription.email == "confirmed@example.org")))
        for n, (amount, currency, interval) in enumerate([(250000, "PKR", "once"), (2500, "USD", "month")]):
            db.session.add(Donation(campaign_id=campaign_id, amount=amount, currency=currency, interval=interval,
                                    stripe_event_id=f"evt_{n}", stripe_object_id=f"cs_{n}", created_at=utcnow()))
        db.session.commit()

    offers = rows(export(admin, campaign, "coordinators"))
    assert [(row["name"], row["region_name"]) for row in offers] == [("Coordinator One", "Balochistan"), ("'+Two", "Sindh")]
    assert [row["name"] for row in rows(export(admin, campaign, "coordinators", ref="ally-a"))] == ["Coordinator One"]
    subscribers = rows(export(admin, campaign, "subscribers"))
    assert [row["email"] for row in subscribers] == ["confirmed@example.org"]
    assert subscribers[0]["unsubscribe_url"].startswith("http://localhost/unsubscribe/")
    assert [row["email"] for row in rows(export(admin, campaign, "subscribers", subscribers="unconfirmed"))] == ["waiting@example.org"]
    gifts = rows(export(admin, campaign, "donations"))
    assert [(row["currency"], row["amount"], row["interval"]) for row in gifts] == [("PKR", "2500.00", "once"), ("USD", "25.00", "month")]
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    assert rows(export(admin, campaign, "donations", since=tomorrow)) == []


@pytest.mark.parametrize("fields, field", [
    ({"campaign": "no-such-campaign"}, "campaign"),
    ({"kind": "passwords"}, "kind"),
    ({"since": "01/03/2025"}, "since"),
    ({"since": "2025-03-02", "until": "2025-03-01"}, "until"),
    ({"kind": "donations", "ref": "ally-a"}, "ref"),
    ({"ref": "!!!"}, "ref"),
    ({"state": "deleted"}, "state"),
    ({"kind": "subscribers", "subscribers": "strangers"}, "subscribers"),
])
def test_a_refused_export_says_why_beside_the_field(admin, runner, campaign, fields, field):
    form = {"campaign": campaign, "kind": "signatures", **fields}
    response = admin.post("/console/exports", data={"csrf_token": admin.token, **form})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert "export." not in runner.invoke(args=["audit", "tail", "-n", "3"]).output
