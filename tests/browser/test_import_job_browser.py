"""The import as a job in a real browser: upload, the job's page showing rows read while the worker
holds the import, then (the page refreshing itself) the result; the history lists it; an invalid
file's error list downloads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer, ImportJob
from tests.browser.conftest import log_in
from tests.test_import_jobs import Gate, need_worker
from tests.test_importer import CUSTOMER_HEADER_ZH, customer_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gate(monkeypatch):
    held = Gate(monkeypatch, after=30)
    yield held
    held.release.set()


def csv_bytes(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CUSTOMER_HEADER_ZH)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(page: Page, name: str, content: bytes) -> None:
    page.select_option("#id_kind", "customers")
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    page.click("form[enctype] button[type=submit]")


def test_upload_progress_result_history(page: Page, live_server, shot, clerk_city, celery_worker_or_eager, gate):
    need_worker(celery_worker_or_eager)
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/customers/import/")
    expect(page.locator("[data-testid=import-limit]")).to_contain_text("文件最大 512.0 MB")
    shot("import-page-jobs")

    upload(page, "月度客户.csv", csv_bytes([customer_row(f"B{i:03d}", i) for i in range(60)]))
    assert gate.reached.wait(30)
    progress = page.locator("[data-testid=import-progress]")
    expect(progress).to_contain_text("读取并逐行校验")
    expect(page.locator("[data-testid=progress-read]")).to_have_text("30")
    expect(page.locator("[data-testid=import-file-name]")).to_have_text("月度客户.csv")
    shot("import-job-progress")
    assert not Customer.objects.exists()

    gate.release.set()
    expect(page.locator("[data-testid=import-succeeded]")).to_contain_text(
        "60 条新建，0 条更新，0 条未变", timeout=30000
    )
    expect(page.locator("[data-testid=import-state]")).to_have_text("已导入")
    shot("import-job-done")
    assert Customer.objects.count() == 60

    page.click("text=导入记录")
    row = page.locator("[data-testid=import-history-row]").first
    expect(row).to_contain_text("月度客户.csv")
    expect(row).to_contain_text("城区客服")
    expect(row).to_contain_text(ImportJob.objects.get().sha256[:10])
    shot("import-history")

    # The created record's trail on its history page: the import (who, when, which file).
    page.goto(f"{live_server.url}/customers/file/B000/history/")
    created = page.locator("[data-testid=created-by-import]")
    expect(created).to_contain_text("月度客户.csv")
    expect(created).to_contain_text("城区客服")
    expect(created).to_contain_text("本客户档案")
    shot("import-created-history")


def test_invalid_file_shows_errors_and_downloads_them(
    page: Page, live_server, shot, clerk_city, celery_worker_or_eager
):
    log_in(page, live_server.url, "clerk_city")
    page.goto(f"{live_server.url}/customers/import/")
    upload(
        page,
        "有错.csv",
        csv_bytes([customer_row("X1", 1, opened_on="2020-02-30"), customer_row("X2", 2, company="东区")]),
    )
    expect(page.locator("[data-testid=import-failed]")).to_contain_text("文件中有 2 处错误", timeout=30000)
    errors = page.locator("[data-testid=import-errors]")
    expect(errors).to_contain_text("立户日期")
    expect(errors).to_contain_text("所属公司")
    shot("import-job-invalid")
    with page.expect_download() as download_info:
        page.locator("[data-testid=errors-csv]").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "行号,列,原因" and "2,立户日期," in text and "3,所属公司," in text
