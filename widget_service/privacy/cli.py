"""``flask retention apply``, ``flask supporters show EMAIL`` and ``flask supporters forget EMAIL``."""
import click
from flask.cli import AppGroup

from . import retention, supporters

retention_cli = AppGroup("retention", help="Erase supporters' personal data once campaigns' retention periods are over.")
supporters_cli = AppGroup("supporters", help="One supporter's data: show it (an access request) or erase it (a deletion request).")

ERASED = (("signatures", "signatures"), ("offers", "offers to coordinate"), ("subscriptions", "subscriptions"),
          ("donations", "donations"), ("mails", "outbox mails deleted"))


def _counts(counts):
    return ", ".join(f"{label} {counts[key]}" for key, label in ERASED)


@retention_cli.command("apply")
def apply_command():
    """Erase names, addresses, phone numbers, comments and regions of every campaign closed for
    longer than its retention period, keeping every count (run it daily from cron; running it
    again changes nothing)."""
    results = retention.apply()
    for result in results:
        if any(result.counts.values()):
            click.echo(f"{result.slug}: erased {_counts(result.counts)}")
        else:
            click.echo(f"{result.slug}: nothing left to erase")
    if not results:
        click.echo("no campaign is past its retention period")


def _mailbox(email):
    try:
        return supporters.mailbox(email)
    except supporters.NotAnAddress:
        raise click.ClickException("give the supporter's email address, such as name@example.org") from None


def _value(value):
    return "-" if value is None or value == "" else str(value).replace("\n", " / ")


@supporters_cli.command("show")
@click.argument("email")
def show_command(email):
    """Print everything stored about the mailbox of EMAIL (personal data: for answering that person only)."""
    address, canonical = _mailbox(email)
    found = supporters.report(address, canonical)
    click.echo(f"mailbox {canonical} (every spelling that reaches it)")
    for table, rows in found.rows.items():
        click.echo(f"\n{table}: {len(rows)}")
        for slug, fields in rows:
            click.echo(f"  campaign {slug}")
            for name, value in fields.items():
                click.echo(f"    {name}: {_value(value)}")
    click.echo(f"\ndonation: the service keeps no donor's name or address; Stripe holds them (search its dashboard for {address})")
    for place in found.elsewhere:
        click.echo(f"also in {place} (not a supporter's record: a staff account, an ally's contact, the audit log)")
    for moment in found.forgotten:
        click.echo(f"forgotten at this person's request on {moment:%Y-%m-%d %H:%M} UTC (audit log)")


@supporters_cli.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget_command(email, yes):
    """Erase the mailbox of EMAIL everywhere (signatures, offers, subscriptions, outbox mails);
    counted signatures stay counted, anonymised. Recorded in the audit log without the address."""
    address, canonical = _mailbox(email)
    if not yes:
        click.confirm(f"Erase everything stored about {canonical} in every campaign? This cannot be undone", abort=True)
    counts = supporters.forget(canonical)
    click.echo(f"erased {_counts(counts)}")
