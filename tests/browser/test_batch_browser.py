"""The month's 信易供水 batch in a real browser, as a new supervisor does it (issue 9's "done when"): open
信用报送, build 2026-11, wait for the progress, read what is held back and why, fix it (the 告知书 of a yellow
customer on the notice page; the county company's registered name in the admin, by the administrator),
rebuild and see fewer held rows, 导出并下载 (the workbook opened with openpyxl), mark it 已报送, upload the
platform's return file, see the returned row, build the period again and find the row in 202611-02."""

from __future__ import annotations

import datetime as dt
import importlib

import openpyxl
import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import Company
from pledges.models import PledgeTemplate
from reporting.models import Batch, BatchRow, BatchStatus, Sheet
from tests import factories
from tests.browser.conftest import log_in
from tests.test_batch_build import run_with, set_units, signed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUILD_WAIT = 60_000  # ms: the build runs on the Celery worker (or eagerly without REDIS_URL)


@pytest.fixture
def month(transactional_db, clerk_city):
    """City: a green customer and a yellow one never told in writing; county: a green customer, and the
    county company has no registered name yet. All signed pledges in 2026-11; the month-end run rated them."""
    if not PledgeTemplate.objects.exists():  # flushed by an earlier transactional test
        importlib.import_module("pledges.migrations.0002_template_versions").create_templates(apps, None)
    set_units(county_name="")
    good = factories.customer("city", account_no="CB2026001", name="随州市守信示范餐饮有限公司")
    yellow = factories.customer("city", account_no="CB2026002", name="随州市曾都区黄牌商贸有限公司")
    county = factories.customer("county", account_no="XB2026001", name="随县厉山镇示范食品厂")
    for c in (good, yellow, county):
        signed(c, clerk_city, on=dt.date(2026, 11, 10))
    run_with({good: "green", yellow: "yellow", county: "green"}, as_of=dt.date(2026, 11, 30))
    return {"good": good, "yellow": yellow, "county": county}


def wait_built(page: Page, held: str) -> None:
    """The page polls the build and reloads itself when it is done; then the held count shows."""
    expect(page.locator("[data-testid=batch-progress]")).to_have_count(0, timeout=BUILD_WAIT)
    expect(page.locator("[data-testid=held-total]")).to_have_text(held)


def test_supervisor_builds_fixes_exports_submits_and_resends_a_returned_row(
    page: Page, live_server, shot, supervisor, month, celery_worker_or_eager, tmp_path
):
    base = live_server.url
    factories.user(
        "sysadmin",
        roles=("admin",),
        companies=("city", "county"),
        is_staff=True,
        is_superuser=True,
        first_name="管理员",
    )
    good, yellow, county = month["good"], month["yellow"], month["county"]

    # 信用报送 from the nav; the month picker offers the last finished month
    log_in(page, base, "supervisor")
    shot("batch-00-dashboard")
    page.click("[data-testid=nav-reporting]")
    expect(page.locator("[data-testid=no-batches]")).to_be_visible()
    page.fill("[data-testid=build-period]", "2026-11")
    shot("batch-01-list-empty")
    page.click("[data-testid=build-submit]")
    expect(page.locator(".alert-success")).to_contain_text("已开始生成 2026-11 的报送批次 202611-01")
    expect(page.locator("[data-testid=nav-reporting]")).to_have_class("nav-link active")

    # what is held back and why
    wait_built(page, "3")
    expect(page.locator("[data-testid=batch-number]")).to_have_text("202611-01")
    expect(page.locator("[data-testid=batch-status]")).to_have_text("草稿")
    yellow_row = page.locator(f"[data-testid=held-row][data-key='{yellow.uscc}']")
    expect(yellow_row).to_contain_text("等级: 未书面告知")
    expect(yellow_row).to_contain_text(yellow.name)
    county_rows = page.locator("[data-testid=held-row]", has_text=county.name)
    expect(county_rows).to_have_count(2)  # its pledge and its level
    expect(county_rows.first).to_contain_text("尚未设置登记名称")
    expect(county_rows.first).to_contain_text("请联系系统管理员设置")  # the supervisor is no administrator
    expect(page.locator("[data-testid=action-export]")).to_be_visible()
    expect(page.locator("[data-testid=download-xlsx]")).to_contain_text("预览（尚未导出）")
    shot("batch-02-built-held")

    # the yellow customer's notice: prepared from the held row, delivered, recorded on the notice page
    yellow_row.locator("[data-testid=fix-notice]").click()
    expect(page.locator("[data-testid=notice-state]")).to_have_text("待送达")
    page.fill("#id_given_on", timezone.localdate().isoformat())
    page.check("input[name=method][value=in_person]")
    page.click("[data-testid=given-submit]")
    expect(page.locator("[data-testid=notice-state]")).to_have_text("已送达")
    shot("batch-03-notice-given")

    # rebuild: one row fewer
    page.goto(f"{base}/reporting/batches/202611-01/")
    page.click("[data-testid=rebuild]")
    wait_built(page, "2")
    expect(page.locator(f"[data-testid=held-row][data-key='{yellow.uscc}']")).to_have_count(0)
    shot("batch-04-rebuilt-fewer")

    # the administrator follows the company row's link to the admin and sets the registered name
    page.context.clear_cookies()
    log_in(page, base, "sysadmin")
    page.goto(f"{base}/reporting/batches/202611-01/")
    page.locator("[data-testid=held-row]", has_text=county.name).first.locator("[data-testid=fix-link]").filter(
        has_text="设置"
    ).click()
    page.fill("#id_registered_name", "随县供水有限公司")
    shot("batch-05-admin-company")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    assert Company.objects.get(code="county").registered_name == "随县供水有限公司"

    # the supervisor rebuilds: nothing held back; 导出并下载
    page.context.clear_cookies()
    log_in(page, base, "supervisor")
    page.goto(f"{base}/reporting/batches/202611-01/")
    page.click("[data-testid=rebuild]")
    wait_built(page, "0")
    expect(page.locator("[data-testid=no-held]")).to_be_visible()
    shot("batch-06-nothing-held")
    with page.expect_download() as download_info:
        page.click("[data-testid=action-export]")
    download = download_info.value
    assert download.suggested_filename == "202611-01.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["信用承诺", "履约践诺", "信用评价", "信用修复"]
    rating = [list(r) for r in book["信用评价"].iter_rows(values_only=True)]
    assert rating[0][:2] == ["企业名称", "统一社会信用代码"]
    assert {r[1] for r in rating[1:]} == {good.uscc, yellow.uscc, county.uscc}
    assert all(isinstance(v, str) for r in rating for v in r if v is not None)
    expect(page.locator("[data-testid=batch-status]")).to_have_text("已导出", timeout=10_000)  # the page reloads
    shot("batch-07-exported")

    # 标记为已报送
    page.click("[data-testid=action-submit]")
    expect(page.locator(".alert-success")).to_contain_text("已报送")
    expect(page.locator("[data-testid=batch-status]")).to_have_text("已报送")
    expect(page.locator("[data-testid=return-form]")).to_be_visible()
    shot("batch-08-submitted")

    # the platform's return file names the green customer's 信用评价 row
    returned = tmp_path / "平台退回-202611.csv"
    returned.write_text(
        f"工作表,主键,错误原因\r\n信用评价,{good.uscc},企业名称与登记信息不一致\r\n", encoding="utf-8-sig"
    )
    page.set_input_files("[data-testid=return-file]", str(returned))
    page.click("[data-testid=return-submit]")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-testid=batch-status]")).to_have_text("部分退回")
    row = page.locator(f"[data-testid=returned-row][data-key='{good.uscc}']")
    expect(row).to_contain_text("企业名称与登记信息不一致")
    expect(row.locator("[data-testid=fix-link]")).to_have_attribute("href", f"/customers/file/{good.account_no}/")
    shot("batch-09-returned")

    # build the period again: a new number carrying the returned row
    page.click("[data-testid=nav-reporting]")
    page.fill("[data-testid=build-period]", "2026-11")
    page.click("[data-testid=build-submit]")
    expect(page.locator("[data-testid=batch-number]")).to_have_text("202611-02")
    wait_built(page, "0")
    expect(page.locator("[data-testid=counts] [data-testid=count-rating] [data-testid=included]")).to_have_text("1")
    expect(page.locator("[data-testid=counts] [data-testid=count-pledge] [data-testid=included]")).to_have_text("0")
    shot("batch-10-next-batch")
    second = Batch.objects.get(number="202611-02")
    keys = list(
        BatchRow.objects.filter(batch=second, generation=second.generation, sheet=Sheet.RATING).values_list(
            "key", flat=True
        )
    )
    assert keys == [good.uscc] and second.status == BatchStatus.DRAFT

    page.click("[data-testid=nav-reporting]")
    expect(page.locator("[data-testid=batch-row]")).to_have_count(2)
    shot("batch-11-list")


def test_the_batch_page_polls_a_queued_build_and_reloads_when_it_is_done(
    page: Page, live_server, shot, supervisor, month
):
    from reporting import services

    base = live_server.url
    batch = services.start_build(dt.date(2026, 11, 1), user=supervisor, enqueue=False)  # queued, no worker
    log_in(page, base, "supervisor")
    page.goto(f"{base}/reporting/batches/{batch.number}/")
    expect(page.locator("[data-testid=build-state]")).to_have_text("排队中")
    expect(page.locator("[data-testid=progress-text]")).to_contain_text("已完成 0%")
    expect(page.locator("[data-testid=action-export]")).to_have_count(0)
    shot("batch-12-queued-progress")
    services.run_build(batch.pk)  # the worker's part; the page notices and reloads itself
    wait_built(page, "3")
    expect(page.locator("[data-testid=action-export]")).to_be_visible()
