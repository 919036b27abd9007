"""批量登记签署 in a real browser: the clerk opens the page from the pledge list, uploads one 3-page PDF for
3 printed pledges, sees which page goes to which pledge, confirms, and sees them 已签署."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from pledges import services
from pledges.models import Pledge, PledgeState, PledgeTemplate
from tests import factories
from tests.browser.conftest import log_in
from tests.test_pledge_bulk_sign import pages_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_bulk_signs_three_pledges_with_one_pdf(page: Page, live_server, shot, clerk_city):
    if not PledgeTemplate.objects.exists():  # flushed by an earlier transactional test
        importlib.import_module("pledges.migrations.0002_template_versions").create_templates(apps, None)
    names = ["随州市曾都区明珠酒店有限公司", "随州市高新区恒达机械厂", "随州市曾都区百味餐饮店"]
    pledges = []
    for i, name in enumerate(names, 1):
        customer = factories.customer("city", account_no=f"CS202600{i}", name=name)
        pledge = services.prepare_pledge(customer, user=clerk_city)
        services.mark_printed([pledge], user=clerk_city)
        pledges.append(pledge)
    other = factories.customer("county", account_no="XS2026001", name="随县某公司")
    services.mark_printed([services.prepare_pledge(other)])

    base = live_server.url
    log_in(page, base, "clerk_city")
    page.goto(f"{base}/pledges/")
    page.click("[data-testid=bulk-sign-link]")
    rows = page.locator("[data-testid=bulk-row]")
    expect(rows).to_have_count(3)  # the county's printed pledge is not offered
    expect(page.locator("[data-testid=bulk-table]")).not_to_contain_text("XS2026001")
    # A scan with one page too few is refused, nothing signed, and the reason is shown.
    page.set_input_files(
        "[data-testid=scan-pdf]",
        files=[{"name": "缺页.pdf", "mimeType": "application/pdf", "buffer": pages_pdf(["一", "二"])}],
    )
    page.click("[data-testid=bulk-submit]")
    expect(page.locator("[data-testid=bulk-errors]")).to_contain_text("扫描件共 2 页，所选承诺书 3 份")
    shot("pledge-bulk-00-page-count-refused")
    assert not Pledge.objects.filter(state=PledgeState.SIGNED).exists()
    expect(rows).to_have_count(3)
    page.set_input_files(
        "[data-testid=scan-pdf]",
        files=[{"name": "签署件.pdf", "mimeType": "application/pdf", "buffer": pages_pdf(["一", "二", "三"])}],
    )
    expect(rows.nth(2).locator(".bulk-file")).to_have_text("第 3 页")
    shot("pledge-bulk-01-form")
    page.click("[data-testid=bulk-submit]")
    expect(page.locator("[data-testid=done-state]")).to_have_count(3)
    for i in range(3):
        expect(page.locator("[data-testid=done-state]").nth(i)).to_have_text("已签署")
    expect(page.locator(".alert-success")).to_contain_text("已登记签署 3 份承诺书")
    shot("pledge-bulk-02-done")
    assert Pledge.objects.filter(state=PledgeState.SIGNED).count() == 3
    assert Pledge.objects.get(customer=other).state == PledgeState.PRINTED
