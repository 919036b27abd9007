"""Imports as Chinese offices make them (data-contract.md, "Imports"): CSVs saved by Chinese
Excel (GBK/GB18030), dates as Excel shows them (2020/3/5), control characters as row
errors, and the downloadable .xlsx template of each kind."""

from __future__ import annotations

import csv
import datetime
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from customers.importer import reader
from customers.importer.engine import read_header
from customers.importer.sample import EXAMPLE_ACCOUNT_NO
from customers.importer.specs import SPECS
from customers.models import Bill, Customer, Event
from tests import factories
from tests.test_importer import (
    BILL_HEADER,
    BILL_HEADER_ZH,
    CUSTOMER_HEADER,
    CUSTOMER_HEADER_ZH,
    EVENT_HEADER,
    ROOT,
    bill_row,
    customer_row,
    db_state,
    errors_of,
    event_row,
    imported,
    write_csv,
    write_xlsx,
)


def write_encoded_csv(path: Path, header: list, rows: list[list], encoding: str) -> Path:
    """A CSV as Chinese Excel writes it: `\\r\\n` line ends, in `encoding`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


# --- encodings -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_gbk_csv_of_customers_imports_with_names_intact(tmp_path):
    rows = [
        customer_row("K001", 1, name="随州市曾都区鑫源商贸有限公司", company="城市供水公司", payment_mode="后付"),
        customer_row("K002", 2, name="随县厉山镇供销合作社", company="county", address="随县厉山镇神农大道88号"),
    ]
    path = write_encoded_csv(tmp_path / "gbk.csv", CUSTOMER_HEADER_ZH, rows, "gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    assert reader.csv_encoding(str(path)) == "gb18030"
    result = imported("customers", path)
    assert result.ok, result.errors
    assert result.created == 2
    k1, k2 = Customer.objects.order_by("account_no")
    assert (k1.name, k1.company.code, k1.payment_mode) == ("随州市曾都区鑫源商贸有限公司", "city", "postpaid")
    assert (k2.name, k2.address) == ("随县厉山镇供销合作社", "随县厉山镇神农大道88号")
    assert imported("customers", path).unchanged == 2


@pytest.mark.django_db
def test_gb18030_csv_with_a_four_byte_character(tmp_path):
    name = "随州𠮷祥水务服务有限公司"  # 𠮷 is outside GBK: four bytes in GB18030
    assert len("𠮷".encode("gb18030")) == 4
    path = write_encoded_csv(tmp_path / "gb.csv", CUSTOMER_HEADER, [customer_row("K001", 1, name=name)], "gb18030")
    result = imported("customers", path)
    assert result.ok, result.errors
    assert Customer.objects.get().name == name


@pytest.mark.django_db
@pytest.mark.parametrize("bom", [False, True])
def test_utf8_with_or_without_bom_is_read_as_utf8(tmp_path, bom):
    name = "随州𠮷祥水务服务有限公司"
    path = write_csv(tmp_path / "u.csv", CUSTOMER_HEADER_ZH, [customer_row("K001", 1, name=name)], bom=bom)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == bom
    assert reader.csv_encoding(str(path)) == "utf-8-sig"
    result = imported("customers", path)
    assert result.ok, result.errors
    assert Customer.objects.get().name == name


@pytest.mark.django_db
def test_utf8_scan_streams_in_blocks_and_a_character_may_straddle_two(tmp_path, monkeypatch):
    """The validity scan reads fixed blocks; a block ending inside a character is not an error."""
    monkeypatch.setattr(reader, "SCAN_BLOCK", 7)
    path = write_csv(tmp_path / "u.csv", CUSTOMER_HEADER_ZH, [customer_row("K001", 1)])
    assert reader.csv_encoding(str(path)) == "utf-8-sig"
    gbk = write_encoded_csv(tmp_path / "g.csv", CUSTOMER_HEADER_ZH, [customer_row("K001", 1)], "gbk")
    assert reader.csv_encoding(str(gbk)) == "gb18030"
    assert imported("customers", gbk).ok


@pytest.mark.django_db
def test_gbk_csv_of_bills_and_events_with_excel_dates(tmp_path):
    factories.customer("city", account_no="C100", opened_on=datetime.date(2020, 1, 1))
    bills = write_encoded_csv(
        tmp_path / "b.csv",
        BILL_HEADER_ZH,
        [bill_row("C100", "2024-03", due_on="2024/4/5", paid_on="2024/04/01")],
        "gbk",
    )
    assert imported("bills", bills).ok
    bill = Bill.objects.get()
    assert (bill.due_on, bill.paid_on) == (datetime.date(2024, 4, 5), datetime.date(2024, 4, 1))
    events = write_encoded_csv(
        tmp_path / "e.csv",
        EVENT_HEADER,
        [event_row("稽查-001", "C100", "窃水", occurred_on="2024/3/1", amount="12000.50", note="私接管道")],
        "gbk",
    )
    result = imported("events", events)
    assert result.ok, result.errors
    event = Event.objects.get()
    assert (event.ref, event.type, event.occurred_on, event.note) == (
        "稽查-001",
        "water_theft",
        datetime.date(2024, 3, 1),
        "私接管道",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("label", ["情节较轻，主动赔偿", "情节较轻,主动赔偿"])
def test_a_severity_label_is_read_with_either_width_of_comma(tmp_path, label):
    """The label as shown (full-width comma) and as typed on a half-width keyboard or in older files."""
    factories.customer("city", account_no="C100", opened_on=datetime.date(2020, 1, 1))
    path = write_encoded_csv(
        tmp_path / "e.csv", EVENT_HEADER, [event_row("损坏-001", "C100", "facility_damage", severity=label)], "gbk"
    )
    result = imported("events", path)
    assert result.ok, result.errors
    assert Event.objects.get().severity == "minor"


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_excel_display_dates_are_accepted_as_text(tmp_path, fmt):
    rows = [
        customer_row("K001", 1, opened_on="2020/3/5"),
        customer_row("K002", 2, opened_on="2020/03/05"),
        customer_row("K003", 3, opened_on="2020-03-05"),
    ]
    path = (write_csv if fmt == "csv" else write_xlsx)(tmp_path / f"c.{fmt}", CUSTOMER_HEADER, rows)
    result = imported("customers", path)
    assert result.ok, result.errors
    assert set(Customer.objects.values_list("opened_on", flat=True)) == {datetime.date(2020, 3, 5)}
    assert imported("customers", path).unchanged == 3


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_date_that_does_not_exist_is_a_row_error_naming_the_column(tmp_path, fmt):
    rows = [customer_row("K001", 1), customer_row("K002", 2, opened_on="2020/2/30")]
    path = (write_csv if fmt == "csv" else write_xlsx)(tmp_path / f"c.{fmt}", CUSTOMER_HEADER_ZH, rows)
    before = db_state()
    assert errors_of(imported("customers", path)) == [(3, "立户日期", "不存在的日期")]
    assert db_state() == before


@pytest.mark.django_db
def test_xlsx_date_and_number_cells_read_as_they_show(tmp_path):
    """A date cell formatted yyyy/m/d is its date; numbers are their value, whatever the format."""
    factories.customer("city", account_no="10086", opened_on=datetime.date(2019, 1, 1))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(BILL_HEADER)
    ws.append([10086, "2024-03", 1280.5, datetime.datetime(2024, 4, 25), datetime.date(2024, 4, 20)])
    ws["C2"].number_format = "0.00"
    ws["D2"].number_format = ws["E2"].number_format = "yyyy/m/d"
    wb.save(tmp_path / "b.xlsx")
    assert imported("bills", tmp_path / "b.xlsx").ok
    bill = Bill.objects.get()
    assert (str(bill.amount), bill.due_on, bill.paid_on) == (
        "1280.50",
        datetime.date(2024, 4, 25),
        datetime.date(2024, 4, 20),
    )


# --- control characters ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\x7f"])
def test_a_control_character_in_a_csv_cell_is_a_row_error(tmp_path, char):
    rows = [customer_row("K001", 1), customer_row("K002", 2, name=f"随州{char}公司"), customer_row("K003", 3)]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    before = db_state()
    errors = errors_of(imported("customers", path))
    assert [(row, column) for row, column, _reason in errors] == [(3, "name")]
    assert f"U+{ord(char):04X}" in errors[0][2] and "控制字符" in errors[0][2]
    assert db_state() == before


@pytest.mark.django_db
def test_tabs_and_line_breaks_in_free_text_are_not_control_errors(tmp_path):
    rows = [customer_row("K001", 1, address="随州市\t曾都区\r\n测试路1号")]
    assert imported("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)).ok


def _xlsx_with_raw_text(path: Path, header: list, row: list, placeholder: str, raw: str) -> Path:
    """An .xlsx whose cell text holds `raw` as written in the file's XML (openpyxl refuses to write controls)."""
    write_xlsx(path.with_suffix(".tmp.xlsx"), header, [row])
    with zipfile.ZipFile(path.with_suffix(".tmp.xlsx")) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(placeholder.encode(), raw.encode())
            zout.writestr(item, data)
    return path


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["_x0000_", "\x7f", "\x85"])
def test_a_control_character_in_an_xlsx_cell_is_a_row_error(tmp_path, raw):
    """NUL can only be in an .xlsx as the OOXML escape _x0000_; DEL and C1 characters literally."""
    path = _xlsx_with_raw_text(
        tmp_path / "c.xlsx", CUSTOMER_HEADER_ZH, customer_row("K001", 1, name="随州PLACEHOLDER公司"), "PLACEHOLDER", raw
    )
    before = db_state()
    errors = errors_of(imported("customers", path))
    assert [(row, column) for row, column, _reason in errors] == [(2, "单位名称")]
    assert "控制字符" in errors[0][2]
    assert db_state() == before


def _subprocess_database_url(tmp_path: Path) -> str:
    """The test database for a child process: PostgreSQL's test database as it is, or a
    migrated SQLite file (pytest-django's SQLite test database lives in memory)."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    url = f"sqlite:///{tmp_path / 'child.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        timeout=300,
    )
    return url


@pytest.mark.django_db(transaction=True)
def test_a_nul_in_a_name_exits_1_with_row_errors_and_no_traceback_in_a_real_process(tmp_path):
    """Before, a NUL reached PostgreSQL's COPY and crashed with CharacterNotInRepertoire.

    Transactional: the child process commits its import's history row, which must not outlive
    this test."""
    rows = [customer_row("K001", 1), customer_row("K002", 2, name="随州\x00公司"), customer_row("K003", 3)]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    done = subprocess.run(
        [sys.executable, "manage.py", "import_records", "customers", str(path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _subprocess_database_url(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "CharacterNotInRepertoire" not in done.stderr
    assert "row 3, column name: 含有不可见的控制字符 U+0000，请删除后再导入" in done.stderr.splitlines()
    assert not [line for line in done.stderr.splitlines() if line.startswith("row ") and "row 3," not in line]
    assert not Customer.objects.exists()


# --- templates -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["customers", "bills", "events"])
def test_template_download_opens_and_imports_as_it_stands(tmp_path, login, clerk_city, kind):
    if kind != "customers":
        factories.customer("city", account_no=EXAMPLE_ACCOUNT_NO, opened_on=datetime.date(2020, 3, 5))
    response = login(clerk_city).get(reverse("customers:import_template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f"import-template-{kind}.xlsx" in response["Content-Disposition"]
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(response.content)

    wb = openpyxl.load_workbook(path)
    data, guide = wb.worksheets
    header = [c.value for c in data[1]]
    assert header == [col.zh for col in SPECS[kind].columns]
    layout, header_errors = read_header(SPECS[kind], header)
    assert layout is not None and not header_errors
    assert data.max_row == 2  # the header and one example row
    guide_text = "\n".join(str(v) for row in guide.iter_rows(values_only=True) for v in row if v is not None)
    assert "YYYY-MM-DD" in guide_text and "YYYY/M/D" in guide_text
    for col in SPECS[kind].columns:
        assert col.name in guide_text  # the English header names, also accepted
    expected = {
        "customers": ["city", "城市供水公司", "county", "随县供水公司", "prepaid", "预存", "postpaid", "后付"],
        "bills": [],
        "events": ["water_theft", "窃水", "pipe_outage", "造成公用管网停水", "minor", "情节较轻，主动赔偿", "serious"],
    }[kind]
    for value in expected:
        assert value in guide_text

    result = imported(kind, path)
    assert result.ok, result.errors
    assert result.created == 1
    assert imported(kind, path).unchanged == 1


@pytest.mark.django_db
def test_template_of_an_unknown_kind_is_404_and_needs_a_staff_role(login, clerk_city, client):
    assert login(clerk_city).get("/customers/import/template/things.xlsx").status_code == 404
    client.logout()
    nobody = factories.user("nobody", roles=(), companies=())
    assert login(nobody).get(reverse("customers:import_template", args=["customers"])).status_code == 403


@pytest.mark.django_db
def test_import_page_links_the_templates_and_lists_allowed_values_and_date_formats(login, clerk_city):
    html = login(clerk_city).get(reverse("customers:import")).content.decode()
    for kind in ("customers", "bills", "events"):
        assert reverse("customers:import_template", args=[kind]) in html
    assert "YYYY/M/D" in html and "YYYY-MM-DD" in html and "GBK" in html
    for value in ("county", "随县供水公司", "postpaid", "后付", "facility_damage", "故意破坏供水设施", "serious"):
        assert value in html
    assert EVENT_HEADER[5] in html  # pipe_diameter_mm
