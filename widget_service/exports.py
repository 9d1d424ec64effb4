"""CSV exports for MSP staff: streamed, UTF-8 with a byte-order mark, formula-safe."""
import csv
import io
import os
import sys
from contextlib import contextmanager

from sqlalchemy import select

from .extensions import db
from .models import Coordinator, Signature

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# No opt-in column: whether a signer may be emailed is the subscription's to say (it may have
# been unsubscribed since), so `flask subscribers export` is the only mailing list.
SIGNATURE_COLUMNS = (
    "created_at", "name", "email", "country", "region", "comment", "lang", "ref", "source_origin", "state",
)


def neutralise(value):
    """A cell value that no spreadsheet will evaluate."""
    if value is None:
        return ""
    text = value.isoformat(sep=" ", timespec="seconds") if hasattr(value, "isoformat") else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_lines(header, rows):
    """Yield CSV text a line at a time, the first one starting with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(value) for value in row])
        yield buffer.getvalue()


def signature_rows(campaign_id, states=Signature.COUNTED_STATES, batch=1000, where=()):
    """A campaign's signatures in ``states`` (and meeting the conditions ``where``), fetched in
    batches so memory stays flat."""
    columns = [getattr(Signature, name) for name in SIGNATURE_COLUMNS]
    query = (
        select(*columns)
        .where(Signature.campaign_id == campaign_id, Signature.state.in_(states), *where)
        .order_by(Signature.id)
        .execution_options(yield_per=batch)
    )
    yield from db.session.execute(query)


def export_signatures(campaign_id, states=Signature.COUNTED_STATES, where=()):
    """The CSV of a campaign's signatures in ``states``: by default the counted ones, so the
    file has as many rows as the public count; each row names its state."""
    return csv_lines(SIGNATURE_COLUMNS, signature_rows(campaign_id, states, where=where))


@contextmanager
def output_stream(path=None):
    """A text stream for an export: the file at ``path``, readable by its owner only even if
    it existed before (it holds personal data), or standard output."""
    if not path:
        yield sys.stdout
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with open(descriptor, "w", encoding="utf-8", newline="") as stream:
        yield stream


COORDINATOR_COLUMNS = (
    "created_at", "name", "email", "phone", "region", "region_name", "country", "note", "lang", "ref",
    "source_origin", "state",
)


def export_coordinators(campaign_id, where=()):
    """Every offer to coordinate a campaign (meeting the conditions ``where``), with the region's
    English name beside its code; not those waiting for their mailbox's confirmation."""
    from flask_babel import force_locale

    from .supporter_validation import PAKISTAN_REGIONS

    with force_locale("en"):  # MSP's staff read the export in English
        names = {code: str(name) for code, name in PAKISTAN_REGIONS.items()}
    query = (
        select(Coordinator).where(Coordinator.campaign_id == campaign_id, Coordinator.state != Coordinator.PENDING, *where)
        .order_by(Coordinator.id)
        .execution_options(yield_per=1000)
    )
    rows = (
        [
            row.created_at, row.name, row.email, row.phone, row.region,
            names.get(row.region, "Outside Pakistan"), row.country, row.note, row.lang, row.ref,
            row.source_origin, row.state,
        ]
        for row in db.session.scalars(query)
    )
    return csv_lines(COORDINATOR_COLUMNS, rows)


SUBSCRIBER_COLUMNS = (
    "email", "name", "lang", "source", "created_at", "subscribed_at", "confirmed_at", "unsubscribed_at",
    "unsubscribe_url", "list_unsubscribe", "confirm_url",
)


def export_subscribers(campaign_id, base_url, include_unsubscribed=False, unconfirmed=False, where=()):
    """A campaign's confirmed subscriptions (or, ``unconfirmed``, those to ask to confirm; active
    ones unless asked), each with its unsubscribe URL, the value of the ``List-Unsubscribe``
    header for emails to it (RFC 2369; send it with ``List-Unsubscribe-Post:
    List-Unsubscribe=One-Click``, RFC 8058) and its confirmation URL."""
    from .subscriptions import confirm_url, subscriptions_of, unsubscribe_url

    def rows():
        for row in subscriptions_of(campaign_id, include_unsubscribed, unconfirmed, where):
            url = unsubscribe_url(row, base_url)
            yield [
                row.email, row.name, row.lang, row.source, row.created_at, row.subscribed_at, row.confirmed_at,
                row.unsubscribed_at, url, f"<{url}>", confirm_url(row, base_url),
            ]

    return csv_lines(SUBSCRIBER_COLUMNS, rows())
