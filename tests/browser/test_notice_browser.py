"""A clerk prepares a 告知书 for a red customer from the notice list, opens its PDF, records its delivery
(a future date is refused naming the field), and finds it on the credit file; screenshots."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ratings.models import RatingResult, RatingRun
from reporting.models import Notice
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_prepares_prints_and_records_a_notice(page: Page, live_server, shot, clerk_city):
    base = live_server.url
    red = factories.customer("city", account_no="CN2026001", name="随州市曾都区示范红色商贸有限公司")
    green = factories.customer("city", account_no="CN2026002", name="随州市曾都区示范绿色酒店有限公司")
    county = factories.customer("county", account_no="XN2026001", name="随县示范红色食品厂")
    for i in range(3):
        factories.event(red, "water_theft", amount="800.00", occurred_on=dt.date(2026, 3 + i, 5))
    run = RatingRun.objects.create(as_of=dt.date(2026, 10, 31), status=RatingRun.Status.SUCCEEDED, total=3, done=3)
    RatingResult.objects.bulk_create(
        [
            RatingResult(run=run, customer=red, level="red", criteria="R3"),
            RatingResult(run=run, customer=green, level="green", criteria="G1;G2;G3;G4"),
            RatingResult(run=run, customer=county, level="red", criteria="R1"),
        ]
    )
    log_in(page, base, "clerk_city")

    page.goto(f"{base}/reporting/notices/")
    rows = page.locator("[data-testid=needing-row]")
    expect(rows).to_have_count(1)  # the county's red customer is not the city clerk's
    row = page.locator(f"[data-testid=needing-row][data-account={red.account_no}]")
    expect(row).to_contain_text("红色")
    expect(row).to_contain_text("未生成")
    shot("notice-01-list")

    row.locator("[data-testid=prepare-notice]").click()
    notice = Notice.objects.get(customer=red)
    expect(page.locator("[data-testid=notice-number]")).to_have_text(notice.number)
    expect(page.locator("[data-testid=notice-state]")).to_have_text("待送达")
    expect(page.locator("[data-testid=notice-text]")).to_contain_text(red.uscc)
    expect(page.locator("[data-testid=notice-text]")).to_contain_text("信用中国（湖北随州）")
    shot("notice-02-prepared")

    # The PDF opens in a new tab and is a PDF.
    with page.context.expect_page() as popup_info:
        page.click("[data-testid=notice-pdf]")
    popup = popup_info.value
    popup.wait_for_load_state()
    assert re.search(rf"/reporting/notices/{notice.number}/pdf/$", popup.url)
    popup.close()
    response = page.request.get(f"{base}/reporting/notices/{notice.number}/pdf/")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # A date in the future is refused naming the field; nothing is written.
    today = timezone.localdate()
    page.fill("#id_given_on", (today + dt.timedelta(days=3)).isoformat())
    page.check("input[name=method][value=in_person]")
    page.click("[data-testid=given-submit]")
    form = page.locator("form[data-testid=given-form]")
    expect(form).to_contain_text("晚于今天")
    shot("notice-03-future-date-refused")
    notice.refresh_from_db()
    assert not notice.is_given

    page.fill("#id_given_on", today.isoformat())
    page.check("input[name=method][value=in_person]")
    page.click("[data-testid=given-submit]")
    expect(page.locator("[data-testid=notice-state]")).to_have_text("已送达")
    expect(page.locator("[data-testid=notice-given]")).to_contain_text("当面送达")
    expect(page.locator("[data-testid=notice-given]")).to_contain_text("城区客服")
    expect(page.locator("form[data-testid=given-form]")).to_have_count(0)
    shot("notice-04-given")
    notice.refresh_from_db()
    assert notice.given_on == today and notice.method == "in_person"

    # The credit file's card shows it delivered and no longer asks for a notice.
    page.click("[data-testid=customer-link]")
    card = page.locator("[data-testid=notice-card]")
    expect(card.locator(f"[data-testid=notice-card-row][data-number={notice.number}]")).to_contain_text("已送达")
    expect(card).to_contain_text("当面送达")
    expect(card.locator("[data-testid=prepare-notice]")).to_have_count(0)
    card.scroll_into_view_if_needed()
    shot("notice-05-credit-file")

    page.goto(f"{base}/reporting/notices/")
    expect(page.locator("[data-testid=needing-none]")).to_be_visible()
    expect(page.locator(f"[data-testid=notice-row][data-number={notice.number}]")).to_contain_text("已送达")
    shot("notice-06-list-after")
