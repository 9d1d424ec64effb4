"""``flask campaigns attach`` and ``flask campaigns stats``: a campaign's report, kit and share
image, and how often they were downloaded."""
import os

import click
from flask import current_app

from . import attachments
from .cli import _find, campaigns_cli
from .counting import count_from_sql
from .models import CampaignFile


@campaigns_cli.command("attach")
@click.argument("slug")
@click.argument("kind", type=click.Choice(CampaignFile.KINDS))
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--url", help="Link the report or kit to this address instead of storing a file.")
@click.option("--remove", is_flag=True, help="Take the file or link away.")
def attach_command(slug, kind, file, url, remove):
    """Give SLUG its report (PDF), kit (PDF or ZIP) or share image (PNG or JPEG, 1.91:1, 1200x630 best)."""
    if sum(bool(x) for x in (file, url, remove)) != 1:
        raise click.UsageError("give exactly one of FILE, --url URL or --remove")
    campaign = _find(slug)
    try:
        if remove:
            had = attachments.remove(campaign, kind)
            click.echo(f"{slug}: {kind} removed" if had else f"{slug}: had no {kind}")
        elif url:
            attachments.attach_url(campaign, kind, url)
            click.echo(f"{slug}: {kind} links to {url}")
        else:
            limit = current_app.config["ATTACHMENT_MAX_BYTES"]
            size = os.path.getsize(file)
            if size > limit:  # refused before it is read into memory
                raise attachments.AttachmentError(
                    f"the file is {size:,} bytes; the limit is {limit:,} (WIDGET_ATTACHMENT_MAX_BYTES)"
                )
            with open(file, "rb") as handle:
                data = handle.read(limit + 1)
            record = attachments.attach_file(campaign, kind, data, os.path.basename(file))
            click.echo(f"{slug}: {kind} stored as {record.filename} ({record.content_type}, {record.size:,} bytes)")
    except attachments.AttachmentError as error:
        raise click.ClickException(f"{slug}: {kind} not attached: {error}") from None


@campaigns_cli.command("stats")
@click.argument("slug")
@click.option("--days", type=click.IntRange(min=1), default=14, show_default=True, help="Days to list one by one.")
def stats_command(slug, days):
    """SLUG's count, what it offers, and downloads of its report and kit (totals, then per day)."""
    campaign = _find(slug)
    files = attachments.stored_files(campaign.id)
    click.echo(f"{slug}: {count_from_sql(campaign.id)} signatures, goal {campaign.goal}")
    for kind in CampaignFile.KINDS:
        if kind in files:
            record = files[kind]
            click.echo(f"{kind}: file {record.filename} ({record.content_type}, {record.size:,} bytes)")
        elif getattr(campaign, f"{kind}_url", None):
            click.echo(f"{kind}: link {getattr(campaign, f'{kind}_url')}")
        else:
            click.echo(f"{kind}: none" + (" (a generated card is shown)" if kind == CampaignFile.IMAGE else ""))
    totals = attachments.download_totals(campaign.id)
    click.echo("downloads, all time: " + ", ".join(f"{kind} {totals.get(kind, 0)}" for kind in attachments.LINKABLE))
    for day, kind, count in attachments.downloads_by_day(campaign.id, days):
        click.echo(f"{day.isoformat()}\t{kind}\t{count}")
