"""``flask stats rollup`` and ``flask stats recount``: keep the dashboard's buckets (see ``stats``)."""
from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..campaigns import find_campaign
from ..errors import WidgetError
from ..extensions import db
from ..models import Campaign
from . import stats

stats_cli = AppGroup("stats", help="Roll signatures up into the console dashboard's statistics.")
TIMES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _campaigns(slugs):
    if not slugs:
        return db.session.execute(select(Campaign.id, Campaign.slug).order_by(Campaign.slug)).all()
    found = []
    for slug in slugs:
        try:
            campaign = find_campaign(slug)
        except WidgetError:
            raise click.ClickException(f"no campaign called {slug!r}") from None
        found.append((campaign.id, campaign.slug))
    return found


def _when(moment):
    return "nothing yet" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@stats_cli.command("rollup")
@click.argument("slugs", nargs=-1)
@click.option("--settle-minutes", type=click.IntRange(min=0), default=int(stats.SETTLE.total_seconds() // 60),
              show_default=True, help="Leave an hour alone until it closed this long ago.")
def rollup_command(slugs, settle_minutes):
    """Roll up the closed hours of SLUGS (default: every campaign). Safe to run at any time and
    again; run it from cron every few minutes so dashboards only read the last hour live."""
    for campaign_id, slug in _campaigns(slugs):
        before = stats.rolled_until(campaign_id)
        after = stats.rollup(campaign_id, settle=timedelta(minutes=settle_minutes))
        change = "" if before == after else f" (was {_when(before)})"
        click.echo(f"{slug}: rolled up to {_when(after)}{change}")


@stats_cli.command("recount")
@click.argument("slug")
@click.option("--since", type=click.DateTime(TIMES), help="From this time (UTC; default: the first signature).")
@click.option("--until", type=click.DateTime(TIMES), help="To this time (UTC; default: all rolled-up hours).")
def recount_command(slug, since, until):
    """Count SLUG's rolled-up statistics again from its signatures, after signatures were
    changed or deleted by hand. Safe while people sign."""
    if since and until and since >= until:
        raise click.BadParameter("--since must come before --until", param_hint="--since")
    ((campaign_id, slug),) = _campaigns([slug])
    end = stats.recount(campaign_id, since, until)
    click.echo(f"{slug}: nothing rolled up yet" if end is None else f"{slug}: recounted up to {_when(end)}")
