"""A clerk records a 信用核查 from the credit file (a check without 核查内容 is refused naming the field), with the
report attached; the dishonesty it found becomes an event in one step from the check's page; the file's card
and the list show it; the list filters and downloads 信用核查应用反馈; screenshots."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import Event
from pledges.demo import tiny_scan_pdf
from reporting.models import CreditCheck
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_records_a_check_and_turns_its_dishonesty_into_an_event(
    page: Page, live_server, shot, clerk_city, tmp_path
):
    base = live_server.url
    customer = factories.customer("city", account_no="CK2026001", name="随州市曾都区示范建材有限公司")
    other = factories.customer("county", account_no="XK2026001", name="随县示范农资经营部")
    report = tmp_path / "公共信用信息报告.pdf"
    report.write_bytes(tiny_scan_pdf("public credit report"))
    log_in(page, base, "clerk_city")

    page.goto(f"{base}/customers/file/{customer.account_no}/")
    card = page.locator("[data-testid=check-card]")
    expect(card).to_contain_text("暂无信用核查记录")
    card.locator("[data-testid=check-new]").click()

    today = timezone.localdate().isoformat()
    page.fill("#id_checked_on", today)
    page.select_option("#id_matter", label="增容")
    page.select_option("#id_result", label="有失信记录")
    page.select_option("#id_usage", label="加强监管")
    page.fill("#id_note", "2026年10月被市市场监管局列入经营异常名录后又有行政处罚一条")
    page.set_input_files("#id_attachment", str(report))
    page.click("[data-testid=check-submit]")  # no 核查内容 ticked
    expect(page.locator("[data-testid=form-errors]")).to_be_visible()
    expect(page.locator("[data-testid=check-form]")).to_contain_text("请至少选择一项核查内容")
    shot("check-01-refused")
    assert not CreditCheck.objects.exists()

    page.check("input[name=sources][value=report]")
    page.check("input[name=sources][value=xyzg]")
    page.set_input_files("#id_attachment", str(report))  # a file input is empty again after a refused post
    page.click("[data-testid=check-submit]")
    check = CreditCheck.objects.get(customer=customer)
    expect(page.locator("[data-testid=check-number]")).to_have_text(check.number)
    expect(page.locator("[data-testid=check-data]")).to_contain_text("公共信用信息报告、信用中国查询")
    expect(page.locator("[data-testid=check-attachment]")).to_have_text("公共信用信息报告.pdf")
    expect(page.locator("[data-testid=check-event]")).to_contain_text("尚未登记为信用事件")
    shot("check-02-recorded")

    page.click("[data-testid=check-make-event]")
    expect(page.locator("[data-testid=event-from-check]")).to_contain_text(check.number)
    expect(page.locator("#id_type")).to_have_value("dishonesty_general")
    expect(page.locator("#id_occurred_on")).to_have_value(today)
    expect(page.locator("#id_note")).to_contain_text("行政处罚一条")
    shot("check-03-event-form")
    page.click("[data-testid=event-submit]")

    event = Event.objects.get(customer=customer)
    expect(page.locator(f"[data-testid=event-row][data-ref={event.ref}]")).to_contain_text("一般失信行为")
    row = page.locator(f"[data-testid=check-card-row][data-number={check.number}]")
    expect(row).to_contain_text("有失信记录")
    expect(row).to_contain_text(f"已登记事件 {event.ref}")
    row.scroll_into_view_if_needed()
    shot("check-04-credit-file")

    from reporting import checks
    from reporting.models import CheckMatter

    checks.record_check(
        other,
        checked_on=timezone.localdate(),
        matter=CheckMatter.objects.get(name="新装用水"),
        sources=["licence"],
        result="clean",
        usage="fast_track",
        user=factories.user("clerk_x", roles=("clerk",), companies=("county",)),
    )
    page.click("[data-testid=nav-work]")
    expect(page.locator("[data-testid=check-row]")).to_have_count(1)  # the county's check is not the city clerk's
    page.select_option("[data-testid=filter-result]", label="无不良记录")
    page.click("[data-testid=check-filter-submit]")
    expect(page.locator("[data-testid=check-none]")).to_be_visible()
    page.select_option("[data-testid=filter-result]", label="有失信记录")
    page.click("[data-testid=check-filter-submit]")
    expect(page.locator(f"[data-testid=check-row][data-number={check.number}]")).to_contain_text("加强监管")
    shot("check-05-list")

    with page.expect_download() as download_info:
        page.click("[data-testid=export-xlsx]")
    download = download_info.value
    assert download.suggested_filename.startswith("信用核查应用反馈-")
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == check.number and event.ref in rows[1]
