"""登记纸质承诺书 in a real browser: a clerk enters an old paper pledge from the credit file's card and
sees it marked 纸质补录 on its page, the card and the list."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeState
from tests import factories
from tests.browser.conftest import SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_registers_an_old_paper_pledge(page: Page, live_server, shot, clerk_city):
    base = live_server.url
    customer = factories.customer(
        "city", account_no="CP2025001", name="随州市曾都区老字号酱品有限公司", opened_on=dt.date(2016, 4, 1)
    )
    log_in(page, base, "clerk_city")
    page.goto(f"{base}/customers/file/{customer.account_no}/")
    page.locator("[data-testid=pledge-card]").screenshot(path=str(SCREENSHOTS / "pledge-paper-00-card-empty.png"))
    page.click("[data-testid=paper-pledge]")
    expect(page.locator("[data-testid=paper-hint]")).to_contain_text("纸质补录")

    # A date before the account was opened is named on its field.
    page.fill("#id_signed_on", "2015-12-01")
    page.set_input_files(
        "#id_scan", files=[{"name": "纸质承诺书.pdf", "mimeType": "application/pdf", "buffer": tiny_scan_pdf()}]
    )
    page.click("[data-testid=paper-submit]")
    expect(page.locator("form[data-testid=paper-form]")).to_contain_text("早于客户立户日期 2016-04-01")
    shot("pledge-paper-01-form-error")
    assert not Pledge.objects.filter(customer=customer).exists()

    page.fill("#id_signed_on", "2025-06-18")
    page.set_input_files(
        "#id_scan", files=[{"name": "纸质承诺书.pdf", "mimeType": "application/pdf", "buffer": tiny_scan_pdf()}]
    )
    page.click("[data-testid=paper-submit]")
    expect(page.locator("[data-testid=pledge-state]")).to_have_text("已签署")
    expect(page.locator("h1 [data-testid=paper-badge]")).to_have_text("纸质补录")
    pledge = Pledge.objects.get(customer=customer)
    assert pledge.state == PledgeState.SIGNED and pledge.number == "42130020250618000001"
    expect(page.locator("[data-testid=pledge-number]")).to_have_text(pledge.number)
    expect(page.locator("[data-testid=pledge-history]")).to_contain_text("登记纸质承诺书（纸质补录）")
    shot("pledge-paper-02-detail")

    page.click("[data-testid=customer-link]")
    card = page.locator("[data-testid=pledge-card]")
    expect(card.locator("[data-testid=paper-badge]")).to_have_text("纸质补录")
    expect(card.locator("[data-testid=paper-pledge]")).to_have_count(0)
    card.screenshot(path=str(SCREENSHOTS / "pledge-paper-03-card.png"))

    page.goto(f"{base}/customers/file/{customer.account_no}/")
    page.click("[data-testid=nav-pledges]")
    expect(page.locator("[data-testid=pledge-table] [data-testid=paper-badge]")).to_have_text("纸质补录")
    shot("pledge-paper-04-list")
