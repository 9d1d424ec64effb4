"""Signatures confirmed, disowned or expired after their hour was rolled up: the console's
figures and the partner's statistics page follow them (``events.signatures_changed``), and
agree with the public count."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.allies.conftest import make_partner, stats_link  # noqa: F401  (fixtures used here)
from tests.mail.conftest import links, path_of, smtp, work  # noqa: F401  (smtp: a fixture)

from widget_service.extensions import db
from widget_service.models import Signature

from .test_stats import figures, rollup


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_URL=smtp.url, MAIL_FROM="MSP <campaigns@msp.example>", CONFIRM_SIGNATURES=True,
                    COUNT_CACHE_SECONDS=0, PENDING_EXPIRY_DAYS=7)


def sign_back_then(app, widget, slug, email, days):
    """Sign as a partner's supporter, then move the signature ``days`` back."""
    assert widget.sign(slug, email=email, ref="quetta-net").status_code == 202
    with app.app_context():
        row = db.session.scalar(select(Signature).where(Signature.email == email))
        row.created_at -= timedelta(days=days)
        db.session.commit()


def link(message, kind):
    return path_of(next(url for url in links(message) if f"/supporters/{kind}/" in url))


def agree(app, widget, client, slug, path, pending):
    """The dashboard's rolled-up figures and the partner's page say what the public count says."""
    public = widget.count(slug)
    result = figures(app, slug)
    assert sum(n for _, n in result.daily) == public
    assert result.breakdowns["ref"].total == public and result.breakdowns["ref"].rows.get("quetta-net", (0,))[0] == public
    assert result.held_back["pending"] == pending
    html = client.get(path).get_data(as_text=True)
    # The campaign's first total is its signatures; a campaign the partner brought nothing to is left out.
    shown = re.search(rf"\({slug}\)</span></h2>\s*<dl class=\"totals\">\s*<dt>[^<]*</dt><dd>(\d+)</dd>", html)
    assert (int(shown.group(1)) if shown else 0) == public


def test_late_confirmations_disowning_and_expiry_reach_the_dashboard_and_the_partner(
        app, widget, client, runner, smtp, campaign, make_partner, stats_link):
    make_partner("quetta-net")
    path = stats_link("quetta-net")
    sign_back_then(app, widget, campaign, "early@example.org", days=2)
    sign_back_then(app, widget, campaign, "other@example.org", days=2)
    sign_back_then(app, widget, campaign, "late@example.org", days=8)
    rollup(runner, campaign)
    work(runner)
    mails = {mail["To"]: mail for mail in smtp.wait_for(3)}
    agree(app, widget, client, campaign, path, pending=3)

    assert client.post(link(mails["early@example.org"], "confirm")).status_code == 200
    rollup(runner, campaign)
    assert widget.count(campaign) == 1
    agree(app, widget, client, campaign, path, pending=2)

    assert b"deleted" in client.post(link(mails["other@example.org"], "not-me")).data
    agree(app, widget, client, campaign, path, pending=1)

    assert "pending signatures deleted: 1" in runner.invoke(args=["mail", "expire"]).output
    agree(app, widget, client, campaign, path, pending=0)
