"""Customers without a pledge in Chromium: tick two, 打印所选客户的承诺书, the batch of those two."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pledges.models import PledgeBatch
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_prints_the_ticked_customers(page: Page, live_server, shot, eager_celery):
    factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="陈静")
    for i in range(4):
        factories.customer("city", account_no=f"011500{i:03d}", name=f"随州市城区示范{i}号有限公司")
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/pledges/coverage/")
    page.click("[data-testid=print-selected]")  # nothing ticked: the page says so
    expect(page.locator(".alert-danger")).to_contain_text("请先勾选要打印承诺书的客户")
    page.check("#pick-011500001")
    page.check("#pick-011500003")
    shot("coverage-print-selected")
    page.click("[data-testid=print-selected]")
    expect(page.locator("body")).to_contain_text("已开始打印所选 2 户的承诺书")
    batch = PledgeBatch.objects.get()
    assert sorted(p.customer.account_no for p in batch.pledges.all()) == ["011500001", "011500003"]
    shot("coverage-print-selected-batch")


def test_clerk_prints_ticked_pledges_from_the_pledge_list(page: Page, live_server, shot, eager_celery):
    from pledges import services

    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="陈静")
    pledges = [
        services.prepare_pledge(factories.customer("city", account_no=f"01160{i:04d}"), user=clerk) for i in range(3)
    ]
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/pledges/")
    page.check(f"#pick-{pledges[0].pk}")
    page.check(f"#pick-{pledges[2].pk}")
    shot("pledge-list-print-selected")
    page.click("[data-testid=print-selected]")
    expect(page.locator("body")).to_contain_text("已开始打印所选 2 份承诺书")
    batch = PledgeBatch.objects.get()
    assert sorted(batch.pledges.values_list("pk", flat=True)) == sorted([pledges[0].pk, pledges[2].pk])
