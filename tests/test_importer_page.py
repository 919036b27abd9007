"""The upload page /customers/import/: the upload is stored and imported as a job by the same
importer, run as the logged-in user, limited to the user's companies; the job's page shows the
result, or every error as a table (and nothing written). Tasks run eagerly here, on commit
(tests/test_import_jobs.py runs them on a real worker)."""

from __future__ import annotations

import datetime
import hashlib
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from customers.models import AuditEntry, Bill, Customer, ImportJob
from customers.views import imports
from tests import factories
from tests.test_importer import BILL_HEADER, CUSTOMER_HEADER, CUSTOMER_HEADER_ZH, bill_row, customer_row, db_state

URL = reverse("customers:import")


@pytest.fixture
def post(eager_celery, django_capture_on_commit_callbacks):
    """post(client, kind, upload) -> the job's page after the import ran (the task runs on commit)."""

    def _post(client, kind, upload, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {"kind": kind, "file": upload, **extra})
        if response.status_code != 302:
            return response
        return client.get(response["Location"])

    return _post


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
def test_good_file_is_imported_as_the_user(login, clerk_city, post):
    client = login(clerk_city)
    upload = csv_upload(CUSTOMER_HEADER_ZH, [customer_row("K001", 1), customer_row("K002", 2)])
    response = post(client, "customers", upload)
    assert response.status_code == 200
    assert "2 条新建，0 条更新" in response.content.decode()
    assert set(Customer.objects.values_list("account_no", flat=True)) == {"K001", "K002"}
    # A created record's trail is its import (who, when, which file), not an audit entry each.
    job = ImportJob.objects.get()
    assert (job.user, job.file_name) == (clerk_city, "data.csv") and not AuditEntry.objects.exists()
    assert set(Customer.objects.values_list("import_job", flat=True)) == {job.pk}
    history = client.get(reverse("customers:history", args=["K001"])).content.decode()
    assert 'data-testid="created-by-import"' in history and "城区客服" in history and job.sha256 in history

    # An update through the page keeps its before/after entry, attributed to the clerk.
    upload = csv_upload(CUSTOMER_HEADER_ZH, [customer_row("K001", 1, name="随州改名有限公司")])
    assert "0 条新建，1 条更新" in post(client, "customers", upload).content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.user_id, entry.action, entry.after["name"]) == (
        "clerk_city",
        clerk_city.pk,
        "update",
        "随州改名有限公司",
    )
    assert "data.csv" in entry.note


@pytest.mark.django_db
def test_good_xlsx_file_is_imported(login, clerk_city, city_customer, post):
    client = login(clerk_city)
    upload = xlsx_upload(BILL_HEADER, [[city_customer.account_no, "2024-01", 12.5, datetime.date(2024, 1, 25), None]])
    response = post(client, "bills", upload)
    assert "1 条新建，0 条更新" in response.content.decode()
    assert Bill.objects.get().amount == 12.5


@pytest.mark.django_db
def test_upload_is_stored_hashed_and_removed_once_imported(login, clerk_city, post, media_root):
    upload = csv_upload(CUSTOMER_HEADER, [customer_row("K001", 1)])
    content = upload.read()
    upload.seek(0)
    response = post(login(clerk_city), "customers", upload)
    assert "1 条新建，0 条更新" in response.content.decode()
    job = ImportJob.objects.get()
    assert job.sha256 == hashlib.sha256(content).hexdigest() and job.sha256 in response.content.decode()
    assert job.file_name == "data.csv" and job.file_size == len(content)
    assert not job.file and not any(p.is_file() for p in media_root.rglob("*"))


@pytest.mark.django_db
def test_bad_file_shows_every_error_and_writes_nothing(login, clerk_city, city_customer, post):
    client = login(clerk_city)
    before = db_state()
    rows = [
        bill_row(city_customer.account_no, "2024-01", amount="-1"),
        bill_row("NOPE", "2024-01"),
        bill_row(city_customer.account_no, "2024-02"),
    ]
    response = post(client, "bills", csv_upload(BILL_HEADER, rows))
    assert response.status_code == 200
    html = response.content.decode()
    assert "文件中有 2 处错误" in html
    assert response.context["errors_shown"][0].reason == "金额不能为负数"
    assert [(e.row, e.column) for e in response.context["errors_shown"]] == [(2, "amount"), (3, "account_no")]
    assert "户号不存在" in html and "行号" in html
    assert db_state() == before


@pytest.mark.django_db
def test_error_table_is_capped(login, clerk_city, monkeypatch, post):
    monkeypatch.setattr(imports, "MAX_ERRORS_SHOWN", 2)
    rows = [customer_row(f"K{i}", i, opened_on="bad") for i in range(5)]
    response = post(login(clerk_city), "customers", csv_upload(CUSTOMER_HEADER, rows))
    assert len(response.context["errors_shown"]) == 2
    html = response.content.decode()
    assert "文件中有 5 处错误" in html and "仅显示前 2 处错误" in html


@pytest.mark.django_db
def test_county_clerk_cannot_import_a_city_customer(login, clerk_county, post):
    rows = [customer_row("K001", 1, company="county"), customer_row("K002", 2, company="city")]
    response = post(login(clerk_county), "customers", csv_upload(CUSTOMER_HEADER, rows))
    assert response.status_code == 200
    assert [(e.row, e.column, e.reason) for e in response.context["errors_shown"]] == [
        (3, "company", "无权导入该公司的客户")
    ]
    assert not Customer.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_county_clerk_cannot_import_bills_of_a_city_account(login, clerk_county, city_customer, post):
    rows = [bill_row(city_customer.account_no, "2024-01")]
    response = post(login(clerk_county), "bills", csv_upload(BILL_HEADER, rows))
    assert [(e.row, e.column, e.reason) for e in response.context["errors_shown"]] == [(2, "account_no", "户号不存在")]
    assert not Bill.objects.exists()


@pytest.mark.django_db
def test_superuser_may_import_any_company(login, clerk_county, post):
    admin = factories.user("root", roles=(), companies=(), is_superuser=True, is_staff=True)
    rows = [customer_row("K002", 2, company="city")]
    response = post(login(admin), "customers", csv_upload(CUSTOMER_HEADER, rows))
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
def test_file_problems_are_told(login, clerk_city, upload, message, post):
    """A wrong extension is a form error; a file that cannot be read fails its job with the reason."""
    response = post(login(clerk_city), "customers", upload)
    assert response.status_code == 200
    if "form" in response.context:
        assert any(message in e for e in response.context["form"].errors["file"])
    else:
        assert response.context["job"].state == ImportJob.State.FAILED
        assert message in response.context["job"].message and message in response.content.decode()
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_the_limit_the_page_shows_is_the_one_it_applies(login, clerk_city, settings, post):
    """The page says the largest file it takes; a file of exactly that size is imported, one byte
    more is refused with that size named (and is not stored)."""
    upload = csv_upload(CUSTOMER_HEADER, [customer_row("K001", 1)])
    size = upload.size
    settings.IMPORT_MAX_UPLOAD_BYTES = size
    client = login(clerk_city)
    shown = f"文件最大 {filesizeformat(size)}"
    assert shown in client.get(URL).content.decode()
    assert "1 条新建" in post(client, "customers", upload).content.decode()

    settings.IMPORT_MAX_UPLOAD_BYTES = size - 1
    upload = csv_upload(CUSTOMER_HEADER, [customer_row("K002", 2)])
    response = post(client, "customers", upload)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [f"文件过大，最大 {filesizeformat(size - 1)}"]
    assert f"文件最大 {filesizeformat(size - 1)}" in response.content.decode()
    assert not Customer.objects.filter(account_no="K002").exists() and ImportJob.objects.count() == 1
