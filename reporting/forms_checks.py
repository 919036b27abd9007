"""Forms of the 信用核查 pages: recording a check, and the filter bar of the list (django-filter)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.filters import StyledFilterSet
from customers.models import Company, company_ids_for
from customers.validation import TextRulesMixin
from pledges.uploads import CheckedFileField

from .checks import Attachment, check_errors
from .models_checks import CheckMatter, CheckResult, CheckSource, CheckUsage, CreditCheck

DATE_ERRORS = {"required": _("请填写核查日期"), "invalid": _("核查日期格式不正确，应为 YYYY-MM-DD")}


class CheckForm(TextRulesMixin, forms.Form):
    """A check of one customer; the rules are `reporting.checks.check_errors`, checked again by the service."""

    checked_on = forms.DateField(
        label=_("核查日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_ERRORS,
        help_text=_("在信用平台查询的日期，不能晚于今天"),
    )
    matter = forms.ModelChoiceField(
        label=_("核查事项"),
        queryset=CheckMatter.objects.filter(active=True),
        empty_label=_("请选择核查事项"),
        error_messages={"required": _("请选择核查事项"), "invalid_choice": _("所选核查事项不存在或已停用")},
        help_text=_("办理的业务（应用清单事项）；清单由系统管理员维护"),
    )
    sources = forms.MultipleChoiceField(
        label=_("核查内容"),
        choices=CheckSource.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一项核查内容"), "invalid_choice": _("核查内容无效")},
    )
    result = forms.ChoiceField(
        label=_("核查结果"),
        choices=[("", _("请选择核查结果")), *CheckResult.choices],
        error_messages={"required": _("请选择核查结果"), "invalid_choice": _("请选择核查结果")},
    )
    usage = forms.ChoiceField(
        label=_("应用情况"),
        choices=[("", _("请选择应用情况")), *CheckUsage.choices],
        error_messages={"required": _("请选择应用情况"), "invalid_choice": _("请选择应用情况")},
        help_text=_("核查结果在本次业务中如何使用"),
    )
    note = forms.CharField(
        label=_("结果说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("结果说明不能超过 %(limit_value)d 个字")},
        help_text=_("查到不良信息时必填：记录内容、认定部门和日期"),
    )
    attachment = CheckedFileField(label=_("附件（核查报告）"), required=False)

    def clean(self):
        cleaned = super().clean()
        errors = check_errors(
            checked_on=cleaned.get("checked_on"),
            matter=cleaned.get("matter"),
            sources=cleaned.get("sources") or [],
            result=cleaned.get("result"),
            usage=cleaned.get("usage"),
            note=cleaned.get("note") or "",
            today=timezone.localdate(),
        )
        for name, message in errors.items():
            if name not in self.errors:  # keep the field's own error (e.g. a malformed date)
                self.add_error(name, message)
        return cleaned

    def check_fields(self) -> dict:
        """Keyword arguments for `reporting.checks.record_check`, from a valid form."""
        data = self.cleaned_data
        upload = data.get("attachment")
        return {
            "checked_on": data["checked_on"],
            "matter": data["matter"],
            "sources": data["sources"],
            "result": data["result"],
            "usage": data["usage"],
            "note": data.get("note") or "",
            "attachment": Attachment(file=upload, name=upload.name, checked=upload.checked) if upload else None,
        }


def _user_companies(request) -> QuerySet[Company]:
    if request is None:
        return Company.objects.none()
    return Company.objects.filter(id__in=company_ids_for(request.user))


class SafeDateFilter(django_filters.DateFilter):
    """A date filter whose bad value (text, NUL, year 99999) is a form error, never a database error."""

    field_class = forms.DateField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)
        self.extra.setdefault("input_formats", ["%Y-%m-%d"])
        self.extra.setdefault("error_messages", {"invalid": _("日期格式不正确，应为 YYYY-MM-DD")})


class CheckFilter(StyledFilterSet):
    company = django_filters.ModelChoiceFilter(
        label=_("所属公司"), field_name="customer__company", queryset=_user_companies, empty_label=_("全部公司")
    )
    date_from = SafeDateFilter(label=_("核查日期自"), field_name="checked_on", lookup_expr="gte")
    date_to = SafeDateFilter(label=_("至"), field_name="checked_on", lookup_expr="lte")
    matter = django_filters.ModelChoiceFilter(
        label=_("核查事项"), queryset=CheckMatter.objects.all(), empty_label=_("全部事项")
    )
    result = django_filters.ChoiceFilter(label=_("核查结果"), choices=CheckResult.choices, empty_label=_("全部结果"))
    usage = django_filters.ChoiceFilter(label=_("应用情况"), choices=CheckUsage.choices, empty_label=_("全部应用情况"))
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("核查编号、户号或单位名称"), "type": "search"}),
    )

    class Meta:
        model = CreditCheck
        fields = ["company", "date_from", "date_to", "matter", "result", "usage", "q"]

    def filter_q(self, queryset: QuerySet[CreditCheck], name: str, value: str) -> QuerySet[CreditCheck]:
        from django.db.models import Q

        value = (value or "").strip().replace("\x00", "")
        if not value:
            return queryset
        return queryset.filter(
            Q(number__startswith=value.upper())
            | Q(customer__account_no__startswith=value)
            | Q(customer__name__icontains=value)
        )


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)
