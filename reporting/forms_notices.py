"""Forms of the notice pages: recording delivery, and the filter bar of the notice list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Company
from customers.validation import TextRulesMixin

from .models import NoticeMethod

STATE_PREPARED = "prepared"
STATE_GIVEN = "given"
STATE_CHOICES = [
    ("", _("全部状态")),
    (STATE_PREPARED, _("待送达")),
    (STATE_GIVEN, _("已送达")),
]


class GivenForm(TextRulesMixin, forms.Form):
    """送达日期 and 送达方式; the dates are checked again by `reporting.notices.record_given`."""

    given_on = forms.DateField(
        label=_("送达日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": _("请填写送达日期"),
            "invalid": _("送达日期格式不正确，应为 YYYY-MM-DD"),
        },
        help_text=_("客户签收（或邮件、电子送达）的日期，不能晚于今天，不能早于告知书生成日期"),
    )
    method = forms.ChoiceField(
        label=_("送达方式"),
        choices=NoticeMethod.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择送达方式：当面送达、邮寄或电子送达"),
            "invalid_choice": _("请选择送达方式：当面送达、邮寄或电子送达"),
        },
    )


class NoticeFilterForm(TextRulesMixin, forms.Form):
    """Company (among the user's) and state; an unknown value is simply ignored (treated as all)."""

    company = forms.ChoiceField(label=_("供水公司"), required=False)
    state = forms.ChoiceField(label=_("状态"), choices=STATE_CHOICES, required=False)

    def __init__(self, *args, companies: list[Company], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [
            ("", _("全部公司")),
            *((c.code, c.name) for c in companies),
        ]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select"
            field.widget.attrs["data-testid"] = f"filter-{name}"

    def value(self, name: str) -> str:
        return self.cleaned_data.get(name, "") if self.is_valid() else ""
