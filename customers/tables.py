"""The customer list table (django-tables2) and its export rows.

Sortable by account number (the default, the indexed key), name, company, current level and
opening date; the list shows 50 rows, and the current level is an annotation (`with_list_columns`)
read for those rows only through the unique (run, customer) index of the results.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import django_tables2 as tables
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models import Value as V
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import levels
from .levels import LEVEL_RANK, NO_LEVEL_TEXT
from .models import Bill, Customer


def with_list_columns(queryset: QuerySet[Customer], run, day: datetime.date | None = None) -> QuerySet[Customer]:
    """The list's computed columns: `current_level` (effective level in `run`, NULL when not rated in it),
    `result_level` (the stored one) and `arrears` (overdue unpaid amount as of `day`, default today).

    The levels come from the registered level provider (`customers.levels`; the ratings app's)."""
    day = day or timezone.localdate()
    overdue = (
        Bill.objects.filter(customer=OuterRef("pk"), due_on__lt=day)
        .filter(Q(paid_on__isnull=True) | Q(paid_on__gt=day))
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    queryset = queryset.annotate(arrears=Subquery(overdue, output_field=DecimalField(max_digits=16, decimal_places=2)))
    if run is None:
        return queryset.annotate(
            result_level=V(None, output_field=CharField()), current_level=V(None, output_field=CharField())
        )
    return levels.provider().annotate(queryset, run)


def _level_rank_expr() -> Case:
    return Case(
        *[When(current_level=level, then=V(rank)) for level, rank in LEVEL_RANK.items()],
        default=V(len(LEVEL_RANK)),  # 未评级 last
        output_field=IntegerField(),
    )


class LevelColumn(tables.Column):
    def render(self, value, record):
        badge = levels.provider().badge(value)
        if value and getattr(record, "override_level", None):
            return format_html('{} <span class="badge text-bg-dark">{}</span>', badge, _("人工调整"))
        return badge


class CustomerTable(tables.Table):
    """One row per customer; the account number links to the credit file."""

    account_no = tables.Column(verbose_name=_("户号"), linkify=True, attrs={"td": {"class": "text-nowrap"}})
    name = tables.Column(verbose_name=_("单位名称"))
    uscc = tables.Column(
        verbose_name=_("统一社会信用代码"), orderable=False, attrs={"td": {"class": "font-monospace text-nowrap"}}
    )
    kind = tables.Column(verbose_name=_("主体类型"), orderable=False, attrs={"td": {"class": "text-nowrap"}})
    company = tables.Column(
        verbose_name=_("所属公司"),
        accessor="company__name",
        order_by=("company__name", "account_no"),
        attrs={"td": {"class": "text-nowrap"}},
    )
    payment_mode = tables.Column(verbose_name=_("缴费方式"), orderable=False, attrs={"td": {"class": "text-nowrap"}})
    current_level = LevelColumn(
        verbose_name=_("当前等级"), empty_values=(), attrs={"td": {"class": "text-nowrap", "data-testid": "level-cell"}}
    )
    arrears = tables.Column(
        verbose_name=_("逾期欠费（元）"), orderable=False, attrs={"td": {"class": "text-end text-nowrap"}}
    )
    opened_on = tables.DateColumn(
        verbose_name=_("立户日期"),
        format="Y-m-d",
        order_by=("opened_on", "account_no"),
        attrs={"td": {"class": "text-nowrap"}},
    )

    class Meta:
        model = Customer
        fields = (
            "account_no",
            "name",
            "uscc",
            "kind",
            "company",
            "payment_mode",
            "current_level",
            "arrears",
            "opened_on",
        )
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "data-testid": "customer-table"}
        empty_text = _("没有符合条件的客户")
        per_page = 50

    def render_arrears(self, value):
        return f"{value:,.2f}" if value else "—"

    def order_name(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}name", f"{prefix}account_no"), True

    def order_current_level(self, queryset, is_descending):
        rank = _level_rank_expr()
        ordered = queryset.annotate(level_rank=rank).order_by(
            F("level_rank").desc() if is_descending else F("level_rank").asc(), "account_no"
        )
        return ordered, True


def export_columns() -> list[str]:
    """The page's headers, in the page's order."""
    return [str(column.header) for column in CustomerTable([]).columns]


def export_rows(queryset: QuerySet[Customer], chunk_size: int) -> Iterator[list]:
    """The page's rows (choices by label, level by name), one customer at a time from a server-side cursor."""
    labels = levels.LEVEL_LABELS
    kinds = dict(Customer._meta.get_field("kind").flatchoices)
    modes = dict(Customer.PAYMENT_MODE_CHOICES)
    for c in queryset.iterator(chunk_size=chunk_size):
        level = str(labels.get(c.current_level, c.current_level)) if c.current_level else NO_LEVEL_TEXT
        if c.current_level and getattr(c, "override_level", None):
            level += "（人工调整）"
        yield [
            c.account_no,
            c.name,
            c.uscc,
            str(kinds.get(c.kind, c.kind)),
            c.company.name,
            str(modes.get(c.payment_mode, c.payment_mode)),
            level,
            c.arrears if c.arrears else "",
            c.opened_on,
        ]
