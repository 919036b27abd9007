"""The change history in Chromium: amounts as 12,000.50, and long values wrap between words, never
inside a code or a number."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers import audit
from customers.models import AuditEntry
from customers.services import record_event
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# For each Latin/number run of 4+ characters in the cell: the number of distinct line tops it spans.
RUN_LINES = """e => {
  const out = [];
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/[A-Za-z0-9][A-Za-z0-9.,:-]{3,}/g)) {
      const r = document.createRange();
      r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      out.push([m[0], new Set([...r.getClientRects()].map(x => Math.round(x.top))).size]);
    }
  }
  return out;
}"""


def test_history_amounts_grouped_and_long_values_wrap_between_words(page: Page, live_server, shot):
    customer = factories.customer("city", account_no="011500321", name="随州市城区示范餐饮有限公司")
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="陈静")
    before = audit.snapshot(customer)
    customer.address = (
        "随州市曾都区烈山大道88号 东城工业园区 三号厂房 北侧 二楼 供水计量表井 DN200-0115-0000-8877 "
        "备用表井 DN150-0115-0000-9911 消防支管 SZ-2026-000123456"
    )
    customer.save()
    with audit.acting_as(user=clerk):
        audit.record(AuditEntry.UPDATE, customer, before, audit.snapshot(customer))
    record_event(customer, user=clerk, type="water_theft", amount=Decimal("12000.5"), occurred_on=timezone.localdate())
    page.set_viewport_size({"width": 1024, "height": 900})
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/customers/file/{customer.account_no}/history/")
    table = page.locator("[data-testid=history]")
    expect(table).to_contain_text("12,000.50")
    expect(table).not_to_contain_text("12000.5")
    long_cells = page.locator("td.diff-long")
    expect(long_cells.first).to_be_visible()
    runs = [run for cell in long_cells.all() for run in cell.evaluate(RUN_LINES)]
    assert any(text == "DN200-0115-0000-8877" for text, _lines in runs)
    # the object column too: an event's number is never split at its hyphens
    runs += [
        run
        for cell in page.locator("[data-testid=history-row] > td:nth-child(4)").all()
        for run in cell.evaluate(RUN_LINES)
    ]
    assert all(lines == 1 for _text, lines in runs), runs
    # the long address does wrap (it is not one line running off the page)
    address = page.locator("tr", has=page.locator("th", has_text="地址")).locator("td.diff-long").last
    assert address.evaluate("e => e.getBoundingClientRect().height") > 30
    shot("history-amounts-long-values")
