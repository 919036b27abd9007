"""The repair queue in Chromium: a supervisor ticks two submitted requests and accepts them at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from repair.models import RepairRequest
from tests import factories
from tests.browser.conftest import log_in
from tests.repair_support import lodge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_accepts_the_ticked_requests(page: Page, live_server, shot):
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="陈静")
    factories.user("supervisor", roles=("supervisor",), companies=("city", "county"), first_name="李主管")
    reqs = []
    for i in range(3):
        customer = factories.customer("city", account_no=f"01150{i:04d}", name=f"随州市城区示范{i}号有限公司")
        reqs.append(lodge(customer, clerk, events=[factories.event(customer, "water_theft", amount="500")]))
    log_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/repair/")
    page.check(f"#pick-{reqs[0].number}")
    page.check(f"#pick-{reqs[2].number}")
    shot("repair-queue-accept-selected")
    page.click("[data-testid=accept-selected]")
    expect(page.locator(".alert-success")).to_contain_text(f"已受理 2 件：{reqs[0].number}、{reqs[2].number}。")
    shot("repair-queue-accepted")
    statuses = [RepairRequest.objects.get(pk=r.pk).status for r in reqs]
    assert statuses == ["accepted", "submitted", "accepted"]
