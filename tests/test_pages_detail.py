"""The credit file page: master data, bills with arrears as of today, events, a fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.models import Bill
from customers.services import arrears_as_of
from tests import factories

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def at_today():
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.account_no])


def test_file_shows_master_data(login, clerk_city, city_customer):
    city_customer.legal_representative = "张三"
    city_customer.address = "随州市曾都区交通大道1号"
    city_customer.save()
    html = login(clerk_city).get(detail_url(city_customer)).content.decode()
    for text in (
        city_customer.account_no,
        city_customer.name,
        city_customer.uscc,
        "企业",
        "城市供水公司",
        "2019-01-01",
        "预存",
        "张三",
        "随州市曾都区交通大道1号",
        "录入事件",
        "变更记录",
    ):
        assert text in html
    assert reverse("customers:history", args=[city_customer.account_no]) in html


def test_file_marks_overdue_and_late_bills_and_counts_arrears(login, clerk_city, city_customer, at_today):
    factories.bill(city_customer, "2026-05", amount="120.50", due_on=dt.date(2026, 5, 31))  # overdue, O
    factories.bill(city_customer, "2026-06", amount="80.00", due_on=dt.date(2026, 6, 30))  # overdue
    factories.bill(city_customer, "2026-04", due_on=dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 10))  # late
    factories.bill(city_customer, "2026-03", due_on=dt.date(2026, 3, 31), paid_on=dt.date(2026, 3, 20))  # on time
    response = login(clerk_city).get(detail_url(city_customer))
    html = response.content.decode()
    rows = {r["bill"].period: r for r in response.context["bill_rows"]}
    assert rows["2026-05"]["overdue"] and rows["2026-06"]["overdue"]
    assert not rows["2026-04"]["overdue"] and rows["2026-04"]["paid_late"]
    assert not rows["2026-03"]["overdue"] and not rows["2026-03"]["paid_late"]
    assert "当前欠费 6 个月" in html  # 2026-05-31 + 6 months = 2026-11-30
    assert "200.50" in html
    assert html.count('badge text-bg-danger">逾期<') == 2
    assert html.count("逾期缴纳") == 1


def test_file_with_a_bill_overdue_less_than_a_month_says_so_not_zero_months(login, clerk_city, city_customer, at_today):
    factories.bill(city_customer, "2026-10", amount="99.00", due_on=dt.date(2026, 11, 25))
    html = login(clerk_city).get(detail_url(city_customer)).content.decode()
    assert "逾期欠费（不足 1 个月）" in html and "当前欠费 0 个月" not in html
    assert "逾期账单 1 笔，合计 99.00 元" in html


def test_file_without_arrears_says_so(login, clerk_city, city_customer):
    html = login(clerk_city).get(detail_url(city_customer)).content.decode()
    assert "无逾期欠费" in html and "当前欠费" not in html


def test_arrears_as_of_uses_oldest_overdue_bill():
    c = factories.Customer(account_no="A1")
    bills = [
        Bill(customer=c, period="2026-09", amount=Decimal("10.00"), due_on=dt.date(2026, 9, 10)),
        Bill(
            customer=c,
            period="2026-08",
            amount=Decimal("5.25"),
            due_on=dt.date(2026, 8, 31),
            paid_on=dt.date(2026, 12, 1),
        ),  # paid after the day: still overdue on it
        Bill(customer=c, period="2026-11", amount=Decimal("99.00"), due_on=dt.date(2026, 11, 30)),  # due that day
    ]
    arrears = arrears_as_of(bills, TODAY)
    assert arrears.oldest_due_on == dt.date(2026, 8, 31)
    assert arrears.months == 3  # 2026-08-31 + 3 months = 2026-11-30 <= the day
    assert arrears.total == Decimal("15.25")


def test_file_shows_events_with_status(login, supervisor, city_customer):
    live = factories.event(city_customer, "water_theft", amount=Decimal("5000.00"), note="夜间私接")
    voided = factories.event(
        city_customer,
        "contract_violation",
        voided_at=timezone.now(),
        voided_by=supervisor,
        void_reason="录入错误,重复记录",
    )
    repaired = factories.event(city_customer, "late_payment", repaired_at=timezone.now())
    response = login(supervisor).get(detail_url(city_customer))
    html = response.content.decode()
    assert "窃水" in html and "金额 5,000.00 元" in html and "夜间私接" in html and live.ref in html
    assert f'class="event-voided" data-testid="event-row" data-ref="{voided.ref}"' in html
    assert (
        "已作废" in html and "录入错误,重复记录" in html and "主管 于" in html and "supervisor 于" not in html
    )  # by name, not login
    assert "已修复" in html and repaired.ref in html
    # 作废 is offered for the live events only
    assert reverse("customers:event_void", args=[city_customer.account_no, live.pk]) in html
    assert reverse("customers:event_void", args=[city_customer.account_no, voided.pk]) not in html


def test_clerk_sees_no_void_buttons(login, clerk_city, city_customer):
    event = factories.event(city_customer)
    html = login(clerk_city).get(detail_url(city_customer)).content.decode()
    assert reverse("customers:event_void", args=[city_customer.account_no, event.pk]) not in html
    assert "录入事件" in html


def test_file_query_count_is_fixed(login, supervisor, city_customer, django_assert_max_num_queries):
    client = login(supervisor)
    client.get(detail_url(city_customer))  # warm up
    for i in range(1, 13):
        factories.bill(city_customer, f"2025-{i:02d}", due_on=dt.date(2025, i, 20))
    for _ in range(15):
        factories.event(
            city_customer, created_by=supervisor, voided_at=timezone.now(), voided_by=supervisor, void_reason="x"
        )
        factories.event(city_customer, created_by=supervisor)
    # session, user, groups, companies, customer+company, bills, events+users; then the rating card:
    # its level history (results+runs), overrides, the explanation (facts, bills, events) and the measures;
    # the pledges card (the customer's pledges);
    # the repair card (requests with their restriction releases) and the navigation's count of open requests;
    # the notice card (the customer's notices, the latest run and its result for the prepare button; its
    # breached pledges come from the pledge card's); the credit check card (the customer's checks)
    with django_assert_max_num_queries(19):
        response = client.get(detail_url(city_customer))
    assert response.status_code == 200
    assert len(response.context["events"]) == 30
