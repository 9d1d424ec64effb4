"""``flask staff ...`` (accounts) and ``flask audit tail``. Each account change is audited."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..sharing import command_links_base
from . import accounts, audit
from .models import Staff

staff_cli = AppGroup("staff", help="Create, list, disable and reset MSP staff accounts for the console.")
audit_cli = AppGroup("audit", help="Read the console's audit log.")


def setup_link(token):
    """The set-up link on the service's public address (``sharing.command_links_base``)."""
    base = command_links_base("the set-up link is")
    # The token goes in the query string, which the access log leaves out.
    return f"{base}/console/setup?token={token}"


def _find(email):
    staff = accounts.find(email)
    if staff is None:
        raise click.ClickException("no account with that email (flask staff list shows them)")
    return staff


def _print_link(staff, link):
    click.echo(f"Set-up link for {staff.email} ({staff.role}), valid for 24 hours and once:")
    click.echo(link)
    click.echo("Send it to them by a private channel. It sets a password and an authenticator app.")


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(Staff.ROLES), required=True, help="viewer: the numbers; admin: also personal data, campaigns, moderation, exports and the audit log.")
def create_command(email, role):
    """Create an account for EMAIL and print its one-time set-up link."""
    try:
        staff, token = accounts.create(email, role)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    link = setup_link(token)  # before committing: no account without a link to set it up
    audit.record("staff.create", target=staff.email, details={"role": role}, commit=False)
    db.session.commit()
    _print_link(staff, link)


@staff_cli.command("list")
def list_command():
    """List the accounts: email, role, state, last sign-in."""
    for staff in db.session.scalars(select(Staff).order_by(Staff.email)):
        last = staff.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if staff.last_sign_in_at else "never"
        click.echo(f"{staff.email}\t{staff.role}\t{staff.state}\t{last}")


@staff_cli.command("disable")
@click.argument("email")
def disable_command(email):
    """Stop EMAIL from signing in, and end its sessions now."""
    staff = _find(email)
    accounts.disable(staff)
    audit.record("staff.disable", target=staff.email, commit=False)
    db.session.commit()
    click.echo(f"disabled {staff.email}; its sessions are ended")


@staff_cli.command("reset")
@click.argument("email")
def reset_command(email):
    """Forget EMAIL's password, authenticator and recovery codes, end its sessions, and print a
    new set-up link (also re-enables a disabled account)."""
    staff = _find(email)
    link = setup_link(accounts.reset(staff))
    audit.record("staff.reset", target=staff.email, commit=False)
    db.session.commit()
    _print_link(staff, link)


@audit_cli.command("tail")
@click.option("-n", "count", type=click.IntRange(min=1, max=100_000), default=20, show_default=True, help="How many entries.")
def tail_command(count):
    """Print the last entries of the audit log, oldest first."""
    for entry in audit.tail(count):
        details = f"\t{entry.details}" if entry.details else ""
        click.echo(f"{entry.at:%Y-%m-%d %H:%M:%S}\t{entry.actor}\t{entry.action}\t{entry.target}{details}")


def init_app(app):
    from .stats_cli import stats_cli

    app.cli.add_command(staff_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(stats_cli)
