"""The report, the campaign kit and the share image: attached with ``flask campaigns attach``,
stored in the database, served at /c/<slug>/report|kit, their downloads counted per day."""
import io
import struct
import threading
import zipfile
import zlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from widget_service.attachments import today
from widget_service.extensions import db
from widget_service.models import Campaign, CampaignFile, DownloadCount

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def zip_bytes():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        # Fixed times, so two calls give the same bytes.
        archive.writestr(zipfile.ZipInfo("letters/letter-to-mna.txt", (2026, 1, 1, 0, 0, 0)), "Dear MNA,\n")
        archive.writestr(zipfile.ZipInfo("lobbying.txt", (2026, 1, 1, 0, 0, 0)), "How to lobby locally.\n")
    return out.getvalue()


def png_bytes(size=(1200, 630), kind="PNG"):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind)
    return out.getvalue()


def png_claiming(width, height):
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no pixel data."""
    def chunk(name, data):
        return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.fixture
def write(tmp_path):
    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write


def attach(runner, *args):
    return runner.invoke(args=["campaigns", "attach", *args])


def stored(app, campaign):
    with app.app_context():
        rows = db.session.scalars(
            select(CampaignFile).join(Campaign).where(Campaign.slug == campaign).order_by(CampaignFile.kind)
        ).all()
        return {row.kind: (row.content_type, row.size, row.filename) for row in rows}


def downloads(app, campaign, kind):
    with app.app_context():
        return db.session.scalar(
            select(func.coalesce(func.sum(DownloadCount.count), 0))
            .join(Campaign)
            .where(Campaign.slug == campaign, DownloadCount.kind == kind)
        )


def test_an_attached_report_is_served_inline_as_a_pdf_and_counted(app, client, runner, campaign, write):
    result = attach(runner, campaign, "report", write("Hazara Report 2026.pdf", PDF))
    assert result.exit_code == 0, result.output
    assert "report stored as Hazara-Report-2026.pdf" in result.output

    response = client.get(f"/c/{campaign}/report")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="Hazara-Report-2026.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    assert downloads(app, campaign, "report") == 1

    again = client.get(f"/c/{campaign}/report", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.head(f"/c/{campaign}/report").status_code == 200
    assert downloads(app, campaign, "report") == 1, "a revalidation or a HEAD is not a download"
    client.get(f"/c/{campaign}/report")
    assert downloads(app, campaign, "report") == 2


@pytest.mark.parametrize(("name", "data", "content_type"), [("kit.zip", zip_bytes(), "application/zip"), ("kit.pdf", PDF, "application/pdf")])
def test_a_kit_is_a_zip_or_a_pdf_and_is_downloaded_as_an_attachment(app, client, runner, campaign, write, name, data, content_type):
    assert attach(runner, campaign, "kit", write(name, data)).exit_code == 0
    response = client.get(f"/c/{campaign}/kit?lang=ur")
    assert response.status_code == 200 and response.data == data and response.mimetype == content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert downloads(app, campaign, "kit") == 1 and downloads(app, campaign, "report") == 0


def test_a_linked_report_redirects_and_still_counts(app, client, runner, campaign, write):
    result = attach(runner, campaign, "report", "--url", "https://example.org/hazara-report.pdf")
    assert result.exit_code == 0, result.output
    response = client.get(f"/c/{campaign}/report")
    assert response.status_code == 302 and response.headers["Location"] == "https://example.org/hazara-report.pdf"
    assert downloads(app, campaign, "report") == 1
    # A file replaces the link, and a link the file.
    assert attach(runner, campaign, "report", write("r.pdf", PDF)).exit_code == 0
    assert client.get(f"/c/{campaign}/report").status_code == 200
    assert attach(runner, campaign, "report", "--url", "https://example.org/v2.pdf").exit_code == 0
    assert stored(app, campaign) == {}
    assert client.get(f"/c/{campaign}/report").headers["Location"] == "https://example.org/v2.pdf"


def test_remove_takes_a_file_or_a_link_away(app, client, runner, campaign, write):
    attach(runner, campaign, "kit", write("kit.zip", zip_bytes()))
    attach(runner, campaign, "report", "--url", "https://example.org/r.pdf")
    for kind in ("kit", "report"):
        result = attach(runner, campaign, kind, "--remove")
        assert result.exit_code == 0 and f"{kind} removed" in result.output
        assert client.get(f"/c/{campaign}/{kind}").status_code == 404
    assert "had no kit" in attach(runner, campaign, "kit", "--remove").output
    assert stored(app, campaign) == {}


def test_nothing_attached_is_a_404_page_and_counts_nothing(app, client, campaign):
    for kind in ("report", "kit"):
        response = client.get(f"/c/{campaign}/{kind}")
        assert response.status_code == 404 and response.mimetype == "text/html"
    assert client.get("/c/no-such-campaign/report").status_code == 404
    assert client.get(f"/c/{campaign}/other").status_code == 404
    assert downloads(app, campaign, "report") == downloads(app, campaign, "kit") == 0


@pytest.mark.parametrize(
    ("kind", "name", "data", "message"),
    [
        ("report", "report.pdf", b"<html>not a pdf</html>", "a report must be a PDF file; this one is not a file type we accept"),
        ("report", "report.pdf", PNG_MAGIC + b"\0" * 64, "a report must be a PDF file; this one is PNG"),
        ("report", "report.zip", zip_bytes(), "a report must be a PDF file; this one is ZIP"),
        ("kit", "kit.zip", b"MZ\x90\x00 an executable", "a kit must be a PDF or ZIP file"),
        ("kit", "kit.zip", b"PK\x03\x04 truncated", "the ZIP file is damaged"),
        ("image", "card.png", PDF, "an image must be a PNG or JPEG file; this one is PDF"),
        ("image", "card.png", PNG_MAGIC + b"garbage" * 10, "the image is damaged"),
        ("report", "empty.pdf", b"", "the file is empty"),
    ],
)
def test_a_file_whose_content_does_not_match_its_kind_is_refused(app, client, runner, campaign, write, kind, name, data, message):
    result = attach(runner, campaign, kind, write(name, data))
    assert result.exit_code == 1
    assert message in result.output and "not attached" in result.output
    assert stored(app, campaign) == {}
    if kind != "image":
        assert client.get(f"/c/{campaign}/{kind}").status_code == 404


@pytest.mark.parametrize("size", [(300, 300), (598, 314), (1200, 900), (1200, 500), (1200, 570)])
def test_a_share_image_too_small_or_not_about_1_91_to_1_is_refused(app, client, runner, campaign, write, size):
    result = attach(runner, campaign, "image", write("card.png", png_bytes(size)))
    assert result.exit_code == 1
    width, height = size
    assert (
        f"image not attached: the image is {width}x{height} pixels; a share image must be at least 600x315 "
        "and 1.91 times as wide as it is tall, give or take 5% (1200x630 is best)"
    ) in result.output
    assert stored(app, campaign) == {}


# Past Pillow's pixel limit: twice over it raises an error, just over it warns.
@pytest.mark.parametrize("size", [(60000, 60000), (13100, 6859)])
def test_an_image_claiming_too_many_pixels_is_refused_without_a_traceback(app, runner, campaign, write, size):
    result = attach(runner, campaign, "image", write("bomb.png", png_claiming(*size)))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "image not attached: the image claims more than 89,478,485 pixels, too many to read safely" in result.output
    assert "Traceback" not in result.output
    assert stored(app, campaign) == {}


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(make_app, write):
    from tests.builders import make_campaign

    app = make_app(ATTACHMENT_MAX_BYTES=2048)
    with app.app_context():
        slug = make_campaign().slug
    runner = app.test_cli_runner()
    big = PDF + b"%" * 2048
    result = attach(runner, slug, "report", write("big.pdf", big))
    assert result.exit_code == 1
    assert f"the file is {len(big):,} bytes; the limit is 2,048 (WIDGET_ATTACHMENT_MAX_BYTES)" in result.output
    assert stored(app, slug) == {}
    assert attach(runner, slug, "report", write("small.pdf", PDF)).exit_code == 0


def test_mistyped_kind_unknown_campaign_and_odd_arguments_are_refused(app, runner, campaign, write):
    path = write("r.pdf", PDF)
    mistyped = attach(runner, campaign, "reprot", path)
    assert mistyped.exit_code == 2 and "'reprot' is not one of 'report', 'kit', 'image'" in mistyped.output
    unknown = attach(runner, "no-such-campaign", "report", path)
    assert unknown.exit_code == 1 and "no campaign called 'no-such-campaign'" in unknown.output
    assert attach(runner, campaign, "report").exit_code == 2  # neither a file nor a link
    assert attach(runner, campaign, "report", path, "--url", "https://example.org/r.pdf").exit_code == 2
    assert attach(runner, campaign, "report", str(path) + ".missing").exit_code == 2
    bad_links = ("javascript:alert(1)", "ftp://example.org/r.pdf", "http://example.org/r.pdf", "HTTP://example.org/r.pdf",
                 "https://", "https://example.org/" + "x" * 500)
    for bad in bad_links:
        result = attach(runner, campaign, "kit", "--url", bad)
        assert result.exit_code == 1 and "must be a full https URL" in result.output, bad
    image_link = attach(runner, campaign, "image", "--url", "https://example.org/card.png")
    assert image_link.exit_code == 1 and "only a report or a kit can be a link" in image_link.output
    assert stored(app, campaign) == {}
    with app.app_context():
        row = db.session.scalar(select(Campaign).where(Campaign.slug == campaign))
        assert (row.report_url, row.kit_url) == (None, None)


def test_stats_show_what_is_offered_and_downloads_per_day(app, client, runner, campaign, write):
    attach(runner, campaign, "report", write("report.pdf", PDF))
    attach(runner, campaign, "kit", "--url", "https://example.org/kit.zip")
    for _ in range(3):
        client.get(f"/c/{campaign}/report")
    client.get(f"/c/{campaign}/kit")
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == campaign))
        db.session.add(DownloadCount(campaign_id=campaign_id, kind="report", day=today() - timedelta(days=1), count=5))
        db.session.commit()
    output = runner.invoke(args=["campaigns", "stats", campaign]).output
    assert "report: file report.pdf (application/pdf" in output
    assert "kit: link https://example.org/kit.zip" in output
    assert "image: none (a generated card is shown)" in output
    assert "downloads, all time: report 8, kit 1" in output
    assert f"{today().isoformat()}\treport\t3" in output
    assert f"{(today() - timedelta(days=1)).isoformat()}\treport\t5" in output
    assert runner.invoke(args=["campaigns", "stats", "nope"]).exit_code == 1


def test_concurrent_downloads_are_all_counted(app, runner, campaign, write):
    attach(runner, campaign, "report", write("report.pdf", PDF))
    threads, each, errors = 8, 10, []
    start = threading.Barrier(threads)

    def reader():
        client = app.test_client()
        start.wait(timeout=10)
        for _ in range(each):
            response = client.get(f"/c/{campaign}/report")
            if response.status_code != 200:
                errors.append(response.status_code)

    workers = [threading.Thread(target=reader) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert downloads(app, campaign, "report") == threads * each
    with app.app_context():  # one row per campaign, kind and day: nothing per reader
        assert db.session.scalar(select(func.count()).select_from(DownloadCount)) == 1


def test_a_file_name_in_any_script_becomes_a_safe_download_name(client, runner, campaign, write):
    assert attach(runner, campaign, "kit", write("مہم کی کٹ.zip", zip_bytes())).exit_code == 0
    response = client.get(f"/c/{campaign}/kit")
    assert response.status_code == 200 and response.headers["Content-Disposition"] == 'attachment; filename="kit.zip"'
    assert attach(runner, campaign, "report", write('a"b;c\r\nd.pdf', PDF)).exit_code == 0
    assert client.get(f"/c/{campaign}/report").headers["Content-Disposition"] == 'inline; filename="a-b-c--d.pdf"'


def test_downloads_are_rate_limited_per_network_and_campaign(make_app, write):
    from tests.builders import make_campaign

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DOWNLOADS="3 per minute")
    with app.app_context():
        slug, other = make_campaign().slug, make_campaign().slug
    runner, client = app.test_cli_runner(), app.test_client()
    attach(runner, slug, "report", write("report.pdf", PDF))
    attach(runner, slug, "kit", "--url", "https://example.org/kit.zip")
    attach(runner, other, "report", write("report.pdf", PDF))

    def get(path, ip="203.0.113.5"):
        return client.get(path, environ_base={"REMOTE_ADDR": ip})

    answers = [get(f"/c/{slug}/report"), get(f"/c/{slug}/kit"), get(f"/c/{slug}/report"), get(f"/c/{slug}/kit")]
    assert [a.status_code for a in answers] == [200, 302, 200, 429]  # the report and kit share one allowance
    refused = get(f"/c/{slug}/report")
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many downloads from your network just now" in refused.data.decode()
    assert refused.data != PDF and "Content-Disposition" not in refused.headers
    assert downloads(app, slug, "report") == 2 and downloads(app, slug, "kit") == 1, "a refusal is not counted"
    # Another network, or the same one on another campaign, still downloads.
    assert get(f"/c/{slug}/report", ip="203.0.113.6").status_code == 200
    assert get(f"/c/{other}/report").status_code == 200
    urdu = client.get(f"/c/{slug}/report?lang=ur", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert urdu.status_code == 429 and '<html lang="ur" dir="rtl">' in urdu.data.decode()
    assert "آپ کے نیٹ ورک سے ابھی بہت زیادہ ڈاؤن لوڈ ہوئے ہیں" in urdu.data.decode()


def test_the_download_limit_is_30_a_minute_by_default_and_off_with_the_others(make_app, write):
    from tests.builders import make_campaign

    for enabled, expected in ((True, [200] * 30 + [429]), (False, [200] * 31)):
        app = make_app(RATELIMIT_ENABLED=enabled)
        with app.app_context():
            slug = make_campaign().slug
        attach(app.test_cli_runner(), slug, "report", write("report.pdf", PDF))
        client = app.test_client()
        assert [client.get(f"/c/{slug}/report").status_code for _ in range(31)] == expected


def test_a_malformed_download_limit_refuses_to_start(make_app):
    from widget_service.config import ConfigError

    with pytest.raises(ConfigError, match="WIDGET_RATELIMIT_DOWNLOADS"):
        make_app(RATELIMIT_DOWNLOADS="lots")
