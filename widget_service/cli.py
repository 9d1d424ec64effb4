"""Command-line verbs for MSP staff: ``flask campaigns ...`` and ``flask signatures ...``."""
import os
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from . import demo_campaign
from .campaigns import close_campaign, create_campaign, find_campaign
from .counting import count_from_sql, reconcile
from .errors import WidgetError
from .exports import export_signatures
from .extensions import db
from .models import Campaign

campaigns_cli = AppGroup("campaigns", help="Create, list and close campaigns.")
signatures_cli = AppGroup("signatures", help="Read signatures (personal data: MSP staff only).")
counts_cli = AppGroup("counts", help="Check and repair the shared counts.")


def _find(slug):
    try:
        return find_campaign(slug)
    except WidgetError:
        raise click.ClickException(f"no campaign called {slug!r}") from None


@campaigns_cli.command("create")
@click.argument("slug")
@click.option("--title", required=True, help="English title.")
@click.option("--summary", default="", help="English summary.")
@click.option("--text", "petition_text", default="", help="English petition text.")
@click.option("--goal", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--title-ur", help="Urdu title (adds an Urdu version).")
@click.option("--summary-ur", default="")
@click.option("--text-ur", "petition_text_ur", default="")
@click.option("--ur-draft/--ur-reviewed", default=True, show_default=True, help="Mark the Urdu texts as a draft translation.")
def create_command(slug, title, summary, petition_text, goal, title_ur, summary_ur, petition_text_ur, ur_draft):
    """Create the campaign SLUG."""
    texts = {"en": {"title": title, "summary": summary, "petition_text": petition_text}}
    if title_ur:
        texts["ur"] = {"title": title_ur, "summary": summary_ur, "petition_text": petition_text_ur, "is_draft": ur_draft}
    try:
        create_campaign(slug, goal, texts)
    except WidgetError as error:
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in error.errors.items())) from None
    click.echo(f"created {slug}")


@campaigns_cli.command("list")
def list_command():
    """List campaigns with their status, languages and count."""
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.slug)):
        status = "open" if campaign.is_open() else "closed"
        click.echo(
            f"{campaign.slug}\t{status}\t{','.join(campaign.languages)}\t"
            f"{count_from_sql(campaign.id)}/{campaign.goal}\t{campaign.text('en').title}"
        )


@campaigns_cli.command("close")
@click.argument("slug")
def close_command(slug):
    """Stop SLUG taking signatures."""
    close_campaign(_find(slug))
    click.echo(f"closed {slug}")


@campaigns_cli.command("set")
@click.argument("slug")
@click.option("--captcha/--no-captcha", default=None, help="Ask for hCaptcha on this campaign's forms (when keys are set).")
@click.option("--goal", type=click.IntRange(min=0), help="A new goal.")
def set_command(slug, captcha, goal):
    """Change SLUG's goal or switches."""
    campaign = _find(slug)
    if captcha is not None:
        campaign.settings = {**(campaign.settings or {}), "captcha": captcha}
    if goal is not None:
        campaign.goal = goal
    db.session.commit()
    click.echo(f"{slug}: goal {campaign.goal}, captcha {'on' if campaign.setting('captcha', True) else 'off'}")


@campaigns_cli.command("seed-demo")
def seed_demo_command():
    """Create the demo campaign from MSP's text, or leave it as it is."""
    exists = db.session.scalar(select(Campaign.id).where(Campaign.slug == demo_campaign.SLUG))
    if exists is not None:
        click.echo(f"{demo_campaign.SLUG} exists already; left as it is")
        return
    create_campaign(demo_campaign.SLUG, demo_campaign.GOAL, demo_campaign.TEXTS)
    click.echo(f"created {demo_campaign.SLUG}")


@signatures_cli.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: standard output).")
def export_command(slug, output):
    """Write SLUG's signatures as CSV (personal data: keep the file safe)."""
    campaign = _find(slug)
    # Personal data: the file is readable by its owner only, even if it existed before.
    if output:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        stream = open(descriptor, "w", encoding="utf-8", newline="")
    else:
        stream = sys.stdout
    try:
        for line in export_signatures(campaign.id):
            stream.write(line)
    finally:
        if output:
            stream.close()


@counts_cli.command("reconcile")
@click.argument("slugs", nargs=-1)
def reconcile_command(slugs):
    """Recount SLUGS (default: every campaign) from their signatures; safe while people sign."""
    campaigns = [_find(slug) for slug in slugs] or db.session.scalars(select(Campaign).order_by(Campaign.slug)).all()
    for campaign in campaigns:
        slug = campaign.slug
        before, after = reconcile(campaign.id)
        click.echo(f"{slug}: {before} -> {after}" + ("" if before == after else f" (repaired a drift of {after - before:+d})"))


def init_app(app):
    from . import attachments_cli  # noqa: F401  (adds ``campaigns attach`` and ``campaigns stats``)

    app.cli.add_command(campaigns_cli)
    app.cli.add_command(signatures_cli)
    app.cli.add_command(counts_cli)
