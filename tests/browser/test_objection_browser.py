"""An objection (异议) in Chromium: the supervisor sees what upholding it does to the level before
deciding, upholds it, and the page says the objection's own effect."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from repair import services
from repair.models import RepairRequest
from tests import factories
from tests.browser.conftest import log_in
from tests.repair_support import lodge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_sees_the_objections_effect_then_upholds(page: Page, live_server, shot):
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="陈静")
    boss = factories.user("supervisor", roles=("supervisor",), companies=("city", "county"), first_name="李主管")
    today = timezone.localdate()
    run_day = today - dt.timedelta(days=1)
    customer = factories.customer("city", account_no="011500777", name="随州市城区示范酒店有限公司")
    theft = factories.event(
        customer, "water_theft", amount=Decimal("12000.50"), occurred_on=run_day - dt.timedelta(days=20)
    )
    call_command("run_rating", "--as-of", run_day.isoformat(), stdout=io.StringIO())
    req = lodge(customer, clerk, kind=RepairRequest.Kind.OBJECTION, events=[theft], reason="该窃水记录系误录")
    services.accept(req.pk, user=boss)

    log_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/repair/{req.number}/")
    card = page.locator("[data-testid=approval-preview]")
    expect(card).to_contain_text("认定异议成立对信用等级的影响")
    expect(card.locator("[data-testid=preview-without]")).to_contain_text("红色")
    expect(card.locator("[data-testid=preview-with]")).to_contain_text("绿色")
    expect(card.locator("[data-testid=preview-effect]")).to_have_text("异议成立使信用等级由红色调整为绿色。")
    shot("objection-decision-preview")
    page.fill("#id_uphold-reason", "经核实，该窃水记录系抄表员误录。")
    page.click("[data-testid=uphold-submit]")
    expect(page.locator(".alert-success")).to_contain_text("异议成立使信用等级由红色调整为绿色")
    shot("objection-upheld")
