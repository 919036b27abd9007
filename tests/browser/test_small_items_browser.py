"""Issue 10's smaller items in a real browser: a criterion code's tooltip on the rating card, and history
values that keep codes and numbers whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers import audit
from customers.models import AuditEntry
from customers.services import record_event
from ratings.models import RatingResult, RatingRun
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(transactional_db):
    c = factories.customer(
        "city", account_no="011500123", name="随州市城区示范餐饮有限公司", address="随州市曾都区烈山大道88号"
    )
    factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="陈静")
    return c


def test_card_code_tooltip(page: Page, live_server, shot, customer):
    run = RatingRun.objects.create(as_of=timezone.localdate() - dt.timedelta(days=1), status="succeeded")
    RatingResult.objects.create(run=run, customer=customer, level="red", criteria="R1;Y2")
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    code = page.locator("[data-testid=rating-history] abbr[data-criterion=R1]")
    expect(code).to_have_attribute("title", "拖欠水费6个月及以上")
    code.hover()
    page.locator("[data-testid=rating-card]").screenshot(
        path=str(shot("small-items-card").with_name("small-items-card-only.png"))
    )


def test_history_values_keep_codes_whole(page: Page, live_server, shot, customer):
    clerk = factories.user("clerk_city2", roles=("clerk",), companies=("city",))
    before = audit.snapshot(customer)
    customer.address = "随州市曾都区烈山大道88号 东城工业园区 三号厂房 北侧 二楼 供水计量表井 DN200-0115-0000-8877"
    customer.phone = "0722-34567890"
    customer.save()
    audit.record(AuditEntry.UPDATE, customer, before, audit.snapshot(customer))
    record_event(
        customer,
        user=clerk,
        type="water_theft",
        amount=Decimal("12000.50"),
        occurred_on=timezone.localdate(),
        note="夜间私接消防管道用于生产,现场查获,计量表编号 SZ-2026-000123456",
    )
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/customers/file/{customer.account_no}/history/")
    expect(page.locator("td.diff-value").first).to_be_visible()
    white_space = page.locator("td.diff-short").first.evaluate("e => getComputedStyle(e).whiteSpace")
    assert white_space == "nowrap"
    shot("small-items-history")
    # A short value (a code, a number, a date) is on one line: nothing broken mid-number.
    lines = "e => { const r = document.createRange(); r.selectNodeContents(e); return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }"
    for cell in page.locator("td.diff-short").all():
        assert cell.evaluate(lines) <= 1, cell.inner_text()
