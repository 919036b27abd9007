"""The upload form of the import page (what to import and the file) and its upload handler."""

from __future__ import annotations

import hashlib
import os

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .importer.reader import SUPPORTED_FORMATS
from .models import ImportJob

KIND_CHOICES = ImportJob.KIND_CHOICES


def upload_limit_text() -> str:
    """The largest file the page takes, as the page and its error say it (e.g. 512.0 MB)."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    return filesizeformat(limit) if limit else str(_("不限"))


def too_large_message() -> str:
    return _("文件过大，最大 %(size)s") % {"size": upload_limit_text()}


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file upload (nothing held in memory), with the file's SHA-256 computed
    as it arrives and the upload stopped as soon as it passes IMPORT_MAX_UPLOAD_BYTES (the rest of
    the request is read and dropped, so the browser gets the page with the error, not a reset)."""

    too_large = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if limit and self.received > limit:
            self.too_large = True
            self.file.close()
            raise StopUpload(connection_reset=False)
        self.digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int):
        upload = super().file_complete(file_size)
        if upload is not None:
            upload.sha256 = self.digest.hexdigest()
        return upload


def upload_sha256(upload) -> str:
    """The SHA-256 of an upload: as computed on arrival, else read once more."""
    digest = getattr(upload, "sha256", None)
    if digest:
        return digest
    hasher = hashlib.sha256()
    for chunk in upload.chunks():
        hasher.update(chunk)
    upload.seek(0)
    return hasher.hexdigest()


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=KIND_CHOICES)
    file = forms.FileField(
        label=_("文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV（UTF-8 或 GBK，Excel 另存的“CSV（逗号分隔）”均可）或 Excel .xlsx（第一个工作表）；"
            "第一行为列名，可用英文或中文列名；文件最大 %(size)s"
        ) % {"size": upload_limit_text()}
        if too_large:  # the upload handler stopped the file: say why it is missing
            self.fields["file"].error_messages["required"] = too_large_message()

    def clean_file(self):
        """Only .csv and .xlsx files, not empty, not larger than IMPORT_MAX_UPLOAD_BYTES."""
        upload = self.cleaned_data["file"]
        if self.file_format(upload.name) not in SUPPORTED_FORMATS:
            raise forms.ValidationError(_("只接受 .csv 或 .xlsx 文件"))
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if limit and upload.size > limit:
            raise forms.ValidationError(too_large_message())
        if upload.size == 0:
            raise forms.ValidationError(_("文件是空的"))
        return upload

    @staticmethod
    def file_format(name: str) -> str:
        return os.path.splitext(name or "")[1].lstrip(".").lower()
