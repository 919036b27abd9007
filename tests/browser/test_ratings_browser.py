"""A supervisor's way through ratings in a real browser: the rating card, an override, a run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import AuditEntry
from ratings import summary
from ratings.models import LevelOverride, RatingResult, RatingRun
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def month_end_before(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


@pytest.fixture
def rating_data(transactional_db):
    """A green, a yellow and a red city customer, a blue county one, and last month's stored run."""
    today = timezone.localdate()
    green = factories.customer(
        "city", account_no="CS2026101", name="随州市城区示范餐饮有限公司", payment_mode="prepaid"
    )
    for months_ago in (1, 2, 3):
        due = (today.replace(day=1) - dt.timedelta(days=30 * months_ago)).replace(day=25)
        factories.bill(green, f"{due:%Y-%m}", amount="1286.40", due_on=due, paid_on=due - dt.timedelta(days=3))
    yellow = factories.customer("city", account_no="CS2026102", name="随州市曾都区示范机械厂", payment_mode="postpaid")
    factories.event(
        yellow,
        "pipe_outage",
        pipe_diameter_mm=110,
        occurred_on=month_end_before(today) - dt.timedelta(days=5),  # after the last stored run
        note="违章施工挖断DN110管道",
        ref="EV-2026-0415",
    )
    red = factories.customer("city", account_no="CS2026103", name="随州市示范洗车行", payment_mode="postpaid")
    theft_on = month_end_before(month_end_before(today)) - dt.timedelta(days=10)
    factories.event(red, "water_theft", amount=Decimal("12500.00"), occurred_on=theft_on)
    county = factories.customer("county", account_no="XS2026101", name="随县厉山镇示范食品厂", payment_mode="postpaid")
    # two earlier stored runs, so the page has history, movers and a chart with several months
    last = month_end_before(today)  # the run the test starts
    previous = month_end_before(last)
    for as_of, levels in [
        (month_end_before(previous), {green: "blue", yellow: "blue", red: "blue", county: "blue"}),
        (previous, {green: "blue", yellow: "blue", red: "red", county: "blue"}),
    ]:
        run = RatingRun.objects.create(as_of=as_of, status="succeeded", trigger="schedule", total=4, done=4)
        RatingResult.objects.bulk_create(
            RatingResult(run=run, customer=c, level=lv, criteria="R3" if lv == "red" else "B2;B3;B4")
            for c, lv in levels.items()
        )
        summary.rebuild([run])  # the counts and movers a finished run stores
    return {"green": green, "yellow": yellow, "red": red, "county": county, "as_of": last}


def test_supervisor_reads_the_rating_and_overrides_it(page: Page, live_server, shot, supervisor, rating_data):
    base = live_server.url
    log_in(page, base, "supervisor")
    yellow = rating_data["yellow"]
    page.goto(f"{base}/customers/file/{yellow.account_no}/")
    card = page.locator("[data-testid=rating-card]")
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("蓝色")  # stored result of the last run
    expect(card.locator("[data-testid=rating-history]")).to_be_visible()
    expect(card.locator("[data-testid=recomputed-differs]")).to_have_count(0)

    # rate as of today: the outage makes it yellow (computed live, not stored)
    page.fill("#id_as_of", timezone.localdate().isoformat())
    page.click("[data-testid=rate-as-of-submit]")
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("黄色")
    expect(card.locator("[data-testid=rating-source]")).to_contain_text("实时计算，不保存")
    expect(card.locator("[data-code=Y4]")).to_contain_text("直径160mm以内")
    expect(card.locator("[data-code=Y4]")).to_contain_text("EV-2026-0415")
    expect(card.locator("[data-testid=measures]")).to_contain_text("列为重点监管对象")
    shot("20-rating-card-yellow")

    # override to red with a reason and an end date
    page.click("[data-testid=override-toggle]")
    page.select_option("#id_level", "red")
    page.fill("#id_reason", "违章施工造成停水后拒不整改,经主管会商从严监管")
    ends_on = timezone.localdate() + dt.timedelta(days=90)
    page.fill("#id_ends_on", ends_on.isoformat())
    shot("21-override-form")
    page.click("[data-testid=override-submit]")
    expect(page.locator(".alert-success")).to_contain_text("已将等级人工调整为红色")
    today = timezone.localdate().isoformat()
    expect(page.locator(".alert-success")).to_contain_text(f"自 {today} 起生效")
    # the override starts today: the stored run (as of an earlier date) keeps its level, the card says so
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("蓝色")
    pending = card.locator("[data-testid=pending-override]")
    expect(pending).to_contain_text(f"已调整为红色，自 {today} 起生效")
    expect(pending).to_contain_text("不受影响")
    expect(card.locator("[data-testid=pending-override-reason]")).to_have_text(
        "违章施工造成停水后拒不整改,经主管会商从严监管"
    )
    expect(card.locator("[data-testid=measures]")).to_contain_text("常规管理")
    shot("22-rating-card-override")
    # as of today the override is in force: computed and effective side by side, the red measures
    page.fill("#id_as_of", today)
    page.click("[data-testid=rate-as-of-submit]")
    expect(card.locator("[data-testid=levels-side-by-side]")).to_be_visible()
    expect(card.locator("[data-testid=computed-level]")).to_contain_text("黄色")
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("红色")
    expect(card.locator("[data-testid=override-note]")).to_contain_text(f"有效期至 {ends_on.isoformat()}")
    expect(card.locator("[data-testid=measures]")).to_contain_text("依法依规实施联合惩戒")
    override = LevelOverride.objects.get(customer=yellow)
    assert override.level == "red" and override.created_by == supervisor
    assert AuditEntry.objects.filter(customer=yellow, model="override", actor="supervisor").exists()

    # the change history shows it
    page.click("[data-testid=history-link]")
    expect(page.locator("[data-testid=history]")).to_contain_text("等级调整")
    expect(page.locator("[data-testid=history]")).to_contain_text("红色")
    shot("23-history-override")

    # a green customer's file
    page.goto(f"{base}/customers/file/{rating_data['green'].account_no}/")
    page.fill("#id_as_of", timezone.localdate().isoformat())
    page.click("[data-testid=rate-as-of-submit]")
    expect(card.locator("[data-testid=effective-level]")).to_contain_text("绿色")
    expect(card.locator("[data-code=G1]")).to_contain_text("采用预存方式缴纳水费")
    shot("24-rating-card-green")


def test_supervisor_starts_a_run_and_sees_it_finish(
    page: Page, live_server, shot, supervisor, rating_data, celery_worker_or_eager
):
    base = live_server.url
    log_in(page, base, "supervisor")
    page.click("[data-testid=nav-ratings]")
    expect(page.locator("[data-testid=runs]")).to_contain_text("已完成")
    expect(page.locator("[data-testid=level-chart] g.run")).to_have_count(2)
    as_of = rating_data["as_of"]
    page.fill("[data-testid=start-as-of]", as_of.isoformat())
    shot("25-runs-list")
    page.click("[data-testid=start-submit]")
    expect(page.locator("[data-testid=progress-text]")).to_contain_text("已评定 4 / 4 户", timeout=20000)
    expect(page.locator("h1 [data-testid=run-status]")).to_have_text("已完成")
    counts = page.locator("[data-testid=level-counts]")
    expect(counts.locator("tr[data-level=green] [data-testid=level-count]")).to_have_text("1")
    expect(counts.locator("tr[data-level=yellow] [data-testid=level-count]")).to_have_text("1")
    expect(counts.locator("tr[data-level=red] [data-testid=level-count]")).to_have_text("1")
    expect(counts.locator("tr[data-level=blue] [data-testid=level-count]")).to_have_text("1")
    expect(page.locator("[data-testid=company-counts]")).to_contain_text("随县供水公司")
    expect(page.locator("[data-testid=level-chart] g.run")).to_have_count(3)
    expect(page.locator("[data-testid=movers-table]")).to_contain_text("CS2026101")  # blue -> green
    shot("26-run-finished")
    page.click("[data-testid=movers-down]")
    expect(page.locator("[data-testid=movers-table]")).to_contain_text("CS2026102")  # blue -> yellow
    # the red list with its measures
    page.click("tr[data-level=red] a")
    expect(page.locator("[data-testid=level-measures]")).to_contain_text("从严审核")
    expect(page.locator("[data-testid=level-customers]")).to_contain_text("CS2026103")
    shot("27-level-red")
    run = RatingRun.objects.get(as_of=as_of)
    assert run.status == "succeeded" and run.trigger == "manual" and run.started_by == supervisor


def test_clerk_sees_runs_without_the_start_form(page: Page, live_server, shot, clerk_county, rating_data):
    log_in(page, live_server.url, "clerk_county")
    page.goto(f"{live_server.url}/ratings/runs/")
    expect(page.locator("[data-testid=runs]")).to_be_visible()
    expect(page.locator("[data-testid=start-run]")).to_have_count(0)
    expect(page.locator("[data-testid=runs] tr[data-testid=run-row]").first).to_contain_text("1")
    shot("28-runs-clerk")
