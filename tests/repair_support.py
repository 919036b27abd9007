"""Builders for the repair tests: real PDFs and PNGs, a lodged request, a signed repair pledge."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pledges import services as pledge_services
from pledges.uploads import check_upload
from repair import services
from repair.models import RepairRequest


def pdf_bytes(text: str = "evidence") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def upload(name: str = "证明.pdf", data: bytes | None = None, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data if data is not None else pdf_bytes(name), content_type=content_type)


def evidence_file(name: str = "补缴凭证.pdf") -> services.EvidenceFile:
    f = upload(name)
    checked = check_upload(f)
    return services.EvidenceFile(
        file=f, name=name, content_type=checked.content_type, sha256=checked.sha256, size=checked.size
    )


def lodge(customer, user, *, kind=RepairRequest.Kind.REPAIR, events=(), bills=(), reason="已整改完毕,申请修复"):
    return services.lodge_request(
        customer,
        kind=kind,
        events=list(events),
        bills=list(bills),
        reason=reason,
        evidence=[evidence_file()],
        user=user,
    )


def sign_pledge_for(req: RepairRequest, user) -> None:
    """Prepare, print and record signed the request's repair pledge, as a clerk does on the request page."""
    pledge = services.prepare_repair_pledge(req.pk, user=user)
    pledge_services.mark_printed([pledge], user=user)
    scan = upload("承诺书扫描件.pdf")
    services.sign_repair_pledge(
        req.pk, signed_on=timezone.localdate(), scan=scan, checked=check_upload(scan), user=user
    )
