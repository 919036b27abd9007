"""Decided repairs wait for the next platform batch as rows of sheet 信用修复, and leave it once reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.uscc import uscc_error
from repair import reporting, services
from tests import factories
from tests.repair_support import lodge, sign_pledge_for

pytestmark = pytest.mark.django_db


def test_decided_repairs_are_queued_as_sheet_rows(clerk_city, supervisor, city_customer):
    company = city_customer.company
    company.registered_name, company.uscc = "随州市城市供水有限公司", factories.uscc(900)
    company.save()
    theft = factories.event(city_customer, "water_theft", amount=Decimal("12000"), occurred_on=dt.date(2026, 5, 3))
    late = factories.bill(city_customer, "2026-03", due_on=dt.date(2026, 4, 25), paid_on=dt.date(2026, 5, 9))
    approved = lodge(city_customer, clerk_city, events=[theft], bills=[late])
    services.accept(approved.pk, user=supervisor)
    sign_pledge_for(approved, clerk_city)
    services.approve(approved.pk, user=supervisor, reason="整改到位")
    rejected = lodge(city_customer, clerk_city, events=[factories.event(city_customer)])
    services.accept(rejected.pk, user=supervisor)
    services.reject(rejected.pk, user=supervisor, reason="未整改")
    refused = lodge(city_customer, clerk_city, events=[factories.event(city_customer)])
    services.refuse(refused.pk, user=supervisor, reason="不属于受理范围")
    objection = lodge(city_customer, clerk_city, kind="objection", events=[factories.event(city_customer)])
    services.accept(objection.pk, user=supervisor)
    services.dismiss(objection.pk, user=supervisor, reason="记录无误")

    rows = reporting.queued_rows()
    assert [r["编号"] for r in rows] == [
        approved.number,
        rejected.number,
    ]  # refusals and objections are not in the sheet
    first = rows[0]
    assert tuple(first) == reporting.COLUMNS
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert first["决定"] == "准予修复" and rows[1]["决定"] == "不予修复"
    assert first["企业名称"] == city_customer.name and uscc_error(first["统一社会信用代码"]) is None
    assert first["申请日期"] == today and first["决定日期"] == today
    assert "窃水(2026-05-03" in first["修复事项"] and "2026-03 账单" in first["修复事项"]
    assert first["决定单位"] == "随州市城市供水有限公司" and first["决定单位代码"] == company.uscc
    assert all(len(v) <= 512 for r in rows for v in r.values())

    assert reporting.mark_reported([approved.number], "202612-01") == 1
    assert [r["编号"] for r in reporting.queued_rows()] == [rejected.number]
    approved.refresh_from_db()
    assert approved.reported_batch == "202612-01" and not approved.queued_for_report
    reporting.requeue(approved.number, "平台退回:修复事项过长")
    assert [r["编号"] for r in reporting.queued_rows()] == [approved.number, rejected.number]
