"""The queue's filters (django-filter): company, kind, and which requests (open, overdue, decided, all)."""

from __future__ import annotations

import re

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.filters import StyledFilterSet
from customers.models import Company, Customer, company_ids_for

from .models import RepairRequest

OPEN, OVERDUE, DECIDED, ALL = "open", "overdue", "decided", "all"
FULL_NUMBER = re.compile(r"^(XF|YY)-[A-Z]+-\d{8}-\d{4}$")


class RequestFilter(StyledFilterSet):
    # The customer's current company, as the queue's scope and counts (a moved customer's requests go with it).
    company = django_filters.ModelChoiceFilter(
        field_name="customer__company", label=_("供水公司"), queryset=Company.objects.none(), empty_label=_("全部公司")
    )
    kind = django_filters.ChoiceFilter(
        label=_("申请类型"), choices=RepairRequest.Kind.choices, empty_label=_("全部类型")
    )
    state = django_filters.ChoiceFilter(
        label=_("范围"),
        choices=[(OPEN, _("待办（已提交/已受理）")), (OVERDUE, _("已超期")), (DECIDED, _("已办结")), (ALL, _("全部"))],
        empty_label=None,
        method="filter_state",
    )
    q = django_filters.CharFilter(label=_("申请编号/户号/名称"), method="filter_q")

    class Meta:
        model = RepairRequest
        fields = ["company", "kind"]

    def __init__(self, data=None, *args, request=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", OPEN)
        super().__init__(data, *args, request=request, **kwargs)
        self.filters["company"].queryset = Company.objects.filter(pk__in=company_ids_for(request.user))

    def filter_state(self, queryset, name, value):
        today = timezone.localdate()
        if value == OPEN:
            return queryset.filter(status__in=RepairRequest.OPEN_STATUSES)
        if value == OVERDUE:
            return queryset.filter(
                Q(status=RepairRequest.Status.SUBMITTED, accept_by__lt=today)
                | Q(status=RepairRequest.Status.ACCEPTED, decide_by__lt=today)
            )
        if value == DECIDED:
            return queryset.filter(status__in=RepairRequest.DECIDED_STATUSES)
        return queryset

    def filter_q(self, queryset, name, value):
        """A request number (XF-/YY- prefix), else an account-number prefix or a name fragment; each
        an indexed lookup of its own (an OR across the join to customers would scan)."""
        value = value.strip()
        if not value:
            return queryset
        if FULL_NUMBER.match(value.upper()):
            return queryset.filter(number=value.upper())
        if value.upper().startswith(("XF-", "YY-")):
            return queryset.filter(number__startswith=value.upper())
        customers = Customer.objects.filter(Q(account_no__startswith=value) | Q(name__icontains=value))
        return queryset.filter(customer__in=customers.values("pk"))
