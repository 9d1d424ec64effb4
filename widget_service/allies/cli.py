"""``flask partners create/list/allow-origin/rotate-stats-link/revoke-stats-link/disable/enable``.
Each change is audited, as the console's are."""
import click
from flask.cli import AppGroup
from flask_babel import force_locale

from ..console import audit
from ..errors import ValidationFailed
from ..extensions import db
from ..sharing import command_links_base, public_base
from . import partners
from .models import Partner

partners_cli = AppGroup("partners", help="Register allied organisations, their origins and their statistics links.")


def stats_link(token):
    """The statistics link, on the service's public address (``sharing.public_base``)."""
    return f"{public_base()}/partners/stats/{token}"


def _find(key):
    partner = partners.find(key)
    if partner is None:
        raise click.ClickException("no partner with that key (flask partners list shows them)")
    return partner


def _refused(error):
    return click.ClickException("; ".join(f"{field}: {message}" for field, message in error.errors.items()))


@partners_cli.command("create")
@click.argument("key")
@click.argument("name")
@click.argument("contact_email")
@click.option("--origin", "origins", multiple=True, help="An origin it embeds from, such as https://www.example.org (repeatable).")
def create_command(key, name, contact_email, origins):
    """Register a partner: KEY is its snippets' data-partner."""
    try:
        with force_locale("en"):  # the commands speak English (there is no request to ask)
            partner = partners.create(key, name, contact_email, origins)
    except ValidationFailed as error:
        raise _refused(error) from None
    audit.record("partner.create", target=partner.key, details={"origins": [o.origin for o in partner.origins]}, commit=False)
    db.session.commit()
    click.echo(f"created partner {partner.key} ({partner.name})")


@partners_cli.command("list")
def list_command():
    """Every partner: key, status, name, contact, origins, whether a statistics link is set."""
    for partner in partners.all_partners():
        link = "stats link" if partner.stats_token_hash else "no stats link"
        origins = " ".join(row.origin for row in partner.origins) or "-"
        click.echo(f"{partner.key}\t{partner.status}\t{partner.name}\t{partner.contact_email}\t{link}\t{origins}")


@partners_cli.command("allow-origin")
@click.argument("key")
@click.argument("origin")
@click.option("--remove", is_flag=True, help="Remove the origin instead.")
def allow_origin_command(key, origin, remove):
    """Add (or --remove) an origin KEY embeds the widgets from."""
    partner = _find(key)
    if remove:
        partners.remove_origin(partner, origin)
        action = "partner.origin_remove"
    else:
        try:
            with force_locale("en"):
                origin = partners.allow_origin(partner, origin)
        except ValidationFailed as error:
            raise _refused(error) from None
        action = "partner.origin_add"
    audit.record(action, target=partner.key, details={"origin": origin}, commit=False)
    db.session.commit()
    click.echo(f"{partner.key}: {' '.join(row.origin for row in partner.origins) or 'no origins'}")


@partners_cli.command("rotate-stats-link")
@click.argument("key")
def rotate_command(key):
    """Make a new private statistics link for KEY and print it; the old one stops working."""
    partner = _find(key)
    token = partners.rotate_stats_link(partner)
    command_links_base("the link is")  # outside development, asks for WIDGET_PUBLIC_URL
    link = stats_link(token)
    audit.record("partner.stats_link_rotate", target=partner.key, commit=False)
    db.session.commit()
    click.echo(f"Statistics link for {partner.key}; it is shown once, send it by a private channel:")
    click.echo(link)


@partners_cli.command("revoke-stats-link")
@click.argument("key")
def revoke_command(key):
    """Stop KEY's statistics link from working, without making a new one."""
    partner = _find(key)
    partners.revoke_stats_link(partner)
    audit.record("partner.stats_link_revoke", target=partner.key, commit=False)
    db.session.commit()
    click.echo(f"{partner.key}: statistics link revoked")


def _set_status(key, status):
    partner = _find(key)
    partners.set_status(partner, status)
    audit.record(f"partner.{'disable' if status == Partner.DISABLED else 'enable'}", target=partner.key, commit=False)
    db.session.commit()
    click.echo(f"{partner.key}: {status}")


@partners_cli.command("disable")
@click.argument("key")
def disable_command(key):
    """Disable KEY: its origins no longer count for partners-only campaigns, its link shows nothing."""
    _set_status(key, Partner.DISABLED)


@partners_cli.command("enable")
@click.argument("key")
def enable_command(key):
    """Enable KEY again."""
    _set_status(key, Partner.ACTIVE)


@partners_cli.command("policy")
@click.argument("slug")
@click.argument("policy_name", type=click.Choice(["open", "partners"]))
def policy_command(slug, policy_name):
    """Let any site embed SLUG's widgets (open), or only active partners' origins (partners)."""
    from ..campaigns import find_campaign
    from ..errors import CampaignNotFound
    from .policy import set_policy

    try:
        campaign = find_campaign(slug)
    except CampaignNotFound:
        raise click.ClickException("no campaign with that slug") from None
    set_policy(campaign, policy_name)
    audit.record("campaign.embed_policy", target=slug, details={"policy": policy_name}, commit=False)
    db.session.commit()
    click.echo(f"{slug}: embed policy {policy_name}")
