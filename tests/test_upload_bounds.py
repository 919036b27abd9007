"""Uploads that cost too much, and stored files a browser could take for a page (issue 14, item 8).

The bounds: 16 million pixels an image (pledges/uploads.py says why), 10 files, 50 MB and 64 million
pixels an evidence upload, 30 evidence files a repair request, 100 files a POST. Evidence and scans are
shown inline only as the PDF/JPEG/PNG their content is, with `nosniff`, under a name whose extension
is that content's: a PDF/HTML polyglot uploaded as `poly.html` is `poly.pdf`, never a page.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledges import uploads
from pledges.uploads import MAX_PIXELS_PER_REQUEST, download_name, shown_name
from repair import services
from repair.models import Evidence, RepairRequest
from tests import factories
from tests.repair_support import lodge, pdf_bytes, upload

pytestmark = pytest.mark.django_db

POLYGLOT_HTML = b"<html><body><script>document.title='pwned'</script><h1>not a PDF</h1></body></html>"


def polyglot() -> bytes:
    """A valid PDF that is also an HTML page (a browser sniffing it would run the script)."""
    return pdf_bytes("poly") + b"\n%" + POLYGLOT_HTML + b"\n"


def big_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, "PNG")  # 1-bit: a few kB for millions of pixels
    return out.getvalue()


@pytest.fixture
def theft(city_customer):
    return factories.event(
        city_customer, "water_theft", amount=Decimal("100.00"), occurred_on=timezone.localdate() - dt.timedelta(days=9)
    )


def _lodge_page(client, customer, theft, files):
    return client.post(
        reverse("repair:lodge", args=[customer.account_no]),
        {"kind": "repair", "events": [theft.pk], "reason": "已整改", "files": files},
    )


def test_a_pdf_html_polyglot_named_poly_html_is_kept_and_served_as_poly_pdf(login, clerk_city, city_customer, theft):
    client = login(clerk_city)
    response = _lodge_page(client, city_customer, theft, [upload("poly.html", polyglot(), "text/html")])
    assert response.status_code == 302
    req = RepairRequest.objects.get(customer=city_customer)
    evidence = req.evidence.get()
    assert evidence.original_name == "poly.pdf"
    page = client.get(reverse("repair:detail", args=[req.number])).content.decode()
    assert "poly.pdf" in page and "poly.html" not in page
    served = client.get(reverse("repair:evidence", args=[req.number, evidence.pk]))
    assert served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"] == 'inline; filename="poly.pdf"'
    assert ".html" not in served["Content-Disposition"]


def test_a_stored_file_that_is_no_longer_what_it_was_is_a_download(login, clerk_city, city_customer, theft):
    """A file changed on disk (or kept from before the content checks) is never shown inline."""
    req = lodge(city_customer, clerk_city, events=[theft])
    evidence = req.evidence.get()
    with open(evidence.file.path, "wb") as f:
        f.write(POLYGLOT_HTML)
    served = login(clerk_city).get(reverse("repair:evidence", args=[req.number, evidence.pk]))
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment;") and served["Content-Disposition"].endswith(".bin")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]


def test_a_pledge_scan_is_served_by_what_it_is(login, clerk_city, city_customer, tmp_path):
    from pledges import services as pledge_services
    from pledges.demo import tiny_scan_pdf
    from tests.pledge_support import at

    with at(dt.date(2026, 3, 2)):
        pledge = pledge_services.prepare_pledge(city_customer, user=clerk_city)
        pledge_services.mark_printed([pledge])
    client = login(clerk_city)
    response = client.post(
        reverse("pledges:sign", args=[pledge.pk]),
        {
            "signed_on": "2026-03-02",
            "received_by": clerk_city.pk,
            "scan": SimpleUploadedFile("scan.html", tiny_scan_pdf() + b"%" + POLYGLOT_HTML, content_type="text/html"),
        },
    )
    assert response.status_code == 302
    served = client.get(reverse("pledges:scan", args=[pledge.pk]))
    assert served["Content-Type"] == "application/pdf" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline;") and served["Content-Disposition"].endswith('-scan.pdf"')


@pytest.mark.parametrize(
    "name, kind, expected",
    [
        ("poly.html", "pdf", "poly.pdf"),
        ("..\\..\\evil.exe", "png", "evil.png"),
        ("ALT\u202egpj.exe", "jpeg", "ALT_gpj.jpg"),
        ('a"b;c.pdf', None, "a_b_c.bin"),
        (".htaccess", "pdf", "htaccess.pdf"),
    ],
)
def test_download_names_carry_the_verified_extension_and_nothing_unsafe(name, kind, expected):
    assert download_name(name, kind) == expected


def test_shown_names_cannot_reorder_themselves():
    assert shown_name("ALT\u202egpj.exe") == "ALT_gpj.exe"


def test_eleven_evidence_files_are_refused_with_the_limit(login, clerk_city, city_customer, theft):
    files = [upload(f"证明{i}.pdf") for i in range(11)]
    response = _lodge_page(login(clerk_city), city_customer, theft, files)
    assert "一次最多上传 10 个文件" in response.content.decode()
    assert not RepairRequest.objects.exists()


def test_an_evidence_upload_is_bounded_in_pixels_altogether(login, clerk_city, city_customer, theft, monkeypatch):
    each = (3500, 4400)  # 15.4 Mpx: each under the bound of one image, five over the bound of one upload
    assert each[0] * each[1] * 5 > MAX_PIXELS_PER_REQUEST
    files = [upload(f"扫描{i}.png", big_png(*each), "image/png") for i in range(5)]
    decoded = []
    monkeypatch.setattr(uploads, "_parse_image", lambda data, kind: decoded.append(kind) or 0)
    response = _lodge_page(login(clerk_city), city_customer, theft, files)
    html = response.content.decode()
    assert "一次最多 6400 万像素" in html
    assert decoded == []  # refused from the headers, before any image was decoded
    assert not RepairRequest.objects.exists() and not Evidence.objects.exists()


def test_a_request_holds_a_bounded_number_of_evidence_files(login, clerk_city, city_customer, theft, monkeypatch):
    monkeypatch.setattr(services, "MAX_EVIDENCE_PER_REQUEST", 3)
    req = lodge(city_customer, clerk_city, events=[theft])  # one file
    client = login(clerk_city)
    url = reverse("repair:add_evidence", args=[req.number])
    response = client.post(url, {"files": [upload("a.pdf"), upload("b.pdf"), upload("c.pdf")]}, follow=True)
    assert "每份申请最多 3 个材料文件，已有 1 个，本次 3 个" in response.content.decode()
    assert req.evidence.count() == 1
    client.post(url, {"files": [upload("a.pdf"), upload("b.pdf")]})
    assert req.evidence.count() == 3


def test_a_post_of_more_than_100_files_is_refused_before_any_is_read(login, clerk_city):
    files = [SimpleUploadedFile(f"{i}.png", b"x", content_type="image/png") for i in range(101)]
    response = login(clerk_city).post(reverse("pledges:bulk_sign"), {"mode": "files", "scan_files": files})
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
