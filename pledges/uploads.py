"""Checking an uploaded scan or evidence file: PDF, JPEG or PNG, recognised by content, ≤ 10 MB.

`check_upload` reads the file's first bytes (magic numbers, via `filetype`) — never its name or
the browser's content type — and then parses it for real (pypdf for a PDF, Pillow for an image),
so a renamed executable or a truncated file is refused with a clear Chinese message. Nothing is
stored by this module; callers store the file only after it passes.

Shared with the repair app (evidence files).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass

import filetype
from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

PDF, JPEG, PNG = "pdf", "jpeg", "png"
CONTENT_TYPES = {PDF: "application/pdf", JPEG: "image/jpeg", PNG: "image/png"}
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
_BY_MIME = {mime: kind for kind, mime in CONTENT_TYPES.items()}


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "pdf" / "jpeg" / "png"
    content_type: str
    sha256: str
    size: int
    pixels: int = 0  # width × height of an image, 0 for a PDF

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.kind]


def _read_at_most(uploaded_file, limit: int) -> bytes:
    uploaded_file.seek(0)
    data = uploaded_file.read(limit)
    uploaded_file.seek(0)
    return data


def _parse_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(_("文件是加密的 PDF，无法查看，请上传未加密的扫描件"), code="encrypted")
        if len(reader.pages) < 1:
            raise ValidationError(_("文件不是有效的 PDF（没有任何页面）"), code="empty_pdf")
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, IndexError, AttributeError) as exc:
        raise ValidationError(_("文件不是有效的 PDF（无法解析）"), code="bad_pdf") from exc


# What a scan needs, and no more: an A4 page at 300 dpi is 2480×3508 ≈ 8.7 million pixels, at 400 dpi
# ≈ 15.6 million; a 12-megapixel phone photo of a document is 4032×3024 ≈ 12.2 million. 16 million
# takes all of these; decoding one costs ~48 MB (RGB) and ~0.2 s, where the former bound of 60 million
# let a 230 KB PNG cost the worker 200 MB and most of a second.
MAX_IMAGE_PIXELS = 16_000_000
# Pixels and bytes of all the images and files checked for one request (an evidence upload of several
# files): a POST cannot make the worker decode more than this, whatever the number of files.
MAX_PIXELS_PER_REQUEST = 64_000_000
MAX_BYTES_PER_REQUEST = 50 * 1024 * 1024


def _parse_image(data: bytes, kind: str) -> int:
    """Check the image; its pixel count."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = (img.format or "").lower()
            width, height = img.size
            img.verify()
        if width * height > MAX_IMAGE_PIXELS:
            # A small file can hold a huge, highly compressed image: decoding it would take the
            # web process hundreds of MB. Refused from the header, before any pixel is decoded.
            raise ValidationError(
                _("图片尺寸过大（%(width)s×%(height)s 像素），不能超过 %(max)s 万像素，请降低扫描分辨率")
                % {"width": width, "height": height, "max": MAX_IMAGE_PIXELS // 10_000},
                code="too_many_pixels",
            )
        # verify() does not decode the pixels: load them too, so a truncated image is refused.
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("文件不是有效的图片（无法解析）"), code="bad_image") from exc
    if fmt != kind:
        raise ValidationError(_("文件内容与图片格式不符"), code="bad_image")
    return width * height


def check_upload(uploaded_file, *, max_bytes: int = MAX_UPLOAD_BYTES) -> CheckedUpload:
    """Check `uploaded_file` (a Django UploadedFile or any binary file object); raise ValidationError."""
    if uploaded_file is None:
        raise ValidationError(_("请选择要上传的文件"), code="required")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            _("文件大小为 %(size)s，超过上限 %(max)s")
            % {"size": filesizeformat(size), "max": filesizeformat(max_bytes)},
            code="too_large",
        )
    data = _read_at_most(uploaded_file, max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("文件大小为 %(size)s，超过上限 %(max)s")
            % {"size": filesizeformat(len(data)), "max": filesizeformat(max_bytes)},
            code="too_large",
        )
    if not data:
        raise ValidationError(_("文件是空的"), code="empty")
    guess = filetype.guess(data[:8192])
    kind = _BY_MIME.get(guess.mime) if guess is not None else None
    if kind is None:
        found = guess.extension if guess is not None else _("未知")
        raise ValidationError(
            _("只接受 PDF、JPEG 或 PNG 文件（按文件内容识别，此文件的内容是：%(found)s）") % {"found": found},
            code="bad_type",
        )
    pixels = 0
    if kind == PDF:
        _parse_pdf(data)
    else:
        pixels = _parse_image(data, kind)
    return CheckedUpload(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        pixels=pixels,
    )


def header_pixels(uploaded_file) -> int:
    """Width × height as an image's header says (no pixel decoded); 0 for a PDF or anything else."""
    from PIL import Image

    try:
        uploaded_file.seek(0)
        with Image.open(uploaded_file) as img:
            width, height = img.size
        return width * height
    except Exception:  # noqa: BLE001  (not an image, or a broken one: check_upload says which)
        return 0
    finally:
        uploaded_file.seek(0)


def check_request_total(files) -> None:
    """Refuse, before any is decoded, files that together exceed MAX_BYTES_PER_REQUEST or
    MAX_PIXELS_PER_REQUEST (the pixels read from each image's header)."""
    size = sum(getattr(f, "size", 0) or 0 for f in files)
    if size > MAX_BYTES_PER_REQUEST:
        raise ValidationError(
            _("这些文件合计 %(size)s，一次最多上传 %(max)s，请分几次上传")
            % {"size": filesizeformat(size), "max": filesizeformat(MAX_BYTES_PER_REQUEST)},
            code="request_too_large",
        )
    pixels = sum(header_pixels(f) for f in files)
    if pixels > MAX_PIXELS_PER_REQUEST:
        raise ValidationError(
            _("这些图片合计 %(n)s 万像素，一次最多 %(max)s 万像素，请分几次上传或降低扫描分辨率")
            % {"n": pixels // 10_000, "max": MAX_PIXELS_PER_REQUEST // 10_000},
            code="request_too_many_pixels",
        )


# --- Serving a stored scan or evidence file -------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|;,%]|[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]')


def safe_stem(name: str, *, max_length: int = 80) -> str:
    """The file name without its directory and extension, without control, bidi or path characters."""
    base = os.path.basename(str(name).replace("\\", "/"))
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._")
    return stem[:max_length] or "file"


def shown_name(name: str, *, max_length: int = 100) -> str:
    """The uploaded name as a message shows it: its base name, control, bidi and path characters replaced."""
    base = os.path.basename(str(name).replace("\\", "/"))
    return _UNSAFE_NAME.sub("_", base)[:max_length] or "file"


def download_name(name: str, kind: str | None) -> str:
    """A download name whose extension is the one the content was verified as (`poly.html` holding a
    PDF is offered as `poly.pdf`), `.bin` when the content is not a verified PDF/JPEG/PNG."""
    return f"{safe_stem(name)}.{EXTENSIONS.get(kind, 'bin')}"


def verified_kind(handle, content_type: str) -> str | None:
    """The stored file's kind when its first bytes are the PDF/JPEG/PNG its stored type says, else None."""
    head = handle.read(8192)
    handle.seek(0)
    guess = filetype.guess(head) if head else None
    kind = _BY_MIME.get(guess.mime) if guess is not None else None
    return kind if kind is not None and CONTENT_TYPES[kind] == content_type else None


def stored_file_response(handle, *, content_type: str, name: str) -> FileResponse:
    """Serve a stored upload so that no browser can take it for a page.

    Shown inline only when its content is verified, now, as the PDF/JPEG/PNG it was stored as, with
    that type and `nosniff`; anything else is an `application/octet-stream` attachment. The name's
    extension always follows the verified content, and a sandboxing CSP keeps even a file opened
    outside the PDF viewer from running script or reaching the site.
    """
    kind = verified_kind(handle, content_type)
    if kind is None:
        response = FileResponse(
            handle, content_type="application/octet-stream", as_attachment=True, filename=download_name(name, None)
        )
    else:
        response = FileResponse(
            handle, content_type=CONTENT_TYPES[kind], as_attachment=False, filename=download_name(name, kind)
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if kind != PDF:  # an image or a download: no script, no origin (a PDF keeps the browser's viewer working)
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


def validate_upload(uploaded_file) -> None:
    """A field validator wrapping `check_upload`."""
    check_upload(uploaded_file)


class CheckedFileField(forms.FileField):
    """A form file field that accepts only what `check_upload` accepts; `checked` holds the result.

    After `form.is_valid()`, `form.cleaned_data[name]` is the file and
    `form.cleaned_data[name].checked` its CheckedUpload.
    """

    default_error_messages = {"required": _("请选择要上传的文件")}

    def __init__(self, *args, max_bytes: int = MAX_UPLOAD_BYTES, **kwargs) -> None:
        self.max_bytes = max_bytes
        kwargs.setdefault("help_text", _("PDF、JPEG 或 PNG，不超过 %(max)s") % {"max": filesizeformat(max_bytes)})
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png")

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if value:
            value.checked = check_upload(value, max_bytes=self.max_bytes)
        return value
