"""A clerk logs a 世界水日 activity with a photo and a link (no channel ticked first: refused naming the field),
finds it on its page and in the month's list; screenshots."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from reporting.models import PublicityItem
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_logs_a_publicity_item(page: Page, live_server, shot, clerk_city, tmp_path):
    base = live_server.url
    photo = tmp_path / "世界水日现场.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 140, 90)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    log_in(page, base, "clerk_city")

    page.click("[data-testid=nav-work]")
    page.click("[data-testid=work-nav-publicity]")
    page.click("[data-testid=publicity-new]")
    today = timezone.localdate()
    page.fill("#id_published_on", today.isoformat())
    page.select_option("#id_kind", label="诚信宣传活动")
    page.select_option("#id_occasion", label="世界水日（3月22日）")
    page.fill("#id_title", "“世界水日”诚信用水宣传进社区")
    page.fill("#id_text", "在白云社区设点宣传《湖北省社会信用信息管理条例》，发放资料 200 份。")
    page.fill("#id_link", "https://mp.weixin.qq.com/s/suizhou-water")
    page.set_input_files("#id_files", str(photo))
    page.click("[data-testid=publicity-submit]")
    expect(page.locator("[data-testid=publicity-form]")).to_contain_text("请至少选择一个宣传渠道")
    shot("publicity-01-refused")
    assert not PublicityItem.objects.exists()

    page.check("input[name=channels][value=wechat]")
    page.check("input[name=channels][value=outreach]")
    page.set_input_files("#id_files", str(photo))
    page.click("[data-testid=publicity-submit]")
    item = PublicityItem.objects.get()
    expect(page.locator("[data-testid=publicity-number]")).to_have_text(item.number)
    expect(page.locator("[data-testid=publicity-data]")).to_contain_text("“随州水务”微信公众号、进企业/进社区")
    expect(page.locator("[data-testid=publicity-files]")).to_contain_text("世界水日现场.png")
    expect(page.locator("img.img-fluid")).to_be_visible()
    shot("publicity-02-item")

    page.click("[data-testid=work-nav-publicity]")
    page.fill("[data-testid=filter-month]", f"{today:%Y-%m}")
    page.click("[data-testid=publicity-filter-submit]")
    expect(page.locator(f"[data-testid=publicity-row][data-number={item.number}]")).to_contain_text("诚信宣传活动")
    shot("publicity-03-list")
