"""The upload form of the import page: what to import and the file."""

from __future__ import annotations

import os

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .importer.reader import SUPPORTED_FORMATS

KIND_CHOICES = [("customers", _("客户档案")), ("bills", _("账单")), ("events", _("信用事件"))]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=KIND_CHOICES)
    file = forms.FileField(
        label=_("文件"),
        help_text=_(
            "CSV(UTF-8 或 GBK,Excel 另存的“CSV(逗号分隔)”均可)或 Excel .xlsx(第一个工作表);"
            "第一行为列名,可用英文或中文列名"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        """Only .csv and .xlsx files, not empty, not larger than IMPORT_MAX_UPLOAD_BYTES."""
        upload = self.cleaned_data["file"]
        if self.file_format(upload.name) not in SUPPORTED_FORMATS:
            raise forms.ValidationError(_("只接受 .csv 或 .xlsx 文件"))
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if limit and upload.size > limit:
            raise forms.ValidationError(_("文件过大,最大 %(size)s") % {"size": filesizeformat(limit)})
        if upload.size == 0:
            raise forms.ValidationError(_("文件是空的"))
        return upload

    @staticmethod
    def file_format(name: str) -> str:
        return os.path.splitext(name or "")[1].lstrip(".").lower()
