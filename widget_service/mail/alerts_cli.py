"""``flask alerts``: write an action alert, preview it, test it, send it, watch and pause it."""
import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from ..console import audit
from ..extensions import db
from ..models import Campaign
from . import alerts, messages
from .models import Alert

alerts_cli = AppGroup("alerts", help="Action alerts to a campaign's confirmed subscribers.")

TEXT_FILE = click.File("r", encoding="utf-8")


def _refused(function, *args, **kwargs):
    """Run a verb; its refusal is the command's one-line error (exit 1), nothing changed."""
    try:
        return function(*args, **kwargs)
    except alerts.AlertError as error:
        raise click.ClickException(str(error)) from None


def _alert(alert_id):
    return _refused(alerts.get, alert_id)


def _audit(action, alert, **details):
    """In the console's audit log, like the console's own actions (no address: the test's is not kept)."""
    audit.record(f"alert.{action}", target=alert.campaign.slug, details={"alert": alert.id, **details})


def _read(file):
    return file.read() if file is not None else None


def text_options(required):
    def decorate(command):
        for lang, name in (("ur", "Urdu"), ("en", "English")):
            command = click.option(f"--text-{lang}", type=TEXT_FILE, required=required,
                                   help=f"A file holding the {name} text (- reads standard input).")(command)
            command = click.option(f"--subject-{lang}", required=required, help=f"The {name} subject.")(command)
        return command
    return decorate


@alerts_cli.command("create")
@click.argument("slug")
@text_options(required=True)
def create_command(slug, subject_en, text_en, subject_ur, text_ur):
    """Write a draft alert for campaign SLUG's subscribers."""
    alert = _refused(alerts.create, slug, subject_en=subject_en, text_en=_read(text_en),
                     subject_ur=subject_ur, text_ur=_read(text_ur))
    _audit("create", alert)
    click.echo(f"alert {alert.id} written (draft). Next: flask alerts preview {alert.id}; "
               f"flask alerts test {alert.id} --to ADDRESS; flask alerts send {alert.id}")


@alerts_cli.command("edit")
@click.argument("alert_id", type=int)
@text_options(required=False)
def edit_command(alert_id, subject_en, text_en, subject_ur, text_ur):
    """Change a draft's subjects or texts (then test it again)."""
    alert = _alert(alert_id)
    _refused(alerts.edit, alert, subject_en=subject_en, text_en=_read(text_en), subject_ur=subject_ur, text_ur=_read(text_ur))
    _audit("edit", alert)
    click.echo(f"alert {alert.id} changed: test it again before sending (flask alerts test {alert.id} --to ADDRESS)")


@alerts_cli.command("preview")
@click.argument("alert_id", type=int)
@click.option("--lang", type=click.Choice(alerts.LANGUAGES), multiple=True, help="Only this language (default: both).")
@click.option("--html", is_flag=True, help="Print the HTML part instead of the plain text.")
def preview_command(alert_id, lang, html):
    """Print the alert as a subscriber will read it."""
    alert = _alert(alert_id)
    for code in lang or alerts.LANGUAGES:
        with force_locale(code):
            draft = alerts.preview(alert, code)
            click.echo(f"--- {alerts.LANGUAGE_NAMES[code]} ---")
            click.echo(f"Subject: {draft.subject}\n")
            click.echo(messages.render_body(draft, code, "html" if html else "txt"))


@alerts_cli.command("test")
@click.argument("alert_id", type=int)
@click.option("--to", "address", required=True, help="The address the test goes to.")
@click.option("--lang", type=click.Choice(alerts.LANGUAGES), multiple=True, help="Only this language (default: both).")
def test_command(alert_id, address, lang):
    """Queue a test of the alert (one mail per language) to one address."""
    alert = _alert(alert_id)
    _refused(alerts.test, alert, address, lang or alerts.LANGUAGES)
    _audit("test", alert, languages=list(lang or alerts.LANGUAGES))
    click.echo(f"test of alert {alert.id} queued; once it is delivered (flask mail work), flask alerts send {alert.id}")


@alerts_cli.command("send")
@click.argument("alert_id", type=int)
def send_command(alert_id):
    """Send the alert to every confirmed subscriber of its campaign (the workers do, throttled)."""
    alert = _alert(alert_id)
    _refused(alerts.send, alert)
    total = alerts.progress(alert)["total"]
    _audit("send", alert, subscribers=total)
    click.echo(f"alert {alert.id} is being sent to {total} subscribers by the mail workers; "
               f"flask alerts show {alert.id} for progress, flask alerts pause {alert.id} to stop")


@alerts_cli.command("pause")
@click.argument("alert_id", type=int)
def pause_command(alert_id):
    """Stop sending the alert (its mails wait, nobody is dropped); resume continues."""
    alert = _alert(alert_id)
    _refused(alerts.pause, alert)
    _audit("pause", alert)
    click.echo(f"alert {alert.id} paused")


@alerts_cli.command("resume")
@click.argument("alert_id", type=int)
def resume_command(alert_id):
    """Go on sending a paused alert."""
    alert = _alert(alert_id)
    _refused(alerts.resume, alert)
    _audit("resume", alert)
    click.echo(f"alert {alert.id} resumed")


@alerts_cli.command("list")
@click.option("--campaign", "slug", help="Only this campaign's alerts.")
def list_command(slug):
    """The alerts, newest first: id, campaign, state, English subject."""
    query = select(Alert, Campaign.slug).join(Campaign).order_by(Alert.id.desc())
    if slug:
        query = query.where(Campaign.slug == slug)
    for alert, campaign in db.session.execute(query):
        click.echo(f"{alert.id}\t{campaign}\t{alert.state}\t{alert.subject_en}")


@alerts_cli.command("show")
@click.argument("alert_id", type=int)
def show_command(alert_id):
    """An alert's state and progress: queued, sent and failed of its total."""
    alert = _alert(alert_id)
    counts = alerts.progress(alert)
    tested = "yes" if alert.tested_digest == alerts.digest(alert) else "no (flask alerts test)"
    click.echo(f"alert {alert.id}\t{alert.campaign.slug}\t{alert.state}\ttested: {tested}")
    click.echo(f"subject (en)\t{alert.subject_en}\nsubject (ur)\t{alert.subject_ur}")
    click.echo(f"total\t{counts['total']}")
    for name, meaning in (("waiting", "not queued yet"), ("queued", "in the outbox"), ("sent", ""), ("failed", ""),
                          ("cancelled", "unsubscribed meanwhile"), ("limited", "not queued: the address had its mails for the day"),
                          ("expired", "done; their outbox rows are purged")):
        if counts[name] or name in ("waiting", "queued", "sent", "failed"):
            click.echo(f"{name}\t{counts[name]}" + (f"\t({meaning})" if meaning else ""))
