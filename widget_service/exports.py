"""CSV exports for MSP staff: streamed, UTF-8 with a byte-order mark, formula-safe."""
import csv
import io

from sqlalchemy import select

from .extensions import db
from .models import Signature

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

SIGNATURE_COLUMNS = (
    "created_at", "name", "email", "country", "region", "comment", "opt_in", "lang", "ref",
    "source_origin", "state",
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


def signature_rows(campaign_id, batch=1000):
    """Every signature of a campaign, fetched in batches so memory stays flat."""
    columns = [getattr(Signature, name) for name in SIGNATURE_COLUMNS]
    query = (
        select(*columns)
        .where(Signature.campaign_id == campaign_id)
        .order_by(Signature.id)
        .execution_options(yield_per=batch)
    )
    yield from db.session.execute(query)


def export_signatures(campaign_id):
    return csv_lines(SIGNATURE_COLUMNS, signature_rows(campaign_id))
