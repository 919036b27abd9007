"""A clerk prepares, prints and signs a pledge (with a scan upload) in a real browser; coverage and a
batch print with its progress page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeState
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 500


def test_clerk_prepares_prints_and_signs_a_pledge(page: Page, live_server, shot, clerk_city, celery_worker_or_eager):
    base = live_server.url
    customer = factories.customer(
        "city", account_no="CS2026101", name="随州市曾都区示范酒店有限公司", opened_on=dt.date(2018, 5, 1)
    )
    for i in range(3):
        factories.customer("city", account_no=f"CS20262{i:02d}", name=f"随州市示范商贸{i}号有限公司")
    log_in(page, base, "clerk_city")

    page.goto(f"{base}/customers/file/{customer.account_no}/")
    card = page.locator("[data-testid=pledge-card]")
    expect(card).to_contain_text("尚未签署信用承诺书")
    page.click("[data-testid=prepare-pledge]")
    expect(page.locator("[data-testid=pledge-state]")).to_have_text("已生成")
    expect(page.locator("[data-testid=pledge-text]")).to_contain_text(customer.uscc)
    shot("pledge-01-prepared")

    # Print: the PDF opens in a new tab and the pledge becomes printed.
    with page.context.expect_page() as popup_info:
        page.click("[data-testid=print]")
    popup = popup_info.value
    popup.wait_for_load_state()
    assert re.search(r"/pledges/\d+/(pdf|print)/", popup.url)
    popup.close()
    page.reload()
    expect(page.locator("[data-testid=pledge-state]")).to_have_text("已打印")

    # Sign: a date before the pledge was generated and a renamed executable are refused with clear
    # messages (the date one points to 登记纸质承诺书), nothing stored.
    today = timezone.localdate()
    page.click("[data-testid=sign-link]")
    page.fill("#id_signed_on", (today - dt.timedelta(days=1)).isoformat())
    page.set_input_files("#id_scan", files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": ELF}])
    page.click("[data-testid=action-submit]")
    form = page.locator("form[data-testid=action-form]")
    expect(form).to_contain_text("只接受 PDF、JPEG 或 PNG")
    expect(form).to_contain_text(f"早于承诺书的生成日期 {today.isoformat()}")
    expect(form).to_contain_text("登记纸质承诺书")
    shot("pledge-02-sign-refused")
    pledge = Pledge.objects.get(customer=customer)
    assert pledge.state == PledgeState.PRINTED and not pledge.scan

    page.fill("#id_signed_on", today.isoformat())
    page.set_input_files(
        "#id_scan", files=[{"name": "签署扫描件.pdf", "mimeType": "application/pdf", "buffer": tiny_scan_pdf()}]
    )
    page.click("[data-testid=action-submit]")
    expect(page.locator("[data-testid=pledge-state]")).to_have_text("已签署")
    pledge.refresh_from_db()
    expect(page.locator("[data-testid=pledge-number]")).to_have_text(pledge.number)
    assert pledge.number.startswith(f"421300{today:%Y%m%d}")
    expect(page.locator("[data-testid=scan-sha256]")).to_have_text(pledge.scan_sha256)
    shot("pledge-03-signed")

    # The credit file shows it; the list and the coverage count it.
    page.click("[data-testid=customer-link]")
    expect(page.locator("[data-testid=pledge-card]")).to_contain_text("已签署")
    shot("pledge-04-credit-file")
    page.click("[data-testid=nav-pledges]")
    expect(page.locator("[data-testid=pledge-table]")).to_contain_text(pledge.number)
    shot("pledge-05-list")
    page.click("[data-testid=coverage-link]")
    row = page.locator("[data-testid=coverage-row][data-company=city]")
    expect(row.locator("[data-testid=signed]")).to_have_text("1")
    expect(row.locator("[data-testid=missing]")).to_have_text("3")
    shot("pledge-06-coverage")

    # Batch print the three without a pledge; the page follows the progress to the download link.
    row.locator("[data-testid=batch-print]").click()
    expect(page.locator("[data-testid=batch-download]")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-testid=progress-text]")).to_contain_text("已生成 3 / 3 份")
    shot("pledge-07-batch")


def test_wrong_state_pages_and_unfinished_batches_say_why(page: Page, live_server, shot, clerk_city):
    """A PNG named .pdf is kept as the image it is; the sign page of a signed pledge and the download
    of a batch still queued lead back with a message, not a blank form or a 404."""
    import io

    from django.db import transaction
    from PIL import Image

    from pledges import services
    from pledges.models import PledgeBatch

    base = live_server.url
    customer = factories.customer("city", account_no="CS2026301", name="随州市示范图片扫描有限公司")
    pledge = services.prepare_pledge(customer, user=clerk_city)
    services.mark_printed([pledge])
    log_in(page, base, "clerk_city")

    png = io.BytesIO()
    Image.new("RGB", (600, 800), (250, 250, 250)).save(png, "PNG")
    page.goto(f"{base}/pledges/{pledge.pk}/sign/")
    page.fill("#id_signed_on", "2999-01-01")
    page.set_input_files("#id_scan", files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": ELF}])
    page.click("[data-testid=action-submit]")
    form = page.locator("form[data-testid=action-form]")
    expect(form).to_contain_text("签署日期 2999-01-01 晚于今天")
    expect(form).to_contain_text("只接受 PDF、JPEG 或 PNG")
    shot("pledge-08a-sign-two-errors")
    page.fill("#id_signed_on", timezone.localdate().isoformat())
    page.set_input_files(
        "#id_scan", files=[{"name": "扫描件.pdf", "mimeType": "application/pdf", "buffer": png.getvalue()}]
    )
    page.click("[data-testid=action-submit]")
    expect(page.locator("[data-testid=pledge-state]")).to_have_text("已签署")
    expect(page.locator("[data-testid=pledge-facts]")).to_contain_text("PNG 图片")
    shot("pledge-08-png-scan")

    page.goto(f"{base}/pledges/{pledge.pk}/sign/")
    expect(page.locator("[data-testid=pledge-state]")).to_have_text("已签署")
    expect(page.locator(".alert-danger").first).to_contain_text("不能登记签署")
    shot("pledge-09-sign-refused-state")

    with transaction.atomic():
        batch = PledgeBatch.objects.create(company=customer.company, total=5, created_by=clerk_city)
    page.goto(f"{base}/pledges/batches/{batch.pk}/download/")
    expect(page.locator("[data-testid=batch-status]")).to_have_text("排队中")
    expect(page.locator("main, body").first).to_contain_text("批量打印尚未完成")
    shot("pledge-10-batch-not-finished")
