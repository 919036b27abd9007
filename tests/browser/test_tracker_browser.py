"""The 客户服务中心 opens the key tasks page from the credit work's tabs: the task force and the document's
tasks with their responsible units; screenshot."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_center_reads_the_key_tasks(page: Page, live_server, shot, service_center):
    log_in(page, live_server.url, "service_center")
    page.click("[data-testid=nav-work]")
    page.click("[data-testid=work-nav-tracker]")
    expect(page.locator("[data-testid=task-force-leader]")).to_have_text("严勤建")
    expect(page.locator("[data-testid=task-force-liaison]")).to_have_count(5)
    expect(page.locator("[data-testid=key-task]")).to_have_count(11)
    expect(page.locator("[data-testid=key-task][data-number='12']")).to_contain_text("综合办公室及相关子公司、部室")
    expect(page.locator("[data-testid=whoami]")).to_contain_text("客户服务中心")
    shot("tracker-01-tasks")
