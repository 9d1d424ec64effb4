"""Command-line verbs for MSP staff: ``flask campaigns``, ``signatures``, ``counts``, ``coordinators``, ``subscribers``."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from . import demo_campaign
from .campaigns import close_campaign, create_campaign, find_campaign
from .counting import count_from_sql, reconcile
from .errors import WidgetError
from .exports import export_coordinators, export_signatures, export_subscribers, output_stream
from .extensions import db
from .models import Campaign

campaigns_cli = AppGroup("campaigns", help="Create, list and close campaigns.")
signatures_cli = AppGroup("signatures", help="Read signatures (personal data: MSP staff only).")
counts_cli = AppGroup("counts", help="Check and repair the shared counts.")
coordinators_cli = AppGroup("coordinators", help="Read offers to coordinate (personal data: MSP staff only).")
subscribers_cli = AppGroup("subscribers", help="Read who asked to hear of more actions (personal data: MSP staff only).")


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
    with output_stream(output) as stream:
        for line in export_signatures(campaign.id):
            stream.write(line)


@counts_cli.command("reconcile")
@click.argument("slugs", nargs=-1)
def reconcile_command(slugs):
    """Recount SLUGS (default: every campaign) from their signatures; safe while people sign."""
    campaigns = [_find(slug) for slug in slugs] or db.session.scalars(select(Campaign).order_by(Campaign.slug)).all()
    for campaign in campaigns:
        slug = campaign.slug
        before, after = reconcile(campaign.id)
        click.echo(f"{slug}: {before} -> {after}" + ("" if before == after else f" (repaired a drift of {after - before:+d})"))


@coordinators_cli.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: standard output).")
def export_coordinators_command(slug, output):
    """Write SLUG's offers to coordinate as CSV (personal data: keep the file safe)."""
    campaign = _find(slug)
    with output_stream(output) as stream:
        for line in export_coordinators(campaign.id):
            stream.write(line)


@subscribers_cli.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: standard output).")
@click.option("--all", "include_unsubscribed", is_flag=True, help="Include those who unsubscribed (never email them).")
def export_subscribers_command(slug, output, include_unsubscribed):
    """Write SLUG's subscribers as CSV, each with the unsubscribe link every email to them must carry."""
    base_url = current_app.config["PUBLIC_URL"]
    if not base_url:
        raise click.ClickException("set WIDGET_PUBLIC_URL (such as https://widgets.example.org): the unsubscribe links are built on it")
    campaign = _find(slug)
    with output_stream(output) as stream:
        for line in export_subscribers(campaign.id, base_url, include_unsubscribed):
            stream.write(line)


def init_app(app):
    from . import attachments_cli  # noqa: F401  (adds ``campaigns attach`` and ``campaigns stats``)

    app.cli.add_command(campaigns_cli)
    app.cli.add_command(signatures_cli)
    app.cli.add_command(counts_cli)
    app.cli.add_command(coordinators_cli)
    app.cli.add_command(subscribers_cli)
