"""What a clerk sees when a search or a note holds what the text rules refuse (screenshots)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_search_and_an_overlong_note_say_why(page, live_server, shot):
    factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="城区客服")
    customer = factories.customer("city", name="随州市文字规则测试有限公司")
    base = live_server.url
    log_in(page, base, "clerk_city")
    page.goto(f"{base}/customers/?q=%E6%B5%8B%E2%80%AE%E8%AF%95")  # 测 U+202E 试
    shot("customer-list-search-bidi-refused")
    expect(page.get_by_text("不能包含文字方向控制符 U+202E（第 2 个字符）")).to_be_visible()
    page.goto(f"{base}/customers/file/{customer.account_no}/events/new/")
    page.select_option("select[name=type]", "contract_violation")
    page.fill("input[name=occurred_on]", "2026-01-05")
    page.evaluate("document.querySelector('textarea[name=note]').removeAttribute('maxlength')")
    page.fill("textarea[name=note]", "长" * 2500)
    page.click("[data-testid=event-submit]")
    expect(page.get_by_text("说明：最多 2000 个字符，实际 2500 个")).to_be_visible()
    shot("event-form-note-too-long")
