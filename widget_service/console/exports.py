"""Exports (admins): a campaign's signatures, coordinator sign-ups, subscribers or donations as
a CSV download, filtered by date (Pakistan days) and partner.

The files are the CLI's (``widget_service/exports.py``: UTF-8 with a byte-order mark, so Excel
reads Urdu; every cell that a spreadsheet would run as a formula neutralised), streamed as the
database hands rows over in batches (a server-side cursor on PostgreSQL), so a worker's memory
stays flat however many rows there are. Each export is written to the audit log, with its
filters, before its first byte leaves.
"""
from datetime import date, datetime, timedelta

from flask import Response, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..campaigns import find_campaign
from ..donations import to_major
from ..errors import CampaignNotFound
from ..exports import csv_lines, export_coordinators, export_signatures, export_subscribers
from ..extensions import db
from ..models import Coordinator, Donation, Signature, Subscription
from ..validation import clean_ref
from . import audit, bp
from .auth import role_required
from .moderation import campaign_choices
from .stats import DAY_OFFSET as LOCAL_OFFSET

KINDS = {
    "signatures": _l("Signatures"),
    "coordinators": _l("Offers to coordinate"),
    "subscribers": _l("Subscribers"),
    "donations": _l("Donations"),
}
WITH_PARTNER = ("signatures", "coordinators")  # the others are not credited to partners
SIGNATURE_STATES = {
    "counted": (_l("Counted (as in the public count)"), Signature.COUNTED_STATES),
    "suspect": (_l("Held back"), (Signature.SUSPECT,)),
    "pending": (_l("Waiting for email confirmation"), (Signature.PENDING,)),
    "all": (_l("All"), Signature.STATES),
}
SUBSCRIBERS = {
    "confirmed": (_l("Confirmed and subscribed: the mailing list"), {}),
    "unconfirmed": (_l("Not confirmed yet: to be asked to confirm, nothing else"), {"unconfirmed": True}),
    "everyone": (_l("Confirmed, unsubscribed ones too (never email those)"), {"include_unsubscribed": True}),
}
DONATION_COLUMNS = ("created_at", "currency", "amount", "interval", "stripe_object_id", "stripe_subscription_id")
CHUNK_CHARACTERS = 64 * 1024


@bp.get("/exports")
@role_required("admin")
def exports():
    return _form({"kind": "signatures", "state": "counted", "subscribers": "confirmed"}, {})


def _form(form, errors, status=200):
    return render_template(
        "console/exports.html", form=form, errors=errors, choices=campaign_choices(), kinds=KINDS,
        states=SIGNATURE_STATES, subscribers=SUBSCRIBERS, with_partner=WITH_PARTNER,
    ), status


@bp.post("/exports")
@role_required("admin")
def download():
    form = request.form
    choice, errors = parse_export(form)
    if errors:
        return _form(form, errors, 422)
    campaign, kind = choice["campaign"], choice["kind"]
    audit.record(f"export.{kind}", target=campaign.slug, details=applied_filters(choice))
    filename = f"{campaign.slug}-{kind}-{date.today():%Y%m%d}.csv"
    choice["base_url"] = current_app.config["PUBLIC_URL"] or request.url_root
    return Response(
        streamed(current_app._get_current_object(), campaign.id, choice),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def applied_filters(choice):
    """The filters the file is made with, as checked (never the form's raw text): the days,
    the partner key, and which signatures or subscribers when the kind has that choice."""
    filters = {name: choice[name].isoformat() for name in ("since", "until") if choice[name]}
    if choice["ref"]:
        filters["ref"] = choice["ref"]
    if choice["kind"] == "signatures":
        filters["state"] = choice["state"]
    if choice["kind"] == "subscribers":
        filters["subscribers"] = choice["subscribers"]
    return filters


def streamed(app, campaign_id, choice):
    """The file, read in an app context (and database session) of its own that lasts as long
    as the download: the request's own has ended by then."""
    with app.app_context():
        yield from chunked(_lines(campaign_id, choice))


def parse_export(form):
    """``({"campaign", "kind", "since", "until", "ref", ...}, errors)`` from the form."""
    errors, choice = {}, {}
    try:
        choice["campaign"] = find_campaign(form.get("campaign") or "")
    except CampaignNotFound:  # as a field error: the form is shown again
        errors["campaign"] = _l("Choose a campaign.")
    kind = form.get("kind")
    if kind not in KINDS:
        errors["kind"] = _l("Choose what to export.")
    choice["kind"] = kind
    for name in ("since", "until"):
        text = (form.get(name) or "").strip()
        choice[name] = None
        if text:
            try:
                choice[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = _l("Enter a date such as 2025-03-01, or leave it empty.")
    # The UTC bounds, worked out here so a day at the calendar's ends (0001-01-01, 9999-12-31)
    # is refused beside its field, before anything is audited or streamed.
    for name, days_after in (("since", 0), ("until", 1)):
        choice[f"{name}_utc"] = None
        if choice[name]:
            try:
                choice[f"{name}_utc"] = _utc_start(choice[name] + timedelta(days=days_after))
            except OverflowError:
                errors[name] = _l("Enter a date such as 2025-03-01, or leave it empty.")
    if choice["since"] and choice["until"] and choice["since"] > choice["until"]:
        errors["until"] = _l("The last day must not be before the first.")
    ref = (form.get("ref") or "").strip()
    choice["ref"] = None
    if ref and kind not in WITH_PARTNER:
        errors["ref"] = _l("Subscribers and donations are not credited to partners: leave this empty.")
    elif ref:
        choice["ref"], error = clean_ref(ref)
        if error or not choice["ref"]:
            errors["ref"] = _l("Enter a partner key as the snippet has it.")
    choice["state"] = form.get("state") or "counted"
    if kind == "signatures" and choice["state"] not in SIGNATURE_STATES:
        errors["state"] = _l("Choose which signatures.")
    choice["subscribers"] = form.get("subscribers") or "confirmed"
    if kind == "subscribers" and choice["subscribers"] not in SUBSCRIBERS:
        errors["subscribers"] = _l("Choose which subscribers.")
    return choice, errors


def _utc_start(day):
    """The UTC time a Pakistan day begins."""
    return datetime.combine(day, datetime.min.time()) - LOCAL_OFFSET


def _where(model, choice):
    conditions = []
    if choice["since_utc"]:
        conditions.append(model.created_at >= choice["since_utc"])
    if choice["until_utc"]:
        conditions.append(model.created_at < choice["until_utc"])
    if choice["ref"]:
        conditions.append(model.ref == choice["ref"])
    return conditions


def _lines(campaign_id, choice):
    kind = choice["kind"]
    if kind == "signatures":
        states = SIGNATURE_STATES[choice["state"]][1]
        return export_signatures(campaign_id, states, where=_where(Signature, choice))
    if kind == "coordinators":
        return export_coordinators(campaign_id, where=_where(Coordinator, choice))
    if kind == "subscribers":
        options = SUBSCRIBERS[choice["subscribers"]][1]
        return export_subscribers(campaign_id, choice["base_url"], where=_where(Subscription, choice), **options)
    return csv_lines(DONATION_COLUMNS, donation_rows(campaign_id, _where(Donation, choice)))


def donation_rows(campaign_id, where=()):
    """A campaign's recorded gifts, oldest first, amounts in the currency's units: no donor's
    data (the service has none), Stripe's ids to find each one there."""
    query = (
        select(*(getattr(Donation, name) for name in DONATION_COLUMNS))
        .where(Donation.campaign_id == campaign_id, *where)
        .order_by(Donation.id)
        .execution_options(yield_per=1000)
    )
    for row in db.session.execute(query):
        yield [row.created_at, row.currency, to_major(row.amount, row.currency), row.interval,
               row.stripe_object_id, row.stripe_subscription_id]


def chunked(lines, size=CHUNK_CHARACTERS):
    """The CSV's lines joined into pieces of about ``size`` characters: one write per piece,
    not one per row."""
    pieces, length = [], 0
    for line in lines:
        pieces.append(line)
        length += len(line)
        if length >= size:
            yield "".join(pieces)
            pieces, length = [], 0
    if pieces:
        yield "".join(pieces)
