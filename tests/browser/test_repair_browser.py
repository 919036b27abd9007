"""The whole repair path in a real browser: a clerk lodges a repair with an evidence PDF and records the
signed repair pledge; a supervisor (another user) accepts and approves; the credit file shows the record
repaired, the restrictions lifted and the new level."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ratings.models import RatingResult, RatingRun
from repair.models import RepairRequest
from tests import factories
from tests.browser.conftest import log_in
from tests.repair_support import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def red_customer(transactional_db):
    from pledges.models import PledgeTemplate

    if not PledgeTemplate.objects.filter(kind="repair").exists():  # flushed by an earlier transactional test
        import importlib

        from django.apps import apps

        importlib.import_module("pledges.migrations.0002_template_versions").create_templates(apps, None)
    today = timezone.localdate()
    customer = factories.customer("city", account_no="CS2026201", name="随州市示范洗车行", payment_mode="postpaid")
    theft = factories.event(
        customer,
        "water_theft",
        amount=Decimal("12500.00"),
        occurred_on=today - dt.timedelta(days=75),
        note="绕表私接DN25管道",
        ref="EV-2026-0901",
    )
    run = RatingRun.objects.create(as_of=today - dt.timedelta(days=1), status="succeeded", total=1, done=1)
    RatingResult.objects.create(run=run, customer=customer, level="red", criteria="R3")
    return customer, theft


def test_clerk_lodges_supervisor_accepts_and_approves(
    page: Page, live_server, shot, clerk_city, supervisor, red_customer, tmp_path
):
    customer, theft = red_customer
    base = live_server.url
    evidence = tmp_path / "赔偿收据.pdf"
    evidence.write_bytes(pdf_bytes("receipt"))
    scan = tmp_path / "承诺书扫描件.pdf"
    scan.write_bytes(pdf_bytes("signed pledge"))

    # the clerk lodges it from the credit file
    log_in(page, base, "clerk_city")
    page.goto(f"{base}/customers/file/{customer.account_no}/")
    expect(page.locator("[data-testid=rating-card] [data-testid=effective-level]")).to_contain_text("红色")
    page.click("[data-testid=lodge-repair]")
    page.check("input[name=kind][value=repair]")
    page.get_by_label(f"{theft.occurred_on:%Y-%m-%d} 窃水", exact=False).check()
    page.fill("#id_reason", "已全额赔偿损失并补缴水费,私接管道已拆除。")
    page.set_input_files("#id_files", [str(evidence)])
    shot("40-repair-lodge")
    page.click("[data-testid=request-submit]")
    expect(page.locator(".alert-success")).to_contain_text("已提交信用修复申请")
    number = page.locator("[data-testid=request-number]").inner_text()
    expect(page.locator("[data-testid=evidence-link]")).to_have_text("赔偿收据.pdf")
    expect(page.locator("[data-testid=no-actions]")).to_be_visible()

    # the repair pledge: prepared, printed, recorded signed with its scan
    page.click("[data-testid=pledge-prepare]")
    with page.expect_popup() as popup:
        page.click("[data-testid=pledge-print]")
    popup.value.close()
    page.fill("#id_signed_on", timezone.localdate().isoformat())
    page.set_input_files("#id_scan", [str(scan)])
    page.click("[data-testid=pledge-sign-submit]")
    expect(page.locator("[data-testid=pledge-state]")).to_contain_text("已签署")
    shot("41-repair-request-clerk")

    # the supervisor finds it in the queue, accepts and approves
    page.context.clear_cookies()
    log_in(page, base, "supervisor")
    expect(page.locator("[data-testid=nav-repair-count]")).to_have_text("1")
    page.click("[data-testid=nav-repair]")
    row = page.locator(f"[data-testid=queue-row][data-number='{number}']")
    expect(row).to_contain_text(customer.name)
    shot("42-repair-queue")
    row.locator("[data-testid=queue-link]").click()
    page.click("[data-testid=accept-submit]")
    expect(page.locator(".alert-success")).to_contain_text("已受理申请")
    expect(page.locator("[data-testid=approval-preview]")).to_contain_text("本次修复使信用等级由红色恢复为")
    shot("42b-repair-decision-preview")
    page.click("[data-testid=approve-submit]")  # no reason: the form says so
    expect(page.locator("#id_approve-reason")).to_have_class("textarea form-control is-invalid")
    page.fill("#id_approve-reason", "已纠正失信行为并履行赔偿义务,已签署信用修复承诺书。")
    page.click("[data-testid=approve-submit]")
    expect(page.locator(".alert-success")).to_contain_text("本次修复使信用等级由红色恢复为")
    expect(page.locator("[data-testid=level-change]")).to_contain_text("已解除惩戒")
    expect(page.locator("[data-testid=history-row]")).to_have_count(5)
    shot("43-repair-request-approved")

    # the credit file: record repaired (kept), restrictions lifted, new level
    page.click(f"a:has-text('{customer.name}')")
    expect(page.locator(f"[data-testid=event-row][data-ref='{theft.ref}'] [data-testid=event-status]")).to_contain_text(
        "已修复"
    )
    expect(page.locator("[data-testid=releases]")).to_contain_text("解除惩戒")
    expect(page.locator("[data-testid=rating-card] [data-testid=effective-level]")).not_to_contain_text("红色")
    shot("44-repair-credit-file")
    req = RepairRequest.objects.get(number=number)
    assert req.status == "approved" and req.queued_for_report and req.decided_by.username == "supervisor"

    # the decision letter
    with page.expect_popup() as popup:
        page.goto(f"{base}/repair/{number}/")
        page.click("[data-testid=letter-link]")
    letter = popup.value
    assert letter.url.endswith(f"/repair/{number}/letter.pdf")
