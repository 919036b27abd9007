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
from dataclasses import dataclass

import filetype
from django import forms
from django.core.exceptions import ValidationError
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
            raise ValidationError(_("文件是加密的 PDF,无法查看,请上传未加密的扫描件"), code="encrypted")
        if len(reader.pages) < 1:
            raise ValidationError(_("文件不是有效的 PDF(没有任何页面)"), code="empty_pdf")
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, IndexError, AttributeError) as exc:
        raise ValidationError(_("文件不是有效的 PDF(无法解析)"), code="bad_pdf") from exc


MAX_IMAGE_PIXELS = 60_000_000


def _parse_image(data: bytes, kind: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = (img.format or "").lower()
            width, height = img.size
            img.verify()
        if width * height > MAX_IMAGE_PIXELS:
            # A small file can hold a huge, highly compressed image: decoding it would take the
            # web process hundreds of MB. A 600 dpi A4 scan is about 35 million pixels.
            raise ValidationError(
                _("图片尺寸过大(%(width)s×%(height)s 像素),不能超过 %(max)s 万像素,请降低扫描分辨率")
                % {"width": width, "height": height, "max": MAX_IMAGE_PIXELS // 10_000},
                code="too_many_pixels",
            )
        # verify() does not decode the pixels: load them too, so a truncated image is refused.
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("文件不是有效的图片(无法解析)"), code="bad_image") from exc
    if fmt != kind:
        raise ValidationError(_("文件内容与图片格式不符"), code="bad_image")


def check_upload(uploaded_file, *, max_bytes: int = MAX_UPLOAD_BYTES) -> CheckedUpload:
    """Check `uploaded_file` (a Django UploadedFile or any binary file object); raise ValidationError."""
    if uploaded_file is None:
        raise ValidationError(_("请选择要上传的文件"), code="required")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            _("文件大小为 %(size)s,超过上限 %(max)s")
            % {"size": filesizeformat(size), "max": filesizeformat(max_bytes)},
            code="too_large",
        )
    data = _read_at_most(uploaded_file, max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("文件大小为 %(size)s,超过上限 %(max)s")
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
            _("只接受 PDF、JPEG 或 PNG 文件(按文件内容识别,此文件的内容是:%(found)s)") % {"found": found},
            code="bad_type",
        )
    if kind == PDF:
        _parse_pdf(data)
    else:
        _parse_image(data, kind)
    return CheckedUpload(
        kind=kind, content_type=CONTENT_TYPES[kind], sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )


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
        kwargs.setdefault("help_text", _("PDF、JPEG 或 PNG,不超过 %(max)s") % {"max": filesizeformat(max_bytes)})
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png")

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if value:
            value.checked = check_upload(value, max_bytes=self.max_bytes)
        return value
