"""Command-line verbs for MSP staff: ``flask campaigns`` (donation settings and the retention
period too), ``signatures``, ``counts``, ``coordinators``, ``subscribers``; ``retention`` and
``supporters`` come from ``privacy/cli.py``."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from . import demo_campaign
from .campaigns import RETENTION_MAX_DAYS, change_campaign, close_campaign, create_campaign, find_campaign
from .campaigns import retention_days as retention_period
from .counting import count_from_sql, reconcile
from .donations import CURRENCIES, change_donate_settings, format_money, parse_amount, raised
from .errors import WidgetError
from .exports import export_coordinators, export_signatures, export_subscribers, output_stream
from .extensions import db
from .models import Campaign, Signature
from .sharing import command_links_base

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
@click.option("--confirm-signatures/--no-confirm-signatures", default=None,
              help="Count a signature only once its signer confirms it from a mail (default: WIDGET_CONFIRM_SIGNATURES).")
@click.option("--retention-days", type=click.IntRange(min=0, max=RETENTION_MAX_DAYS),
              help="Erase its supporters' personal data this many days after it closes (default: WIDGET_RETENTION_DAYS).")
@click.option("--default-retention", is_flag=True, help="Go back to WIDGET_RETENTION_DAYS.")
def set_command(slug, captcha, goal, confirm_signatures, retention_days, default_retention):
    """Change SLUG's goal or switches."""
    campaign = _find(slug)
    if retention_days is not None and default_retention:
        raise click.UsageError("give --retention-days or --default-retention, not both")
    switches = {name: value for name, value in (("captcha", captcha), ("confirm_signatures", confirm_signatures),
                                                 ("retention_days", retention_days)) if value is not None}
    if default_retention:
        switches["retention_days"] = None
    change_campaign(campaign, goal=goal, **switches)
    db.session.commit()
    confirming = campaign.setting("confirm_signatures", current_app.config["CONFIRM_SIGNATURES"])
    click.echo(f"{slug}: goal {campaign.goal}, captcha {'on' if campaign.setting('captcha', True) else 'off'}, "
               f"confirm signatures {'on' if confirming else 'off'}, "
               f"personal data erased {retention_period(campaign)} days after it closes")


def _amounts(pairs, option, many=False):
    """``("USD=500", "PKR=1000")`` -> ``{"USD": 50000, ...}`` in minor units (lists with ``many``)."""
    result = {}
    for pair in pairs:
        code, _, text = pair.partition("=")
        code = code.strip().upper()
        if code not in CURRENCIES:
            raise click.BadParameter(f"{pair!r}: use CURRENCY=AMOUNT with one of {', '.join(CURRENCIES)}", param_hint=option)
        amounts = [parse_amount(part, CURRENCIES[code]) for part in (text.split(",") if many else [text])]
        if not text or None in amounts:
            raise click.BadParameter(f"{pair!r}: amounts in {code}, such as {code}=25" + (",50,100" if many else ""), param_hint=option)
        result[code] = amounts if many else amounts[0]
    return result


@campaigns_cli.command("donations")
@click.argument("slug")
@click.option("--goal", "goals", multiple=True, metavar="CUR=AMOUNT", help="A goal in one currency, e.g. PKR=5000000 (0 removes it); repeat per currency.")
@click.option("--presets", multiple=True, metavar="CUR=A,B,C", help="The preset amounts in one currency, e.g. USD=10,25,50,100.")
@click.option("--currencies", help="The currencies offered, in order, e.g. PKR,USD,GBP (default: all six).")
@click.option("--default-currency", help="The currency the widget opens with.")
@click.option("--monthly/--no-monthly", default=None, help="Offer monthly gifts.")
@click.option("--external-url", help="MSP's own donation page, shown without Stripe ('' removes it).")
@click.option("--bank-en", help="Bank-transfer details for donors in Pakistan, in English (\\n for a new line).")
@click.option("--bank-ur", help="The same in Urdu.")
def donations_command(slug, goals, presets, currencies, default_currency, monthly, external_url, bank_en, bank_ur):
    """Show or change SLUG's donation settings, and what it has raised."""
    campaign = _find(slug)
    bank = {lang: text for lang, text in (("en", bank_en), ("ur", bank_ur)) if text is not None}
    try:
        settings = change_donate_settings(
            campaign,
            goals=_amounts(goals, "--goal"),
            presets=_amounts(presets, "--presets", many=True),
            currencies=[c.strip().upper() for c in currencies.split(",") if c.strip()] if currencies else None,
            default_currency=default_currency.upper() if default_currency else None,
            monthly=monthly,
            external_url=external_url,
            bank=bank,
        )
    except WidgetError as error:
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in error.errors.items())) from None
    totals = raised(campaign.id)
    click.echo(f"{slug}: currencies {','.join(settings.currencies)} (default {settings.default_currency}), "
               f"monthly {'on' if settings.monthly else 'off'}")
    for code in settings.currencies:
        presets_text = ", ".join(format_money(a, code, "en") for a in settings.presets_for(code))
        goal = settings.goals.get(code)
        click.echo(f"  {code}: raised {format_money(totals.get(code, 0), code, 'en')}"
                   f"{' of ' + format_money(goal, code, 'en') if goal else ''}; presets {presets_text}")
    click.echo(f"  external page: {settings.external_url or '-'}")
    for lang in ("en", "ur"):
        click.echo(f"  bank details ({lang}): {'set' if settings.bank.get(lang) else '-'}")


@campaigns_cli.command("seed-demo")
def seed_demo_command():
    """Create the demo campaign from MSP's text, or leave it as it is."""
    existing = db.session.scalar(select(Campaign).where(Campaign.slug == demo_campaign.SLUG))
    if existing is not None:
        if existing.setting("donate") is None:  # seeded before donations existed
            change_donate_settings(existing, **demo_campaign.DONATE)
            click.echo(f"{demo_campaign.SLUG} exists already; added the demo donation settings")
            return
        click.echo(f"{demo_campaign.SLUG} exists already; left as it is")
        return
    campaign = create_campaign(demo_campaign.SLUG, demo_campaign.GOAL, demo_campaign.TEXTS)
    change_donate_settings(campaign, **demo_campaign.DONATE)
    click.echo(f"created {demo_campaign.SLUG}")


# ``--state`` of ``flask signatures export``: the counted ones by default, as many as the public count.
EXPORT_STATES = {
    "counted": Signature.COUNTED_STATES,
    Signature.PENDING: (Signature.PENDING,),
    Signature.SUSPECT: (Signature.SUSPECT,),
    "all": Signature.STATES,
}


@signatures_cli.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: standard output).")
@click.option("--state", type=click.Choice(tuple(EXPORT_STATES)), default="counted", show_default=True,
              help="counted: those in the public count; pending: awaiting confirmation; suspect: caught by a bot trap, never counted; all.")
def export_command(slug, output, state):
    """Write SLUG's signatures as CSV, each with its state (personal data: keep the file safe)."""
    campaign = _find(slug)
    with output_stream(output) as stream:
        for line in export_signatures(campaign.id, EXPORT_STATES[state]):
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
@click.option("--unconfirmed", is_flag=True, help="Those still to confirm: send them only the email asking to confirm.")
def export_subscribers_command(slug, output, include_unsubscribed, unconfirmed):
    """Write SLUG's confirmed subscribers as CSV, each with the unsubscribe link every email to them must carry."""
    base_url = command_links_base("the unsubscribe links are")
    campaign = _find(slug)
    with output_stream(output) as stream:
        for line in export_subscribers(campaign.id, base_url, include_unsubscribed, unconfirmed):
            stream.write(line)


def init_app(app):
    from . import attachments_cli  # noqa: F401  (adds ``campaigns attach`` and ``campaigns stats``)

    app.cli.add_command(campaigns_cli)
    app.cli.add_command(signatures_cli)
    app.cli.add_command(counts_cli)
    app.cli.add_command(coordinators_cli)
    app.cli.add_command(subscribers_cli)
