"""The clerk's and the supervisor's way through the credit file, in a real browser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import AuditEntry, Event
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def file_data(transactional_db):
    """A city customer with two overdue bills, a late-paid one and one event; a county customer."""
    today = timezone.localdate()
    customer = factories.customer(
        "city",
        account_no="CS2026001",
        name="随州市城区示范餐饮有限公司",
        legal_representative="王建国",
        phone="0722-3456789",
        address="随州市曾都区烈山大道88号",
        payment_mode="postpaid",
    )
    for months_ago in (1, 2, 3, 4):
        due = (today.replace(day=1) - dt.timedelta(days=30 * months_ago)).replace(day=25)
        paid = None if months_ago <= 2 else (due + dt.timedelta(days=12 if months_ago == 3 else -3))
        factories.bill(customer, f"{due:%Y-%m}", amount="1286.40", due_on=due, paid_on=paid)
    factories.event(customer, "contract_violation", occurred_on=today - dt.timedelta(days=40), note="擅自改变用水性质")
    factories.customer("county", account_no="XS2026001", name="随县厉山镇示范食品厂")
    return customer


def test_clerk_searches_opens_file_and_records_events(page: Page, live_server, shot, clerk_city, file_data):
    base = live_server.url
    page.goto(f"{base}/customers/")
    expect(page.locator("#id_username")).to_be_visible()  # sent to the login page
    shot("01-login")
    log_in(page, base, "clerk_city")
    page.goto(f"{base}/customers/")  # after signing in a clerk lands on the dashboard

    # search by a name fragment; the county customer with a similar name stays hidden
    page.fill("[data-testid=filter-q]", "示范")
    page.click("[data-testid=search-submit]")
    table = page.locator("[data-testid=customer-table]")
    expect(table).to_contain_text("CS2026001")
    expect(table).not_to_contain_text("XS2026001")
    expect(page.locator("[data-testid=result-count]")).to_contain_text("共 1 户")
    shot("02-list-search")

    page.click("text=CS2026001")
    expect(page.locator("[data-testid=customer-name]")).to_have_text("随州市城区示范餐饮有限公司")
    expect(page.locator("[data-testid=arrears-months]")).to_contain_text("当前欠费")
    expect(page.locator("[data-testid=bills]")).to_contain_text("逾期缴纳")
    shot("03-file")

    # record a theft: the amount field appears only once the type asks for it
    page.click("[data-testid=record-event]")
    amount_group = page.locator("[data-event-field=amount]")
    expect(amount_group).to_be_hidden()
    page.select_option("#id_type", "water_theft")
    expect(amount_group).to_be_visible()
    expect(page.locator("[data-event-field=pipe_diameter_mm]")).to_be_hidden()
    page.fill("#id_amount", "3650.00")
    page.fill("#id_occurred_on", (timezone.localdate() - dt.timedelta(days=2)).isoformat())
    page.fill("#id_note", "夜间绕表私接用水")
    shot("04-event-form")
    page.click("[data-testid=event-submit]")
    expect(page.locator(".alert-success")).to_contain_text("已录入事件")
    event = Event.objects.get(type="water_theft")
    assert event.amount == Decimal("3650.00") and event.created_by.username == "clerk_city"
    row = page.locator(f"[data-ref='{event.ref}']")
    expect(row).to_contain_text("窃水")
    expect(row).to_contain_text("金额 3,650.00 元")
    expect(row).to_contain_text("有效")
    assert AuditEntry.objects.filter(model="event", actor="clerk_city", object_id=event.ref).exists()

    # a bad event: theft without amount, dated tomorrow -> errors by the fields, nothing saved
    page.click("[data-testid=record-event]")
    page.select_option("#id_type", "water_theft")
    page.fill("#id_occurred_on", (timezone.localdate() + dt.timedelta(days=1)).isoformat())
    page.click("[data-testid=event-submit]")
    expect(page.locator("#error_1_id_amount")).to_contain_text("此类型必须填写")
    expect(page.locator("#error_1_id_occurred_on")).to_contain_text("不能晚于今天")
    expect(page.locator("[data-event-field=amount]")).to_be_visible()
    shot("05-event-form-errors")
    assert Event.objects.filter(type="water_theft").count() == 1

    # another company's file is a plain Chinese 404
    page.goto(f"{base}/customers/file/XS2026001/")
    expect(page.locator("h1")).to_have_text("页面不存在")
    shot("08-not-found")


def test_supervisor_voids_an_event_and_reads_the_history(page: Page, live_server, shot, supervisor, file_data):
    base = live_server.url
    log_in(page, base, "supervisor")
    page.goto(f"{base}/customers/file/{file_data.account_no}/")
    page.click("[data-testid=void-link]")
    expect(page.locator("[data-testid=void-event]")).to_contain_text("违约用水")
    page.click("[data-testid=void-submit]")  # no reason
    expect(page.locator("#error_1_id_reason")).to_contain_text("必填")
    shot("06-void-confirm-error")
    page.fill("#id_reason", "该客户已办理用水性质变更,记录有误")
    page.click("[data-testid=void-submit]")
    expect(page.locator(".alert-success")).to_contain_text("已作废")
    row = page.locator("[data-testid=event-row]").first
    expect(row).to_have_class("event-voided")
    expect(row).to_contain_text("已作废")
    expect(row).to_contain_text("记录有误")
    shot("07-file-voided")

    page.click("[data-testid=history-link]")
    history = page.locator("[data-testid=history]")
    expect(history).to_contain_text("作废")
    expect(history).to_contain_text("主管")  # the person by name, not the username
    expect(history).to_contain_text("作废原因")
    shot("09-history")


def test_clerk_gets_chinese_403_on_void(page: Page, live_server, shot, clerk_city, file_data):
    event = Event.objects.get(customer=file_data)
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/customers/file/{file_data.account_no}/events/{event.pk}/void/")
    expect(page.locator("h1")).to_have_text("无权操作")
    shot("10-forbidden")


def test_long_list_pages_without_a_total(page: Page, live_server, shot, clerk_city):
    for i in range(120):
        factories.customer("city", account_no=f"L{i:05d}", name=f"随州市曾都区测试用水单位{i}号有限公司")
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("[data-testid=customer-table] tbody tr")).to_have_count(50)
    page.click("text=下一页")
    expect(page.locator("[data-testid=customer-table]")).to_contain_text("L00050")
    page.select_option("[data-testid=filter-overdue]", "1")
    page.click("[data-testid=search-submit]")
    expect(page.locator("[data-testid=customer-table]")).to_contain_text("没有符合条件的客户")
    page.go_back()
    shot("11-list-page-2")
