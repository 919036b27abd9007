"""The Content-Security-Policy in Chromium: the main pages load and run their scripts with no violation
reported; the lockout and 400 pages as a user meets them (screenshots)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ratings.models import RatingResult, RatingRun
from reporting.models import Batch, Unit
from tests import factories
from tests.browser.conftest import log_in
from tests.pledge_support import printed_on
from tests.repair_support import lodge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def world(transactional_db):
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="王敏")
    supervisor = factories.user("supervisor", roles=("supervisor",), companies=("city", "county"), first_name="陈静")
    customer = factories.customer("city", account_no="011500123", name="随州市城区示范餐饮有限公司")
    event = factories.event(customer)
    pledge = printed_on(customer, clerk)
    req = lodge(customer, clerk, events=[event])
    done = RatingRun.objects.create(as_of=timezone.localdate() - dt.timedelta(days=1), status="succeeded")
    RatingResult.objects.create(run=done, customer=customer, level="yellow", criteria="Y2")
    running = RatingRun.objects.create(as_of=timezone.localdate(), status="running", total=10, done=3)
    batch = Batch.objects.create(number="202611", period=dt.date(2026, 11, 1))
    return {
        "supervisor": supervisor,
        "customer": customer,
        "pledge": pledge,
        "req": req,
        "run": running,
        "batch": batch,
    }


def test_the_main_pages_report_no_csp_violation(page: Page, live_server, world, shot):
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: messages.append(f"page error: {e}"))
    page.add_init_script(COLLECT)
    log_in(page, live_server.url, "supervisor")
    account = world["customer"].account_no
    paths = [
        "/dashboard/",
        "/customers/",
        f"/customers/file/{account}/",
        f"/customers/file/{account}/history/",
        f"/customers/file/{account}/events/new/",
        "/customers/import/",
        "/pledges/",
        f"/pledges/{world['pledge'].pk}/",
        "/pledges/coverage/",
        "/pledges/bulk-sign/",
        "/ratings/runs/",
        f"/ratings/runs/{world['run'].pk}/",  # polls its progress (static/js/run_progress.js)
        "/ratings/levels/yellow/",
        "/repair/",
        f"/repair/{world['req'].number}/",
        "/reporting/batches/",
        f"/reporting/batches/{world['batch'].number}/",
        "/reporting/notices/",
        "/reporting/tracker/progress/",
        f"/reporting/tracker/{timezone.localdate():%Y-%m}/4/{Unit.objects.get(company__code='city').pk}/",
        "/reporting/tracker/summary/",
        "/reporting/monthly/",  # the server-drawn SVG charts
        "/accounts/password/",
        "/admin/",
    ]
    violations = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, path
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    # the scripts moved to static files still run: the event form shows the fields its type needs,
    # the progress bar got its width from data-width
    page.goto(f"{live_server.url}/customers/file/{account}/events/new/")
    page.select_option("#id_type", "contract_violation")
    page.goto(f"{live_server.url}/ratings/runs/{world['run'].pk}/")
    width = page.locator("[data-testid=progress-bar]").evaluate("el => el.style.width")
    assert width == "30%"
    shot("csp-run-page")
    assert violations == {}
    assert messages == []


def test_the_lockout_message_on_the_login_page(page: Page, live_server, world, shot, settings):
    settings.AXES_FAILURE_LIMIT = 3
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(3):
        page.fill("#id_username", "supervisor")
        page.fill("#id_password", "wrong-password")
        page.click("button[type=submit]")
    expect(page.locator("[data-testid=locked-out]")).to_contain_text("连续 3 次密码错误")
    expect(page.locator("[data-testid=locked-out]")).to_contain_text("30 分钟")
    shot("login-locked-out")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", "pw-supervisor")
    page.click("input[type=submit]")
    expect(page.locator("[data-testid=locked-out]")).to_be_visible()


def test_the_400_page_is_chinese(page: Page, live_server, world, shot):
    log_in(page, live_server.url, "supervisor")
    too_many = "&".join(f"f{i}=1" for i in range(1100))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = page.goto(f"{live_server.url}/customers/?{too_many}")
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("请求无效")
    shot("bad-request-400")
