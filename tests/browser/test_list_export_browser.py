"""The customer list in a browser: the current level column and filter, sorting, and the Excel download."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ratings.models import LevelOverride
from tests import factories
from tests.browser.conftest import log_in
from tests.test_rating_pages import make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_list_levels_and_excel_download(page: Page, live_server, shot, tmp_path):
    today = timezone.localdate()
    names = [
        "随州市城区示范餐饮有限公司",
        "随州市曾都区示范机械厂",
        "随州市示范洗车行",
        "=1+2 测试公式",
        "随州市新开户商行",
    ]
    customers = [
        factories.customer("city", account_no=f"CS20261{i:02d}", name=name, payment_mode=("prepaid", "postpaid")[i % 2])
        for i, name in enumerate(names)
    ]
    factories.customer("county", account_no="XS2026101", name="随县厉山镇示范食品厂")
    factories.bill(customers[2], "2026-09", amount="3456.70", due_on=today - dt.timedelta(days=60))
    run_day = today.replace(day=1) - dt.timedelta(days=1)
    make_run(
        run_day,
        {customers[0]: "green", customers[1]: ("yellow", "Y1"), customers[2]: ("red", "R2"), customers[3]: "blue"},
    )
    supervisor = factories.user("supervisor", roles=("supervisor",), companies=("city",), first_name="陈静")
    LevelOverride.objects.create(
        customer=customers[1], level="green", reason="核实整改", starts_on=run_day, created_by=supervisor
    )
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="城区客服")
    log_in(page, live_server.url, clerk.username)
    page.goto(f"{live_server.url}/customers/")
    table = page.get_by_test_id("customer-table")
    expect(table).to_contain_text("当前等级")
    expect(table).to_contain_text("人工调整")
    expect(table).not_to_contain_text("随县厉山镇示范食品厂")
    expect(page.get_by_test_id("export-xlsx")).to_be_visible()
    shot("customer-list-levels-export")

    page.select_option("[data-testid=filter-level]", "green")
    page.get_by_test_id("search-submit").click()
    expect(page.locator("[data-testid=customer-table] tbody tr")).to_have_count(2)
    page.get_by_role("link", name="单位名称").click()  # sort by name, filters kept
    expect(page).to_have_url(re.compile(r"level=green.*sort=name|sort=name.*level=green"))
    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").click()
    download = info.value
    assert download.suggested_filename == f"信用档案-{today:%Y%m%d}.xlsx"
    path = tmp_path / "list.xlsx"
    download.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "户号" and "当前等级" in rows[0]
    assert sorted(r[0] for r in rows[1:]) == ["CS2026100", "CS2026101"]

    page.fill("[data-testid=filter-q]", "CS2026102")  # an exact account number opens the file
    page.get_by_test_id("search-submit").click()
    expect(page).to_have_url(f"{live_server.url}/customers/file/CS2026102/")


def test_every_list_has_its_export_buttons(page: Page, live_server, shot):
    from tests.repair_support import lodge

    today = timezone.localdate()
    a = factories.customer("city", account_no="CS2026201", name="随州市城区示范餐饮有限公司")
    b = factories.customer("city", account_no="CS2026202", name="随州市曾都区示范机械厂")
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="城区客服")
    first = today.replace(day=1) - dt.timedelta(days=1)
    previous = first.replace(day=1) - dt.timedelta(days=1)
    make_run(previous, {a: "green", b: "green"})
    run = make_run(first, {a: ("red", "R2"), b: ("yellow", "Y1")})
    lodge(b, clerk, events=[factories.event(b)])
    factories.user("supervisor", roles=("supervisor",), companies=("city", "county"), first_name="陈静")
    log_in(page, live_server.url, "supervisor")
    pages = {
        "level-list-export": f"/ratings/levels/red/?run={run.pk}",
        "run-movers-export": f"/ratings/runs/{run.pk}/?move=down",
        "pledge-coverage-export": "/pledges/coverage/",
        "repair-queue-export": "/repair/",
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        expect(page.get_by_test_id("export-xlsx")).to_be_visible()
        expect(page.get_by_test_id("export-csv")).to_be_visible()
        shot(name)
