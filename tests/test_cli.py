"""flask campaigns ... and flask signatures export, through the CLI runner."""
import csv
import io
import time

from sqlalchemy import select

from widget_service.extensions import db
from widget_service.models import Campaign, CampaignText

from .builders import make_campaign, signature


def test_create_list_and_close(runner, widget):
    result = runner.invoke(args=["campaigns", "create", "quetta-2027", "--title", "Stand up", "--goal", "500",
                                 "--title-ur", "کھڑے ہوں", "--summary-ur", "خلاصہ"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["campaigns", "list"]).output
    assert "quetta-2027\topen\ten,ur\t0/500\tStand up" in listed
    assert widget.sign("quetta-2027").status_code == 202
    assert runner.invoke(args=["campaigns", "close", "quetta-2027"]).exit_code == 0
    assert "quetta-2027\tclosed\ten,ur\t1/500" in runner.invoke(args=["campaigns", "list"]).output
    assert widget.sign("quetta-2027").status_code == 409


def test_set_switches_the_captcha_and_changes_the_goal(runner, app, campaign):
    from widget_service.campaigns import find_campaign

    result = runner.invoke(args=["campaigns", "set", campaign, "--no-captcha", "--goal", "5000"])
    assert result.exit_code == 0 and "goal 5000, captcha off" in result.output
    with app.app_context():
        found = find_campaign(campaign)
        assert found.setting("captcha") is False and found.goal == 5000
    assert "captcha on" in runner.invoke(args=["campaigns", "set", campaign, "--captcha"]).output


def test_create_refuses_bad_and_taken_slugs(runner):
    assert runner.invoke(args=["campaigns", "create", "Bad Slug", "--title", "x"]).exit_code != 0
    assert runner.invoke(args=["campaigns", "create", "ok", "--title", "x"]).exit_code == 0
    again = runner.invoke(args=["campaigns", "create", "ok", "--title", "y"])
    assert again.exit_code != 0 and "exists already" in again.output
    assert runner.invoke(args=["campaigns", "create", "neg", "--title", "x", "--goal", "-1"]).exit_code != 0


def test_close_unknown_campaign_fails_cleanly(runner):
    result = runner.invoke(args=["campaigns", "close", "nope"])
    assert result.exit_code == 1 and "no campaign called 'nope'" in result.output


def test_seed_demo_creates_msp_campaign_once(app, runner, client):
    assert "created hazara-quetta" in runner.invoke(args=["campaigns", "seed-demo"]).output
    assert "left as it is" in runner.invoke(args=["campaigns", "seed-demo"]).output
    with app.app_context():
        [campaign] = db.session.scalars(select(Campaign)).all()
        assert campaign.slug == "hazara-quetta" and campaign.goal == 100_000
        texts = {t.lang: t for t in db.session.scalars(select(CampaignText))}
    assert texts["en"].title == "Stand up for the Shia Hazara of Quetta" and not texts["en"].is_draft
    assert texts["ur"].is_draft, "the Urdu texts await MSP's review"
    for demand in ("Law Enforcement Accountability, Now!", "Religious Freedom and Security, Now!",
                   "Education and Community Solidarity, Now!"):
        assert demand in texts["en"].petition_text
    summary = client.get("/api/v1/campaigns/hazara-quetta?lang=ur").get_json()
    assert summary["title"] == texts["ur"].title and summary["draft_translation"] is True
    assert summary["goal"] == 100_000 and summary["signatures"] == 0


def test_export_is_utf8_with_bom_and_formula_safe(runner, widget, campaign, tmp_path):
    widget.sign(campaign, name="=HYPERLINK(\"http://evil\")", email="a@example.org", comment="+1 -2 @SUM(A1)")
    widget.sign(campaign, name="علی رضا", email="b@example.org", region="-Quetta", ref="ally", opt_in=True)
    out = tmp_path / "signatures.csv"
    out.write_text("old")
    out.chmod(0o644)
    result = runner.invoke(args=["signatures", "export", campaign, "-o", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert out.stat().st_mode & 0o077 == 0, "personal data: readable by its owner only"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(\"http://evil\")", "علی رضا"]
    assert rows[0]["comment"] == "'+1 -2 @SUM(A1)" and rows[1]["region"] == "'-Quetta"
    assert rows[1]["ref"] == "ally" and rows[1]["state"] == "counted"
    assert "opt_in" not in rows[1], "who may be emailed comes from the subscriptions, which know about unsubscribes"
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_export_to_stdout(runner, widget, campaign):
    widget.sign(campaign, email="c@example.org")
    output = runner.invoke(args=["signatures", "export", campaign]).output
    assert output.startswith("\ufeffcreated_at,name,email") and "c@example.org" in output


def test_a_campaign_closed_by_another_process_refuses_signatures_within_the_cache_period(make_app):
    from widget_service.campaigns import close_campaign, find_campaign

    service = make_app(COUNT_CACHE_SECONDS=1)
    staff = make_app(create_schema=False)  # `flask campaigns close` runs in a process of its own
    with service.app_context():
        slug = make_campaign().slug
    client = service.test_client()
    assert client.post(f"/api/v1/campaigns/{slug}/signatures", json=signature()).status_code == 202
    with staff.app_context():
        close_campaign(find_campaign(slug))
    time.sleep(1.1)
    assert client.post(f"/api/v1/campaigns/{slug}/signatures", json=signature()).status_code == 409


def test_export_has_as_many_rows_as_the_public_count_and_names_each_state(runner, widget, campaign):
    for n in range(8):
        assert widget.sign(campaign, email=f"person{n}@example.org").status_code == 202
    assert widget.sign(campaign, email="bot@example.org", website="https://spam.example").status_code == 202  # the honeypot
    assert widget.count(campaign) == 8

    def exported(*options):
        result = runner.invoke(args=["signatures", "export", campaign, *options])
        assert result.exit_code == 0, result.output
        return list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))

    counted = exported()
    assert len(counted) == widget.count(campaign) and {r["state"] for r in counted} == {"counted"}
    assert "bot@example.org" not in {r["email"] for r in counted}
    assert [(r["email"], r["state"]) for r in exported("--state", "suspect")] == [("bot@example.org", "suspect")]
    everything = exported("--state", "all")
    assert len(everything) == 9 and {r["state"] for r in everything} == {"counted", "suspect"}
    assert exported("--state", "pending") == []
    refused = runner.invoke(args=["signatures", "export", campaign, "--state", "deleted"])
    assert refused.exit_code == 2 and "deleted" in refused.output
