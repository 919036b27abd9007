"""Scan uploads: PDF, JPEG or PNG recognised by content, at most 10 MB; anything else refused, nothing stored."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from pledges import services
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeState
from pledges.uploads import MAX_UPLOAD_BYTES, check_upload
from tests.pledge_support import at

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + os.urandom(2000)
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + os.urandom(2000)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "JPEG")
    return out.getvalue()


def upload(data: bytes, name: str, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize("data", [ELF, MZ], ids=["elf", "mz"])
def test_renamed_executable_is_refused(data):
    with pytest.raises(ValidationError) as info:
        check_upload(upload(data, "scan.pdf"))
    assert "只接受 PDF、JPEG 或 PNG" in info.value.messages[0]


def test_pdf_header_with_garbage_is_refused():
    with pytest.raises(ValidationError, match="不是有效的 PDF"):
        check_upload(upload(b"%PDF-1.7\n" + os.urandom(3000), "scan.pdf"))


def test_truncated_png_is_refused():
    data = png_bytes()
    with pytest.raises(ValidationError, match="不是有效的图片"):
        check_upload(upload(data[: len(data) // 2], "scan.png", "image/png"))


def test_a_small_file_holding_a_huge_image_is_refused_before_it_is_decoded():
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000), 1).save(buffer, "PNG")  # 64 million pixels in a few kB
    assert len(buffer.getvalue()) < MAX_UPLOAD_BYTES
    with pytest.raises(ValidationError, match="8000×8000 像素"):
        check_upload(upload(buffer.getvalue(), "scan.png", "image/png"))
    for size in ((2480, 3508), (4032, 3024)):  # an A4 page scanned at 300 dpi; a 12-megapixel phone photo
        fine = io.BytesIO()
        Image.new("1", size, 1).save(fine, "PNG")
        assert check_upload(upload(fine.getvalue(), "scan.png", "image/png")).kind == "png"
    too_fine = io.BytesIO()
    Image.new("1", (4960, 7016), 1).save(too_fine, "PNG")  # an A4 page at 600 dpi: more than a scan needs
    with pytest.raises(ValidationError, match="不能超过 1600 万像素"):
        check_upload(upload(too_fine.getvalue(), "scan.png", "image/png"))


def test_oversized_file_is_refused():
    data = tiny_scan_pdf() + b"%" + b"0" * (MAX_UPLOAD_BYTES + 1)
    with pytest.raises(ValidationError, match="超过上限"):
        check_upload(upload(data, "scan.pdf"))


def test_real_files_pass_by_content_whatever_their_name():
    pdf = check_upload(upload(tiny_scan_pdf(), "scan.png", "image/png"))
    assert (pdf.kind, pdf.content_type) == ("pdf", "application/pdf")
    png = check_upload(upload(png_bytes(), "scan.pdf"))
    assert (png.kind, png.content_type) == ("png", "image/png")
    jpg = check_upload(upload(jpeg_bytes(), "scan.dat", "application/octet-stream"))
    assert (jpg.kind, jpg.content_type) == ("jpeg", "image/jpeg")
    assert len(pdf.sha256) == 64


@pytest.fixture
def printed_pledge(city_customer, clerk_city):
    with at(dt.date(2026, 3, 2)):  # generated and printed on the day the tests sign it
        pledge = services.prepare_pledge(city_customer, user=clerk_city)
        services.mark_printed([pledge])
    return pledge


def sign_url(pledge) -> str:
    return reverse("pledges:sign", args=[pledge.pk])


def post_sign(client, pledge, file, user):
    return client.post(
        sign_url(pledge), {"signed_on": "2026-03-02", "received_by": user.pk, "scan": file}, follow=False
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [(ELF, "只接受 PDF、JPEG 或 PNG"), (MZ, "只接受 PDF、JPEG 或 PNG")],
    ids=["elf", "mz"],
)
def test_sign_page_refuses_an_executable_and_stores_nothing(
    login, clerk_city, printed_pledge, settings, tmp_path, data, message
):
    settings.MEDIA_ROOT = tmp_path
    response = post_sign(login(clerk_city), printed_pledge, upload(data, "scan.pdf"), clerk_city)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "签署后的扫描件" in html
    printed_pledge.refresh_from_db()
    assert printed_pledge.state == PledgeState.PRINTED and not printed_pledge.scan and printed_pledge.number is None
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.django_db
def test_sign_page_refuses_an_oversized_file(login, clerk_city, printed_pledge, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    big = tiny_scan_pdf() + b"%" + b"0" * (MAX_UPLOAD_BYTES + 10)
    response = post_sign(login(clerk_city), printed_pledge, upload(big, "scan.pdf"), clerk_city)
    assert response.status_code == 200
    assert "超过上限" in response.content.decode()
    assert not any(tmp_path.rglob("*.*"))
    assert Pledge.objects.get(pk=printed_pledge.pk).state == PledgeState.PRINTED


@pytest.mark.django_db
def test_sign_page_accepts_a_real_pdf(login, clerk_city, printed_pledge, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post_sign(login(clerk_city), printed_pledge, upload(tiny_scan_pdf(), "扫描.pdf"), clerk_city)
    assert response.status_code == 302
    printed_pledge.refresh_from_db()
    assert printed_pledge.state == PledgeState.SIGNED
    stored = list(tmp_path.rglob("*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes() == tiny_scan_pdf()
    page = login(clerk_city).get(reverse("pledges:detail", args=[printed_pledge.pk])).content.decode()
    assert printed_pledge.scan_sha256 in page
    scan = login(clerk_city).get(reverse("pledges:scan", args=[printed_pledge.pk]))
    assert scan.status_code == 200 and scan["Content-Type"] == "application/pdf"
    assert b"".join(scan.streaming_content) == tiny_scan_pdf()


@pytest.mark.django_db
def test_sign_page_names_missing_fields(login, clerk_city, printed_pledge):
    response = login(clerk_city).post(sign_url(printed_pledge), {"signed_on": "", "received_by": ""})
    html = response.content.decode()
    assert "请填写签署日期" in html and "请选择接收人" in html and "请选择要上传的文件" in html


@pytest.mark.django_db
def test_a_png_named_pdf_is_kept_as_a_png_and_shown_as_an_image(login, clerk_city, printed_pledge, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(clerk_city)
    response = post_sign(client, printed_pledge, upload(png_bytes(), "扫描件.pdf"), clerk_city)
    assert response.status_code == 302
    printed_pledge.refresh_from_db()
    assert printed_pledge.scan.name.endswith(".png") and printed_pledge.scan_content_type == "image/png"
    page = client.get(reverse("pledges:detail", args=[printed_pledge.pk])).content.decode()
    assert "PNG 图片" in page and "image/png" not in page
    scan = client.get(reverse("pledges:scan", args=[printed_pledge.pk]))
    assert scan["Content-Type"] == "image/png" and scan["Content-Disposition"].endswith('-scan.png"')


@pytest.mark.django_db
def test_an_empty_scan_is_refused_in_chinese(login, clerk_city, printed_pledge, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = post_sign(login(clerk_city), printed_pledge, upload(b"", "scan.pdf"), clerk_city)
    assert response.status_code == 200 and "空文件" in response.content.decode()
    assert not any(tmp_path.rglob("*.*"))
    assert Pledge.objects.get(pk=printed_pledge.pk).state == PledgeState.PRINTED


@pytest.mark.django_db
def test_a_double_submitted_sign_form_signs_once_and_keeps_one_scan(
    login, clerk_city, printed_pledge, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = login(clerk_city)
    first = post_sign(client, printed_pledge, upload(tiny_scan_pdf(), "scan.pdf"), clerk_city)
    second = client.post(
        sign_url(printed_pledge),
        {"signed_on": "2026-03-03", "received_by": clerk_city.pk, "scan": upload(png_bytes(), "scan.png")},
        follow=True,
    )
    assert first.status_code == 302
    assert "不能登记签署" in second.content.decode()
    printed_pledge.refresh_from_db()
    assert printed_pledge.number == "42130020260302000001" and printed_pledge.scan_content_type == "application/pdf"
    assert [p.suffix for p in tmp_path.rglob("*.*")] == [".pdf"]


@pytest.mark.django_db
def test_sign_page_names_a_bad_date_and_a_bad_file_at_once(login, clerk_city, printed_pledge, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(clerk_city)
    data = {"received_by": clerk_city.pk, "valid_until": "2026-01-01"}
    html = client.post(sign_url(printed_pledge), {**data, "signed_on": "2999-01-01", "scan": upload(ELF, "a.pdf")})
    html = html.content.decode()
    assert "签署日期 2999-01-01 晚于今天" in html and "只接受 PDF、JPEG 或 PNG" in html
    html = client.post(sign_url(printed_pledge), {**data, "signed_on": "1999-01-01", "scan": upload(MZ, "a.pdf")})
    html = html.content.decode()
    assert "早于客户立户日期" in html and "只接受 PDF、JPEG 或 PNG" in html and "承诺有效期必须晚于签署日期" not in html
    assert Pledge.objects.get(pk=printed_pledge.pk).state == PledgeState.PRINTED
