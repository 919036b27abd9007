"""The upload page /customers/import/: the same importer, run as the logged-in user,
limited to the user's companies; errors shown as a table and nothing written."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import AuditEntry, Bill, Customer
from customers.views import imports
from tests import factories
from tests.test_importer import BILL_HEADER, CUSTOMER_HEADER, CUSTOMER_HEADER_ZH, bill_row, customer_row, db_state

URL = reverse("customers:import")


def csv_upload(header: list, rows: list[list], name: str = "data.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_upload(header: list, rows: list[list], name: str = "data.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
def test_user_without_a_role_is_refused(login):
    user = factories.user("nobody", roles=(), companies=())
    assert login(user).get(URL).status_code == 403


@pytest.mark.django_db
def test_page_shows_the_form_and_the_column_guide(login, clerk_city):
    response = login(clerk_city).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="kind"' in html and 'name="file"' in html
    assert "统一社会信用代码" in html and "pipe_diameter_mm" in html


@pytest.mark.django_db
def test_good_file_is_imported_as_the_user(login, clerk_city):
    client = login(clerk_city)
    upload = csv_upload(CUSTOMER_HEADER_ZH, [customer_row("K001", 1), customer_row("K002", 2)])
    response = client.post(URL, {"kind": "customers", "file": upload}, follow=True)
    assert response.status_code == 200
    assert "2 条新建, 0 条更新" in response.content.decode()
    assert set(Customer.objects.values_list("account_no", flat=True)) == {"K001", "K002"}
    entries = AuditEntry.objects.all()
    assert len(entries) == 2
    assert {(e.actor, e.user_id, e.action) for e in entries} == {("clerk_city", clerk_city.pk, "create")}
    assert "data.csv" in entries[0].note


@pytest.mark.django_db
def test_good_xlsx_file_is_imported(login, clerk_city, city_customer):
    client = login(clerk_city)
    upload = xlsx_upload(BILL_HEADER, [[city_customer.account_no, "2024-01", 12.5, datetime.date(2024, 1, 25), None]])
    response = client.post(URL, {"kind": "bills", "file": upload}, follow=True)
    assert "1 条新建, 0 条更新" in response.content.decode()
    assert Bill.objects.get().amount == 12.5


@pytest.mark.django_db
def test_large_upload_goes_through_a_temporary_file(login, clerk_city, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # any real file lands on disk
    upload = csv_upload(CUSTOMER_HEADER, [customer_row("K001", 1)])
    response = login(clerk_city).post(URL, {"kind": "customers", "file": upload}, follow=True)
    assert "1 条新建, 0 条更新" in response.content.decode()


@pytest.mark.django_db
def test_bad_file_shows_every_error_and_writes_nothing(login, clerk_city, city_customer):
    client = login(clerk_city)
    before = db_state()
    rows = [
        bill_row(city_customer.account_no, "2024-01", amount="-1"),
        bill_row("NOPE", "2024-01"),
        bill_row(city_customer.account_no, "2024-02"),
    ]
    response = client.post(URL, {"kind": "bills", "file": csv_upload(BILL_HEADER, rows)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "文件中有 2 处错误" in html
    assert response.context["errors_shown"][0].reason == "金额不能为负数"
    assert [(e.row, e.column) for e in response.context["errors_shown"]] == [(2, "amount"), (3, "account_no")]
    assert "户号不存在" in html and "行号" in html
    assert db_state() == before


@pytest.mark.django_db
def test_error_table_is_capped(login, clerk_city, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ERRORS_SHOWN", 2)
    rows = [customer_row(f"K{i}", i, opened_on="bad") for i in range(5)]
    response = login(clerk_city).post(URL, {"kind": "customers", "file": csv_upload(CUSTOMER_HEADER, rows)})
    assert len(response.context["errors_shown"]) == 2
    html = response.content.decode()
    assert "文件中有 5 处错误" in html and "仅显示前 2 处错误" in html


@pytest.mark.django_db
def test_county_clerk_cannot_import_a_city_customer(login, clerk_county):
    rows = [customer_row("K001", 1, company="county"), customer_row("K002", 2, company="city")]
    response = login(clerk_county).post(URL, {"kind": "customers", "file": csv_upload(CUSTOMER_HEADER, rows)})
    assert response.status_code == 200
    assert [(e.row, e.column, e.reason) for e in response.context["result"].errors] == [
        (3, "company", "无权导入该公司的客户")
    ]
    assert not Customer.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_county_clerk_cannot_import_bills_of_a_city_account(login, clerk_county, city_customer):
    rows = [bill_row(city_customer.account_no, "2024-01")]
    response = login(clerk_county).post(URL, {"kind": "bills", "file": csv_upload(BILL_HEADER, rows)})
    assert [(e.row, e.column, e.reason) for e in response.context["result"].errors] == [(2, "account_no", "户号不存在")]
    assert not Bill.objects.exists()


@pytest.mark.django_db
def test_superuser_may_import_any_company(login, clerk_county):
    admin = factories.user("root", roles=(), companies=(), is_superuser=True, is_staff=True)
    rows = [customer_row("K002", 2, company="city")]
    response = login(admin).post(URL, {"kind": "customers", "file": csv_upload(CUSTOMER_HEADER, rows)}, follow=True)
    assert "1 条新建" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("data.xls", b"xx"), "只接受 .csv 或 .xlsx 文件"),
        (SimpleUploadedFile("data.xlsx", b"not a workbook"), "无法读取 Excel 文件"),
        (SimpleUploadedFile("data.csv", "户号\n".encode("utf-16")), "UTF-8"),
    ],
)
def test_file_problems_are_form_errors(login, clerk_city, upload, message):
    response = login(clerk_city).post(URL, {"kind": "customers", "file": upload})
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors["file"])
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_too_large_upload_is_a_form_error(login, clerk_city, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10
    upload = csv_upload(CUSTOMER_HEADER, [customer_row("K001", 1)])
    response = login(clerk_city).post(URL, {"kind": "customers", "file": upload})
    assert response.status_code == 200 and "文件过大" in response.context["form"].errors["file"][0]
    assert not Customer.objects.exists()
