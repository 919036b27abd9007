"""Forms of the 宣传与工作动态 pages: logging an item (files through repair's checked multi-file field) and
the list's filters."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from customers.filters import StyledFilterSet
from customers.models import Company, company_ids_for
from repair.forms import EvidenceField

from .forms_cases import MonthFilter, month_end, parse_month
from .models_publicity import Occasion, PublicityChannel, PublicityItem, PublicityKind


class PublicityForm(forms.Form):
    company = forms.ModelChoiceField(
        label=_("所属公司"),
        queryset=Company.objects.none(),
        empty_label=None,
        error_messages={"required": _("请选择所属公司"), "invalid_choice": _("请选择您所属的公司")},
    )
    published_on = forms.DateField(
        label=_("日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": _("请填写日期"), "invalid": _("日期格式不正确，应为 YYYY-MM-DD")},
        help_text=_("推送、发布或活动的日期"),
    )
    kind = forms.ChoiceField(
        label=_("类别"),
        choices=[("", _("请选择类别")), *PublicityKind.choices],
        error_messages={"required": _("请选择类别"), "invalid_choice": _("请选择类别")},
    )
    occasion = forms.ModelChoiceField(
        label=_("宣传节点"),
        queryset=Occasion.objects.filter(active=True),
        required=False,
        empty_label=_("无（日常）"),
        error_messages={"invalid_choice": _("所选宣传节点不存在或已停用")},
    )
    channels = forms.MultipleChoiceField(
        label=_("宣传渠道"),
        choices=PublicityChannel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个宣传渠道"), "invalid_choice": _("宣传渠道无效")},
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=200,
        error_messages={"required": _("请填写标题"), "max_length": _("标题不能超过 %(limit_value)d 个字")},
    )
    text = forms.CharField(
        label=_("内容"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("请填写内容"), "max_length": _("内容不能超过 %(limit_value)d 个字")},
    )
    link = forms.URLField(
        label=_("链接"),
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": _("链接格式不正确，应为 https://… 的网址")},
        help_text=_("公众号文章或网站新闻的网址（可不填）"),
    )
    files = EvidenceField(label=_("照片或文件"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(id__in=company_ids_for(user)).order_by("id")

    def item_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "published_on": data["published_on"],
            "kind": data["kind"],
            "occasion": data.get("occasion"),
            "channels": data["channels"],
            "title": data["title"],
            "text": data["text"],
            "link": data.get("link") or "",
            "files": data.get("files") or [],
        }


def _user_companies(request) -> QuerySet[Company]:
    if request is None:
        return Company.objects.none()
    return Company.objects.filter(id__in=company_ids_for(request.user))


class PublicityFilter(StyledFilterSet):
    company = django_filters.ModelChoiceFilter(label=_("所属公司"), queryset=_user_companies, empty_label=_("全部公司"))
    month = MonthFilter(
        label=_("月份"),
        method="filter_month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=PublicityKind.choices, empty_label=_("全部类别"))
    occasion = django_filters.ModelChoiceFilter(
        label=_("宣传节点"), queryset=Occasion.objects.all(), empty_label=_("全部节点")
    )

    class Meta:
        model = PublicityItem
        fields = ["company", "month", "kind", "occasion"]

    def filter_month(self, queryset, name, value):
        first = parse_month(value)
        if first is None:
            return queryset
        return queryset.filter(published_on__gte=first, published_on__lte=month_end(first))
