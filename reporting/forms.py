"""Forms of the reporting app."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from customers.validation import TextRulesMixin

# --- the platform's return file (reporting.views.returns) ------------------------------------------

RETURN_MAX_BYTES = 20 * 1024 * 1024
RETURN_EXTENSIONS = (".xlsx", ".csv")


class ReturnUploadForm(TextRulesMixin, forms.Form):
    """The platform's file of rejected rows. Only size and name are checked here; the content is
    checked by `reporting.returns.import_return` (the same checks as the command)."""

    file = forms.FileField(
        label=_("平台退回文件"),
        help_text=_("平台返回的 Excel（.xlsx）或 CSV 文件，不超过 20 MB"),
        error_messages={"required": _("请选择要上传的退回文件")},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > RETURN_MAX_BYTES:
            raise forms.ValidationError(
                _("文件大小为 %(size)s，超过上限 %(max)s")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(RETURN_MAX_BYTES)},
                code="too_large",
            )
        if not (upload.name or "").lower().endswith(RETURN_EXTENSIONS):
            raise forms.ValidationError(_("只接受 .xlsx 或 .csv 文件"), code="bad_type")
        return upload
