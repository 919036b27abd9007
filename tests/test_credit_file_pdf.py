"""The credit file as a PDF (信用档案打印件): scoped like the file, A4 with the Chinese font embedded,
master data with the phone masked, the stored level with Annex 4's criteria and measures (as the
rating card), records, pledges, repairs and notices, "第 N 页 共 M 页" on every page; a long file
paginates with its table headers repeated and renders in a few seconds."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from customers.models import Event
from pledges import services as pledge_services
from ratings.models import LevelOverride, RatingResult, RatingRun
from repair.models import RepairRequest
from tests import factories

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(autouse=True)
def _poppler():
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext, pdffonts, pdftoppm) is required: make install")


@pytest.fixture(autouse=True)
def at_noon():
    # 2026-11-30 10:00 in Shanghai is 02:00 UTC: the printout must say 10:00.
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def pdf_pages_text(data: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, whitespace removed."""
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], capture_output=True, check=True)
    pages = out.stdout.decode().split("\f")
    return ["".join(p.split()) for p in pages if p.strip()]


@pytest.fixture
def red_customer(db):
    c = factories.customer(
        "city",
        account_no="011500001",
        name="随州市城区示范餐饮有限公司",
        legal_representative="王建国",
        phone="13871234567",
        address="随州市曾都区烈山大道100号",
        payment_mode="postpaid",
    )
    for month in range(4, 9):
        factories.bill(c, f"2026-{month:02d}", amount="1234.50")  # five unpaid, overdue bills
    factories.bill(c, "2026-02", amount="88.00", paid_on=dt.date(2026, 3, 10))  # paid late
    factories.bill(c, "2026-01", amount="77.00", paid_on=dt.date(2026, 1, 20))  # paid on time: not listed
    run = RatingRun.objects.create(as_of=dt.date(2026, 10, 31), status=RatingRun.Status.SUCCEEDED)
    RatingResult.objects.create(run=run, customer=c, level="red", criteria="R2")
    return c


def get_pdf(client, customer):
    response = client.get(reverse("customers:file_pdf", args=[customer.account_no]))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    return response.content


def test_printout_has_company_printer_master_data_level_and_records(login, clerk_city, red_customer, tmp_path):
    factories.event(red_customer, "water_theft", amount="12000.50", ref="EVTHEFT01", occurred_on=dt.date(2026, 3, 1))
    voided = factories.event(red_customer, "contract_violation", ref="EVVOID01", occurred_on=dt.date(2026, 2, 1))
    Event.objects.filter(pk=voided.pk).update(
        voided_at=dt.datetime(2026, 2, 5, 3, tzinfo=dt.UTC), void_reason="录入错误"
    )
    repaired = factories.event(red_customer, "pipe_outage", pipe_diameter_mm=200, ref="EVPIPE01")
    Event.objects.filter(pk=repaired.pk).update(repaired_at=dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC))
    pledge = pledge_services.prepare_pledge(red_customer, user=clerk_city)

    pages = pdf_pages_text(get_pdf(login(clerk_city), red_customer), tmp_path)
    text = "".join(pages)
    assert "供水用水信用档案" in text
    assert "随州市水务集团有限公司" in text or red_customer.company.name in text
    assert "打印时间2026-11-3010:00" in text and "打印人城区客服" in text
    for value in (
        "011500001",
        red_customer.name,
        red_customer.uscc,
        "王建国",
        "随州市曾都区烈山大道100号",
        "2019-01-01",
    ):
        assert value in text, value
    assert "138****4567" in text and "13871234567" not in text  # masked as in the audit log
    assert red_customer.get_kind_display() in text and red_customer.get_payment_mode_display() in text
    # the stored result and Annex 4's words, the measures of that level
    assert "生效等级红色" in text and "评定基准日2026-10-31" in text
    assert "R2一年内发生5次及以上未按约定缴纳水费的行为" in text
    assert "监管措施（红色）" in text
    # events with their state; overdue and late bills only
    assert "EVTHEFT01" in text and "金额12,000.50元" in text and "窃水" in text
    assert re.search(r"EVVOID01.*?作废", text) and re.search(r"EVPIPE01.*?已修复", text)
    assert "逾期未缴5笔，合计6,172.50元" in text
    assert "2026-02" in text and "逾期缴纳" in text and "77.00" not in text
    assert pledge.get_kind_display() in text and "已生成" in text
    assert f"第1页共{len(pages)}页" in pages[0]


def test_override_repairs_and_notices_are_listed(login, clerk_city, supervisor, red_customer, tmp_path):
    LevelOverride.objects.create(
        customer=red_customer,
        level="yellow",
        reason="经核实已签订分期缴费协议",
        starts_on=dt.date(2026, 10, 1),
        created_by=supervisor,
    )
    req = RepairRequest.objects.create(
        number="XF-2026-0001",
        kind=RepairRequest.Kind.REPAIR,
        customer=red_customer,
        company=red_customer.company,
        reason="已整改",
        submitted_by=clerk_city,
        accept_by=dt.date(2026, 12, 7),
    )
    text = "".join(pdf_pages_text(get_pdf(login(clerk_city), red_customer), tmp_path))
    assert "生效等级黄色" in text and "评定等级红色" in text and "经核实已签订分期缴费协议" in text
    assert "监管措施（黄色）" in text
    assert req.number in text and "信用修复" in text and "已提交" in text


def test_another_companys_customer_is_not_found_and_login_is_required(client, login, clerk_county, red_customer):
    url = reverse("customers:file_pdf", args=[red_customer.account_no])
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    assert login(clerk_county).get(url).status_code == 404


def test_the_file_page_links_to_the_printout(login, clerk_city, red_customer):
    html = login(clerk_city).get(reverse("customers:detail", args=[red_customer.account_no])).content.decode()
    assert reverse("customers:file_pdf", args=[red_customer.account_no]) in html and "打印档案" in html


def test_long_file_paginates_with_headers_and_page_numbers_and_the_font_is_embedded(
    login, clerk_city, red_customer, tmp_path
):
    Event.objects.bulk_create(
        Event(
            customer=red_customer,
            ref=f"EVLONG{i:04d}",
            type="contract_violation",
            occurred_on=dt.date(2025, 12, 1) + dt.timedelta(days=i % 300),
            note="用水检查发现违约用水,已责令整改",
        )
        for i in range(300)
    )
    client = login(clerk_city)
    started = time.monotonic()
    data = get_pdf(client, red_customer)
    elapsed = time.monotonic() - started
    assert elapsed < 15, elapsed  # a few seconds on a developer machine

    reader = PdfReader(io.BytesIO(data))
    count = len(reader.pages)
    assert count >= 5, count
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    pages = pdf_pages_text(data, tmp_path)
    assert len(pages) == count
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页共{count}页" in page, n
    # every page the events table continues on repeats its header
    event_pages = [p for p in pages if "EVLONG" in p]
    assert len(event_pages) >= 4
    assert all("类型发生日期单据编号内容状态" in p for p in event_pages)
    assert sum(p.count("EVLONG") for p in pages) == 300

    path = tmp_path / "long.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and any("WenQuanYi" in row[0] for row in rows), fonts
    assert all(row[-5] == "yes" for row in rows), fonts
    # PNGs of the first two pages for a person to look at (test-artifacts/credit-file-1.png, -2.png)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(path), str(ARTIFACTS / "credit-file")], check=True
    )
