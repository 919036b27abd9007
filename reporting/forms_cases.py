"""Forms of the 信用案例 pages: writing a case, reporting it, and the list's filters (django-filter)."""

from __future__ import annotations

import datetime
import re

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from customers.filters import StyledFilterSet
from customers.models import Company, company_ids_for

from .models_cases import CaseKind, CaseStatus, CreditCase

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> datetime.date | None:
    """YYYY-MM → the month's first day, None when malformed."""
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def month_end(first: datetime.date) -> datetime.date:
    return (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


class CaseForm(forms.Form):
    company = forms.ModelChoiceField(
        label=_("所属公司"),
        queryset=Company.objects.none(),
        empty_label=None,
        error_messages={"required": _("请选择所属公司"), "invalid_choice": _("请选择您所属的公司")},
    )
    kind = forms.ChoiceField(
        label=_("案例类型"),
        choices=[("", _("请选择案例类型")), *CaseKind.choices],
        error_messages={"required": _("请选择案例类型"), "invalid_choice": _("请选择案例类型")},
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=200,
        error_messages={"required": _("请填写标题"), "max_length": _("标题不能超过 %(limit_value)d 个字")},
    )
    occurred_on = forms.DateField(
        label=_("案例日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": _("请填写案例日期"), "invalid": _("案例日期格式不正确，应为 YYYY-MM-DD")},
    )
    accounts = forms.CharField(
        label=_("涉及客户（户号）"),
        required=False,
        max_length=2000,
        help_text=_("多个户号用空格、逗号或顿号分隔"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    records = forms.CharField(
        label=_("涉及记录"),
        required=False,
        max_length=2000,
        help_text=_("这些客户的事件单据编号、信用核查编号或修复申请编号，多个用空格或逗号分隔"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    actions = forms.CharField(
        label=_("主要做法"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请填写主要做法"), "max_length": _("主要做法不能超过 %(limit_value)d 个字")},
    )
    effect = forms.CharField(
        label=_("取得成效"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写取得成效"), "max_length": _("取得成效不能超过 %(limit_value)d 个字")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(id__in=company_ids_for(user)).order_by("id")

    def case_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "occurred_on": data["occurred_on"],
            "actions": data["actions"],
            "effect": data["effect"],
            "accounts": data.get("accounts") or "",
            "records": data.get("records") or "",
        }


class ReportForm(forms.Form):
    reported_on = forms.DateField(
        label=_("上报日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": _("请填写上报日期"), "invalid": _("上报日期格式不正确，应为 YYYY-MM-DD")},
    )


def _user_companies(request) -> QuerySet[Company]:
    if request is None:
        return Company.objects.none()
    return Company.objects.filter(id__in=company_ids_for(request.user))


class MonthField(forms.CharField):
    default_error_messages = {"invalid": _("月份格式不正确，应为 YYYY-MM")}

    def clean(self, value):
        value = super().clean(value)
        if value and parse_month(value) is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class MonthFilter(django_filters.CharFilter):
    field_class = MonthField


class CaseFilter(StyledFilterSet):
    company = django_filters.ModelChoiceFilter(label=_("所属公司"), queryset=_user_companies, empty_label=_("全部公司"))
    month = MonthFilter(
        label=_("月份"),
        method="filter_month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    kind = django_filters.ChoiceFilter(label=_("案例类型"), choices=CaseKind.choices, empty_label=_("全部类型"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices, empty_label=_("全部状态"))

    class Meta:
        model = CreditCase
        fields = ["company", "month", "kind", "status"]

    def filter_month(self, queryset: QuerySet[CreditCase], name: str, value: str) -> QuerySet[CreditCase]:
        first = parse_month(value)
        if first is None:
            return queryset
        return queryset.filter(occurred_on__gte=first, occurred_on__lte=month_end(first))
