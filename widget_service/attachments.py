"""A campaign's report, campaign kit and share image: attached by MSP through the CLI, kept in
the database (so every instance serves the same bytes), and their downloads counted.

A report or kit is either uploaded (``CampaignFile``) or linked (``Campaign.report_url`` /
``kit_url``), never both: attaching one clears the other. Uploads are checked by their content,
not their name: a report is a PDF; a kit a PDF or a ZIP; an image a PNG or a JPEG.

Downloads are counted per campaign, kind and day (``DownloadCount``) and nothing else: no
address, no time of day, no row per reader.
"""
import hashlib
import io
import warnings
import zipfile
from collections import namedtuple
from datetime import datetime, timedelta, timezone
from pathlib import PurePath
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from .cache import TTLCache
from .extensions import db, insert
from .models import CampaignFile, DownloadCount

REPORT, KIT, IMAGE = CampaignFile.REPORT, CampaignFile.KIT, CampaignFile.IMAGE
LINKABLE = (REPORT, KIT)  # the image is served by us, so share previews never depend on another site

PDF, ZIP, PNG, JPEG = "application/pdf", "application/zip", "image/png", "image/jpeg"
ACCEPTED = {REPORT: (PDF,), KIT: (PDF, ZIP), IMAGE: (PNG, JPEG)}
EXTENSIONS = {PDF: ".pdf", ZIP: ".zip", PNG: ".png", JPEG: ".jpg"}
URL_MAX = 500
# What share previews (Facebook, WhatsApp, X) show well: at least 600x315, 1.91:1 give or take 5%.
IMAGE_MIN_SIZE, IMAGE_RATIO, IMAGE_RATIO_TOLERANCE = (600, 315), 1.91, 0.05
# A PNG's size is in its first bytes, a JPEG's after its metadata: usually within these.
IMAGE_HEADER_BYTES = 64 * 1024
# How long a page may go on offering what was attached (or not) before: every widget view asks,
# so the answer is kept per process rather than read from the database each time.
OFFER_CACHE_SECONDS = 30

STORED = ("kind", "filename", "content_type", "size", "sha256")
# ``width`` and ``height`` (pixels) are known for the image in ``offered_files`` only.
FileInfo = namedtuple("FileInfo", STORED + ("width", "height"), defaults=(None, None))


class AttachmentError(ValueError):
    """An upload or link MSP must fix; the message says how."""


def sniff(data):
    """The content type ``data`` really is (PDF, ZIP, PNG, JPEG), or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return ZIP
    return None


def _check_content(kind, data):
    kind_type = sniff(data)
    if kind_type not in ACCEPTED[kind]:
        wanted = " or ".join(t.split("/")[1].upper() for t in ACCEPTED[kind])
        found = kind_type.split("/")[1].upper() if kind_type else "not a file type we accept"
        article = "an" if kind == IMAGE else "a"
        raise AttachmentError(f"{article} {kind} must be a {wanted} file; this one is {found}")
    if kind_type == ZIP:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if archive.testzip() is not None:
                    raise AttachmentError("the ZIP file is damaged")
        except zipfile.BadZipFile:
            raise AttachmentError("the ZIP file is damaged") from None
    if kind == IMAGE:
        _check_image(data)
    return kind_type


def _check_image(data):
    from PIL import Image

    try:
        # A header may claim any size: past Pillow's limit (a warning up to twice it, an error
        # beyond) the image is refused before anything is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                size = image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentError(
            f"the image claims more than {Image.MAX_IMAGE_PIXELS:,} pixels, too many to read safely; "
            "a share image is about 1200x630"
        ) from None
    except Exception:  # Pillow reports a bad file in many ways (OSError, SyntaxError, EOFError...)
        raise AttachmentError("the image is damaged") from None
    width, height = size
    ratio = width / height
    if width < IMAGE_MIN_SIZE[0] or height < IMAGE_MIN_SIZE[1] or abs(ratio / IMAGE_RATIO - 1) > IMAGE_RATIO_TOLERANCE:
        raise AttachmentError(
            f"the image is {width}x{height} pixels; a share image must be at least 600x315 and 1.91 times "
            "as wide as it is tall, give or take 5% (1200x630 is best)"
        )


def _check_kind(kind):
    if kind not in CampaignFile.KINDS:
        raise AttachmentError(f"the kind is one of {', '.join(CampaignFile.KINDS)}, not {kind!r}")


def attach_file(campaign, kind, data, filename):
    """Store ``data`` as ``campaign``'s ``kind``, replacing what was there (file or link)."""
    _check_kind(kind)
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if not data:
        raise AttachmentError("the file is empty")
    if len(data) > limit:
        raise AttachmentError(f"the file is {len(data):,} bytes; the limit is {limit:,} (WIDGET_ATTACHMENT_MAX_BYTES)")
    content_type = _check_content(kind, data)
    # The name readers see when they save it: the campaign and kind, with the right extension.
    # ASCII only, so it fits a Content-Disposition header as it is.
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in PurePath(filename or kind).stem)
    stem = stem.strip("-.")[:100] or kind
    record = db.session.get(CampaignFile, (campaign.id, kind)) or CampaignFile(campaign_id=campaign.id, kind=kind)
    record.filename = stem + EXTENSIONS[content_type]
    record.content_type = content_type
    record.size = len(data)
    record.sha256 = hashlib.sha256(data).hexdigest()
    record.data = data
    record.created_at = datetime.now(timezone.utc).replace(tzinfo=None)
    db.session.add(record)
    if kind in LINKABLE:
        setattr(campaign, f"{kind}_url", None)
    db.session.commit()
    _forget(campaign.id)
    return record


def attach_url(campaign, kind, url):
    """Link ``campaign``'s report or kit to ``url`` (an https page elsewhere) instead of a file."""
    _check_kind(kind)
    if kind not in LINKABLE:
        raise AttachmentError("only a report or a kit can be a link; upload the image as a file")
    parts = urlsplit(url or "")
    # https only: a reader sent from our https page to a plain http download could be handed
    # anything by whoever sits on their network.
    if parts.scheme != "https" or not parts.hostname or len(url) > URL_MAX or any(c.isspace() for c in url):
        raise AttachmentError(f"the link must be a full https URL of at most {URL_MAX} characters")
    _delete_file(campaign, kind)
    setattr(campaign, f"{kind}_url", url)
    db.session.commit()
    _forget(campaign.id)


def remove(campaign, kind):
    """Take ``campaign``'s ``kind`` away, file or link; False when there was none."""
    _check_kind(kind)
    had = _delete_file(campaign, kind)
    if kind in LINKABLE and getattr(campaign, f"{kind}_url"):
        setattr(campaign, f"{kind}_url", None)
        had = True
    db.session.commit()
    _forget(campaign.id)
    return had


def _delete_file(campaign, kind):
    record = db.session.get(CampaignFile, (campaign.id, kind))
    if record is None:
        return False
    db.session.delete(record)
    return True


def stored_files(campaign_id):
    """``{kind: FileInfo}`` without the bytes, read now: for serving and the CLI."""
    columns = [getattr(CampaignFile, name) for name in STORED]
    rows = db.session.execute(select(*columns).where(CampaignFile.campaign_id == campaign_id))
    return {row.kind: FileInfo(*row) for row in rows}


def offered_files(campaign_id):
    """``stored_files``, up to ``OFFER_CACHE_SECONDS`` old (at once in the process that changed
    them): what pages offer and link to."""
    cache = current_app.extensions["msp_campaign_files"]
    files = cache.get(campaign_id)
    if files is None:
        files = stored_files(campaign_id)
        if IMAGE in files:  # the page declares its size
            files[IMAGE] = files[IMAGE]._replace(**_image_size(campaign_id))
        cache.set(campaign_id, files, OFFER_CACHE_SECONDS)
    return files


def _image_size(campaign_id):
    """``{"width", "height"}`` of the stored image, read by Pillow from its first bytes (or, when
    its size comes later, all of them); empty if it cannot be read."""
    from PIL import Image

    for column in (func.substr(CampaignFile.data, 1, IMAGE_HEADER_BYTES), CampaignFile.data):
        header = db.session.scalar(
            select(column).where(CampaignFile.campaign_id == campaign_id, CampaignFile.kind == IMAGE)
        )
        if header is None:  # removed since we looked
            return {}
        try:
            with Image.open(io.BytesIO(header)) as image:
                return dict(zip(("width", "height"), image.size))
        except Exception:  # truncated before the size: read it all
            if len(header) < IMAGE_HEADER_BYTES:
                return {}
    return {}


def _forget(campaign_id):
    current_app.extensions["msp_campaign_files"].pop(campaign_id)


def init_app(app):
    app.extensions["msp_campaign_files"] = TTLCache()


def available(campaign):
    """``{kind: "file" | "link"}`` for the report and kit this campaign offers."""
    files = offered_files(campaign.id)
    offered = {}
    for kind in LINKABLE:
        if kind in files:
            offered[kind] = "file"
        elif getattr(campaign, f"{kind}_url"):
            offered[kind] = "link"
    return offered


def file_with_data(campaign_id, kind):
    return db.session.scalar(
        select(CampaignFile)
        .where(CampaignFile.campaign_id == campaign_id, CampaignFile.kind == kind)
        .options(db.undefer(CampaignFile.data))
    )


def today():
    return datetime.now(timezone.utc).date()


def count_download(campaign_id, kind):
    """Add one download, in its own transaction. One upsert: concurrent readers on PostgreSQL
    each add to the row atomically (or create it, once); SQLite's write lock serialises them."""
    statement = insert(DownloadCount).values(campaign_id=campaign_id, kind=kind, day=today(), count=1)
    statement = statement.on_conflict_do_update(
        index_elements=[DownloadCount.campaign_id, DownloadCount.kind, DownloadCount.day],
        set_={"count": DownloadCount.count + 1},
    )
    db.session.execute(statement)
    db.session.commit()


def download_totals(campaign_id, days=None):
    """``{kind: total}``, over the last ``days`` days (today included) or all time."""
    query = select(DownloadCount.kind, func.sum(DownloadCount.count)).where(DownloadCount.campaign_id == campaign_id)
    if days:
        query = query.where(DownloadCount.day > today() - timedelta(days=days))
    return {kind: int(total) for kind, total in db.session.execute(query.group_by(DownloadCount.kind))}


def downloads_by_day(campaign_id, days):
    """``[(day, kind, count)]`` for the last ``days`` days, newest first."""
    query = (
        select(DownloadCount.day, DownloadCount.kind, DownloadCount.count)
        .where(DownloadCount.campaign_id == campaign_id, DownloadCount.day > today() - timedelta(days=days))
        .order_by(DownloadCount.day.desc(), DownloadCount.kind)
    )
    return [tuple(row) for row in db.session.execute(query)]
