"""Filters of the pledge list (django-filter); the queryset given is already scoped to the user."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from customers.filters import StyledFilterSet
from customers.models import Company, company_ids_for

from .models import Pledge, PledgeKind, PledgeSource, PledgeState


def _user_companies(request) -> QuerySet[Company]:
    if request is None:
        return Company.objects.none()
    return Company.objects.filter(id__in=company_ids_for(request.user))


class PledgeFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_q",
        widget=forms.TextInput(
            attrs={"placeholder": _("承诺编码、户号、单位名称或统一社会信用代码"), "type": "search"}
        ),
    )
    company = django_filters.ModelChoiceFilter(label=_("所属公司"), queryset=_user_companies, empty_label=_("全部公司"))
    state = django_filters.ChoiceFilter(label=_("状态"), choices=PledgeState.choices, empty_label=_("全部状态"))
    kind = django_filters.ChoiceFilter(label=_("承诺类型"), choices=PledgeKind.choices, empty_label=_("全部类型"))
    source = django_filters.ChoiceFilter(label=_("来源"), choices=PledgeSource.choices, empty_label=_("全部来源"))

    class Meta:
        model = Pledge
        fields = ["q", "company", "state", "kind", "source"]

    def filter_q(self, queryset: QuerySet[Pledge], name: str, value: str) -> QuerySet[Pledge]:
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__startswith=value)
            | Q(customer__account_no__startswith=value)
            | Q(customer_uscc__startswith=value.upper())
            | Q(customer_name__icontains=value)
        )
