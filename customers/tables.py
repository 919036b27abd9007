"""The customer list table (django-tables2): fixed order by account number, the indexed key."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Customer


class CustomerTable(tables.Table):
    """One row per customer; the account number links to the credit file. Not re-sortable:
    sorting a million rows by name would bypass the index the list relies on."""

    account_no = tables.Column(verbose_name=_("户号"), linkify=True, attrs={"td": {"class": "text-nowrap"}})
    name = tables.Column(verbose_name=_("单位名称"))
    uscc = tables.Column(verbose_name=_("统一社会信用代码"), attrs={"td": {"class": "font-monospace text-nowrap"}})
    kind = tables.Column(verbose_name=_("主体类型"), attrs={"td": {"class": "text-nowrap"}})
    company = tables.Column(
        verbose_name=_("所属公司"), accessor="company__name", attrs={"td": {"class": "text-nowrap"}}
    )
    payment_mode = tables.Column(verbose_name=_("缴费方式"), attrs={"td": {"class": "text-nowrap"}})
    opened_on = tables.DateColumn(verbose_name=_("立户日期"), format="Y-m-d", attrs={"td": {"class": "text-nowrap"}})

    class Meta:
        model = Customer
        fields = ("account_no", "name", "uscc", "kind", "company", "payment_mode", "opened_on")
        orderable = False
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "data-testid": "customer-table"}
        empty_text = _("没有符合条件的客户")
        per_page = 50
