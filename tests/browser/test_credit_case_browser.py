"""A clerk writes a 信用案例 (an account of another company is refused naming the field), a supervisor reviews
and reports it, the list shows it 已上报 and prints the month's cases as one PDF; screenshots."""

from __future__ import annotations

import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from reporting.models import CreditCase
from tests import factories
from tests.browser.conftest import SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_writes_supervisor_reviews_and_reports_a_case(page: Page, live_server, shot, clerk_city, supervisor):
    base = live_server.url
    customer = factories.customer("city", account_no="AL2026001", name="随州市曾都区示范酒店有限公司")
    county = factories.customer("county", account_no="XL2026001", name="随县示范米业有限公司")
    event = factories.event(customer, "water_theft", amount="800.00", occurred_on=timezone.localdate())
    log_in(page, base, "clerk_city")

    page.click("[data-testid=nav-work]")
    page.click("[data-testid=work-nav-cases]")
    page.click("[data-testid=case-new]")
    page.select_option("#id_kind", label="失信惩戒")
    page.fill("#id_occurred_on", timezone.localdate().isoformat())
    page.fill("#id_title", "对窃水用户依法实施失信惩戒")
    page.fill("#id_accounts", f"{customer.account_no}、{county.account_no}")
    page.fill("#id_records", event.ref)
    page.fill("#id_actions", "核实窃水事实，录入信用事件，评定为黄色等级并书面告知。")
    page.fill("#id_effect", "用户补缴水费 800 元，签署信用承诺书。")
    page.click("[data-testid=case-submit]")
    expect(page.locator("[data-testid=case-form]")).to_contain_text(f"没有这些户号：{county.account_no}")
    shot("case-01-refused")
    assert not CreditCase.objects.exists()

    page.fill("#id_accounts", customer.account_no)
    page.click("[data-testid=case-submit]")
    case = CreditCase.objects.get()
    expect(page.locator("[data-testid=case-number]")).to_have_text(case.number)
    expect(page.locator("[data-testid=case-status]")).to_have_text("草稿")
    expect(page.locator("[data-testid=case-records]")).to_contain_text(event.ref)
    expect(page.locator("[data-testid=case-review]")).to_have_count(0)  # a clerk does not review
    shot("case-02-draft")

    page.click("form[action='/accounts/logout/'] button")
    log_in(page, base, "supervisor")
    page.goto(f"{base}{case.get_absolute_url()}")
    page.click("[data-testid=case-review]")
    expect(page.locator("[data-testid=case-status]")).to_have_text("已审核")
    page.fill("#id_reported_on", timezone.localdate().isoformat())
    page.click("[data-testid=case-report]")
    expect(page.locator("[data-testid=case-status]")).to_have_text("已上报")
    expect(page.locator("[data-testid=case-reported]")).to_contain_text("主管")
    shot("case-03-reported")

    response = page.request.get(f"{base}/reporting/cases/{case.number}/pdf/")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    (SCREENSHOTS / "case-05-case.pdf").write_bytes(response.body())
    text = subprocess.run(["pdftotext", "-", "-"], input=response.body(), capture_output=True, check=True).stdout
    assert "对窃水用户依法实施失信惩戒".encode() in text and event.ref.encode() in text

    page.click("[data-testid=work-nav-cases]")
    page.fill("[data-testid=filter-month]", f"{timezone.localdate():%Y-%m}")
    page.click("[data-testid=case-filter-submit]")
    expect(page.locator(f"[data-testid=case-row][data-number={case.number}]")).to_contain_text("已上报")
    expect(page.locator("[data-testid=cases-month-pdf]")).to_be_visible()
    shot("case-04-list")
    href = page.locator("[data-testid=cases-month-pdf]").get_attribute("href")
    month_pdf = page.request.get(f"{base}{href}")
    assert month_pdf.ok and month_pdf.body().startswith(b"%PDF")
