"""The pledge list table (django-tables2)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Pledge

STATE_BADGES = {
    "prepared": "text-bg-light border",
    "printed": "text-bg-secondary",
    "signed": "text-bg-primary",
    "fulfilled": "text-bg-success",
    "breached": "text-bg-danger",
    "revoked": "text-bg-dark",
}


class PledgeTable(tables.Table):
    # 打印所选: a box on each pledge that can still be printed (prepared or printed, not a paper one).
    pick = tables.Column(verbose_name="", accessor="pk", orderable=False, empty_values=())
    number = tables.Column(
        verbose_name=_("承诺编码"), accessor="pk", linkify=True, attrs={"td": {"class": "font-monospace text-nowrap"}}
    )
    customer = tables.Column(
        verbose_name=_("户号"), accessor="customer__account_no", attrs={"td": {"class": "text-nowrap"}}
    )
    customer_name = tables.Column(verbose_name=_("单位名称"))
    kind = tables.Column(verbose_name=_("承诺类型"), attrs={"td": {"class": "text-nowrap"}})
    company = tables.Column(
        verbose_name=_("所属公司"), accessor="company__name", attrs={"td": {"class": "text-nowrap"}}
    )
    state = tables.Column(verbose_name=_("状态"), attrs={"td": {"class": "text-nowrap"}})
    signed_on = tables.DateColumn(verbose_name=_("签署日期"), format="Y-m-d", attrs={"td": {"class": "text-nowrap"}})
    created_at = tables.DateTimeColumn(
        verbose_name=_("生成时间"), format="Y-m-d H:i", attrs={"td": {"class": "text-nowrap"}}
    )

    class Meta:
        model = Pledge
        fields = ("pick", "number", "customer", "customer_name", "kind", "company", "state", "signed_on", "created_at")
        orderable = False
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "data-testid": "pledge-table"}
        empty_text = _("没有符合条件的承诺书")
        row_attrs = {"data-testid": "pledge-row", "data-pk": lambda record: record.pk}

    def render_pick(self, record: Pledge) -> str:
        if record.state not in ("prepared", "printed") or record.is_paper:
            return ""
        return format_html(
            '<input class="form-check-input" type="checkbox" name="pledge" value="{}" form="print-selected" '
            'id="pick-{}" aria-label="{}">',
            record.pk,
            record.pk,
            _("选择 %(no)s") % {"no": record.display_number},
        )

    def render_number(self, record: Pledge) -> str:
        return record.display_number

    def render_kind(self, record: Pledge) -> str:
        if record.is_paper:
            return format_html(
                '{} <span class="badge text-bg-warning" data-testid="paper-badge">{}</span>',
                record.get_kind_display(),
                record.get_source_display(),
            )
        return record.get_kind_display()

    def render_state(self, record: Pledge) -> str:
        return format_html(
            '<span class="badge {}" data-testid="pledge-state">{}</span>',
            STATE_BADGES.get(record.state, "text-bg-light"),
            record.get_state_display(),
        )
