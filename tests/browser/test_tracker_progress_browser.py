"""The tracker's monthly progress in Chromium: a city clerk opens the grid, reports on task 4 with the figures
filled in (an empty text first: the reason in Chinese), the 客户服务中心 comments, reads the yearly summary and
the monthly work report and opens its PDF; screenshots of each page."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ratings.models import RatingRun, RunLevelCount
from tests import factories
from tests.browser.conftest import log_in
from tests.pledge_support import signed_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_unit_reports_and_the_service_center_comments(page: Page, live_server, shot, clerk_city, service_center):
    today = timezone.localdate()
    key = f"{today:%Y-%m}"
    signed_on(factories.customer("city"), clerk_city, today)
    factories.customer("city")
    run = RatingRun.objects.create(as_of=today, status=RatingRun.Status.SUCCEEDED)
    for code, level, n in (("city", "green", 120), ("city", "blue", 40), ("city", "red", 3), ("county", "yellow", 30)):
        RunLevelCount.objects.create(run=run, company=factories.company(code), level=level, n=n)

    log_in(page, live_server.url, "clerk_city")
    page.click("[data-testid=nav-work]")
    page.click("[data-testid=work-nav-tracker]")
    page.click("[data-testid=tracker-nav-progress]")
    row = page.locator("[data-testid=progress-row][data-task='4'][data-unit='城市供水公司']")
    expect(row.locator(f"[data-month='{key}']")).to_have_attribute("data-state", "due")
    shot("tracker-02-grid-before")
    row.locator(f"[data-month='{key}'] a").click()
    expect(page.locator("[data-testid=figures-card]")).to_contain_text("本月签订信用承诺书（份）")
    expect(page.locator("[data-testid=figures-card]")).to_contain_text("50.0%")
    page.click("[data-testid=report-submit]")
    expect(page.locator("[data-testid=report-form]")).to_contain_text("请填写推进情况")
    shot("tracker-03-report-empty")
    page.fill("textarea[name=text]", "本月完成一户信用承诺书签订，覆盖率达到50%，下月继续推进。")
    page.click("[data-testid=report-submit]")
    expect(page.locator("[data-testid=report-status]")).to_have_text("已报送")
    expect(page.locator("[data-testid=report-text]")).to_contain_text("覆盖率达到50%")
    shot("tracker-04-report-sent")

    page.context.clear_cookies()
    log_in(page, live_server.url, "service_center")
    page.goto(f"{live_server.url}/reporting/tracker/progress/")
    cell = page.locator(f"[data-testid=progress-row][data-task='4'][data-unit='城市供水公司'] [data-month='{key}']")
    expect(cell).to_have_attribute("data-state", "reported")
    cell.locator("a").click()
    expect(page.locator("[data-testid=report-form]")).to_have_count(0)
    page.fill("textarea[name=comment]", "签订进度符合要求，请继续扩大覆盖面。")
    page.click("[data-testid=comment-submit]")
    expect(page.locator("[data-testid=report-status]")).to_have_text("已点评")
    expect(page.locator("[data-testid=report-comment]")).to_contain_text("继续扩大覆盖面")
    shot("tracker-05-commented")
    page.click("[data-testid=tracker-nav-summary]")
    expect(
        page.locator("[data-testid=summary-card][data-company='城市供水公司'] [data-testid=summary-reported]")
    ).to_have_text("1")
    shot("tracker-06-summary")
    page.click("[data-testid=tracker-nav-monthly]")
    expect(page.locator("[data-testid=monthly-title]")).to_contain_text("水务集团")
    expect(page.locator("[data-testid=monthly-entry][data-task='4'][data-unit='城市供水公司']")).to_contain_text(
        "覆盖率达到50%"
    )
    expect(page.locator("[data-testid=level-chart]")).to_be_visible()
    shot("tracker-07-monthly")
    href = page.locator("[data-testid=monthly-pdf]").get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.headers["content-type"] == "application/pdf" and response.body()[:4] == b"%PDF"
    from tests.browser.conftest import SCREENSHOTS

    (SCREENSHOTS / "tracker-08-monthly.pdf").write_bytes(response.body())
