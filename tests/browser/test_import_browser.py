"""The import page in a real browser: the guide lists the allowed values and date formats,
a template downloads, a GBK CSV from Chinese Excel imports (as a job, on the worker), and a NUL
is a row error."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer
from tests.browser.conftest import log_in
from tests.test_importer import CUSTOMER_HEADER_ZH, customer_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def gbk_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CUSTOMER_HEADER_ZH)
    writer.writerows(rows)
    return buffer.getvalue().encode("gbk")


def test_clerk_downloads_a_template_and_imports_a_gbk_csv(
    page: Page, live_server, shot, clerk_city, tmp_path, celery_worker_or_eager
):
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/customers/import/")
    expect(page.locator("[data-testid=import-rules]")).to_contain_text("YYYY/M/D")
    expect(page.locator("[data-testid=import-rules]")).to_contain_text("GBK")
    expect(page.locator("[data-testid=allowed-customers]").first).to_contain_text("随县供水公司")
    shot("import-page")

    with page.expect_download() as download_info:
        page.locator("[data-testid=template-customers]").click()
    download = download_info.value
    assert download.suggested_filename == "import-template-customers.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert [c.value for c in openpyxl.load_workbook(path).worksheets[0][1]] == CUSTOMER_HEADER_ZH

    page.select_option("#id_kind", "customers")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "客户.csv",
                "mimeType": "text/csv",
                "buffer": gbk_csv([customer_row("K001", 1, name="随州市曾都区鑫源商贸有限公司", opened_on="2020/3/5")]),
            }
        ],
    )
    page.click("form[enctype] button[type=submit]")
    expect(page.locator("[data-testid=import-succeeded]")).to_contain_text("1 条新建", timeout=30000)
    assert Customer.objects.get(account_no="K001").name == "随州市曾都区鑫源商贸有限公司"

    page.goto(f"{live_server.url}/customers/import/")

    page.select_option("#id_kind", "customers")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "nul.csv",
                "mimeType": "text/csv",
                "buffer": gbk_csv([customer_row("K002", 2, name="随州\x00公司")]),
            }
        ],
    )
    page.click("form[enctype] button[type=submit]")
    errors = page.locator("[data-testid=import-errors]")
    expect(errors).to_contain_text("单位名称", timeout=30000)
    expect(errors).to_contain_text("控制字符 U+0000")
    shot("import-page-nul-error")
    assert not Customer.objects.filter(account_no="K002").exists()
