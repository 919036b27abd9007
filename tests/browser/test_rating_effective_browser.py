"""Issue 10, items 2 and 3 in a browser: one effective level in file, lists and counts; the card's two readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ratings import summary
from ratings.models import LevelOverride, RatingResult, RatingRun
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stored(transactional_db, supervisor):
    """Last month end's run: three yellow city customers (one overridden to green from the run's date), one green."""
    today = timezone.localdate()
    last = today.replace(day=1) - dt.timedelta(days=1)
    theft_on = last - dt.timedelta(days=200)
    customers = {}
    for no, name in [
        ("CS2026201", "随州市示范食品有限公司"),
        ("CS2026202", "随州市曾都区示范印务有限公司"),
        ("CS2026203", "随州市示范酒店管理有限公司"),
    ]:
        c = factories.customer("city", account_no=no, name=name, payment_mode="postpaid")
        factories.event(c, "water_theft", amount=Decimal("9999.99"), occurred_on=theft_on, ref=f"EV-{no}-1")
        customers[no] = c
    green = factories.customer("city", account_no="CS2026204", name="随州市示范物流有限公司", payment_mode="prepaid")
    run = RatingRun.objects.create(as_of=last, status="succeeded", trigger="schedule", total=4, done=4)
    RatingResult.objects.bulk_create(
        [RatingResult(run=run, customer=c, level="yellow", criteria="Y2") for c in customers.values()]
        + [RatingResult(run=run, customer=green, level="green", criteria="G1;G2;G3;G4")]
    )
    summary.rebuild([run])
    LevelOverride.objects.create(
        customer=customers["CS2026202"],
        level="green",
        reason="经现场核实已整改并足额赔偿,主管会商调整",
        starts_on=last,
        created_by=supervisor,
    )
    # recorded after the run, dated before its date: the records now give red (R3)
    factories.event(
        customers["CS2026203"],
        "water_theft",
        amount=Decimal("12000.50"),
        occurred_on=last - dt.timedelta(days=3),
        ref="EV-2026-1130",
    )
    return {"run": run, "last": last, **customers}


def test_override_on_the_run_date_moves_the_customer_in_lists_counts_and_file(page: Page, live_server, shot, stored):
    base = live_server.url
    run = stored["run"]
    log_in(page, base, "supervisor")
    page.goto(f"{base}/ratings/runs/{run.pk}/")
    counts = page.locator("[data-testid=level-counts]")
    expect(counts.locator("tr[data-level=green] [data-testid=level-count]")).to_have_text("2")
    expect(counts.locator("tr[data-level=yellow] [data-testid=level-count]")).to_have_text("2")
    expect(counts.locator("tr[data-level=yellow] [data-testid=computed-count]")).to_have_text("3")
    expect(page.locator("[data-testid=overridden]")).to_contain_text("1 户因此改变等级")
    shot("rat10-40-run-effective-counts")
    page.click("tr[data-level=green] a")
    rows = page.locator("[data-testid=level-customers]")
    expect(rows).to_contain_text("CS2026202")
    expect(page.locator(".card-header", has_text="共 2 户")).to_be_visible()
    shot("rat10-41-level-green-with-override")
    page.goto(f"{base}/ratings/levels/yellow/?run={run.pk}")
    expect(page.locator("[data-testid=level-customers]")).not_to_contain_text("CS2026202")
    expect(page.locator(".card-header", has_text="共 2 户")).to_be_visible()
    page.goto(f"{base}/customers/file/CS2026202/")
    card = page.locator("[data-testid=rating-card]")
    expect(card.locator("[data-testid=computed-level]")).to_contain_text("黄色")
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("绿色")
    expect(card.locator("[data-testid=measures]")).to_contain_text("业务办理绿色通道")
    shot("rat10-42-file-override-on-run-date")


def test_card_shows_the_stored_result_and_apart_the_current_records(page: Page, live_server, shot, stored):
    base = live_server.url
    log_in(page, base, "supervisor")
    page.goto(f"{base}/customers/file/CS2026203/")
    card = page.locator("[data-testid=rating-card]")
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("黄色")
    expect(card.locator("[data-testid=criteria] [data-code=Y2]")).to_be_visible()
    expect(card.locator("[data-testid=criteria] [data-code=R3]")).to_have_count(0)
    expect(card.locator("[data-testid=measures]")).to_contain_text("列为重点监管对象")
    live = card.locator("[data-testid=live-reading]")
    expect(live).to_contain_text("按当前记录评定")
    expect(live.locator("[data-testid=live-level]")).to_contain_text("红色")
    expect(live.locator("[data-code=R3]")).to_contain_text("EV-2026-1130")
    expect(live).to_contain_text("尚未生效")
    card.screenshot(path=str(shot("rat10-43-card-stored-and-live").with_name("rat10-43b-card-only.png")))


def test_override_set_today_says_which_runs_it_covers(page: Page, live_server, shot, stored):
    base = live_server.url
    today = timezone.localdate().isoformat()
    log_in(page, base, "supervisor")
    page.goto(f"{base}/ratings/file/CS2026201/override/")
    applies = page.locator("[data-testid=override-applies]")
    expect(applies).to_contain_text(f"自 {today} 起生效，适用于评定基准日为 {today} 及以后的评级批次")
    expect(applies).to_contain_text(f"最近一次基准日 {stored['last'].isoformat()}）不受影响")
    page.select_option("#id_level", "green")
    page.fill("#id_reason", "客户已签订信用承诺并完成整改")
    shot("rat10-44-override-form-applies")
    page.click("[data-testid=override-submit]")
    expect(page.locator(".alert-success")).to_contain_text("不受影响")
    card = page.locator("[data-testid=rating-card]")
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("黄色")
    expect(card.locator("[data-testid=pending-override]")).to_contain_text("已调整为绿色")
    shot("rat10-45-card-pending-override")
    page.goto(f"{base}/ratings/levels/yellow/")
    expect(page.locator("[data-testid=level-customers]")).to_contain_text("CS2026201")
