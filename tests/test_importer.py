"""The importer and `manage.py import_records` (data-contract.md, "Imports").

Test files are built in tmp_path with csv/openpyxl. Every rule of the contract is broken
once: the error names the row, the column as the header writes it, and the reason, and
the customers, bills, events and audit tables are left exactly as they were.
"""

from __future__ import annotations

import csv
import datetime
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.audit import acting_as, mask_phone
from customers.importer import ImportFileError, run_import
from customers.models import AuditEntry, Bill, Customer, Event
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
ACTOR = "command:import_records"

CUSTOMER_HEADER = [
    "account_no",
    "name",
    "uscc",
    "company",
    "opened_on",
    "payment_mode",
    "legal_representative",
    "phone",
    "address",
]
CUSTOMER_HEADER_ZH = [
    "户号",
    "单位名称",
    "统一社会信用代码",
    "所属公司",
    "立户日期",
    "缴费方式",
    "法定代表人",
    "联系电话",
    "用水地址",
]
BILL_HEADER = ["account_no", "period", "amount", "due_on", "paid_on"]
BILL_HEADER_ZH = ["户号", "账期", "应缴金额", "缴费期限", "缴费日期"]
EVENT_HEADER = [
    "ref",
    "account_no",
    "type",
    "occurred_on",
    "amount",
    "pipe_diameter_mm",
    "force_majeure",
    "severity",
    "note",
]
EVENT_HEADER_ZH = ["单据编号", "户号", "类型", "发生日期", "金额", "管径", "不可抗力", "情节", "说明"]


# --- helpers -----------------------------------------------------------------------


def write_csv(path: Path, header: list, rows: list[list], *, bom: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, header: list, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def customer_row(account_no: str, n: int, /, **kw) -> list:
    values = dict(
        account_no=account_no,
        name=f"随州导入测试{n}号有限公司",
        uscc=factories.uscc(800000 + n),
        company="city",
        opened_on="2020-01-01",
        payment_mode="prepaid",
        legal_representative="张三",
        phone="13812345678",
        address="随州市曾都区测试路1号",
    )
    values.update(kw)
    return [values[c] for c in CUSTOMER_HEADER]


def bill_row(account_no: str, period: str, /, **kw) -> list:
    values = dict(account_no=account_no, period=period, amount="100.50", due_on=f"{period}-25", paid_on="")
    values.update(kw)
    return [values[c] for c in BILL_HEADER]


def event_row(ref: str, account_no: str, type: str = "contract_violation", /, **kw) -> list:
    values = dict(
        ref=ref,
        account_no=account_no,
        type=type,
        occurred_on="2024-03-01",
        amount="",
        pipe_diameter_mm="",
        force_majeure="",
        severity="",
        note="",
    )
    values.update(kw)
    return [values[c] for c in EVENT_HEADER]


def db_state() -> dict:
    """Everything the importer may write, to compare before and after a failed import."""
    return {
        "customers": list(Customer.objects.order_by("pk").values()),
        "bills": list(Bill.objects.order_by("pk").values()),
        "events": list(Event.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
    }


def errors_of(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in result.errors]


def imported(kind: str, path: Path, **kw):
    with acting_as(ACTOR):
        return run_import(kind, str(path), **kw)


@pytest.fixture
def acct(db) -> Customer:
    """An existing city customer opened on 2020-01-01 that bills and events refer to."""
    return factories.customer("city", account_no="C100", opened_on=datetime.date(2020, 1, 1))


# --- good files -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("chinese", [False, True])
def test_good_customers_file_is_imported(tmp_path, fmt, chinese):
    header = CUSTOMER_HEADER_ZH if chinese else CUSTOMER_HEADER
    rows = [customer_row("K001", 1), customer_row("K002", 2, company="随县供水公司", payment_mode="后付", phone="")]
    writer = write_xlsx if fmt == "xlsx" else write_csv
    path = writer(tmp_path / f"customers.{fmt}", header, rows)

    result = imported("customers", path)

    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    k1, k2 = Customer.objects.get(account_no="K001"), Customer.objects.get(account_no="K002")
    assert (k1.company.code, k1.payment_mode, k1.kind, k1.phone) == ("city", "prepaid", "enterprise", "13812345678")
    assert (k2.company.code, k2.payment_mode, k2.phone) == ("county", "postpaid", "")
    assert k1.opened_on == datetime.date(2020, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("chinese", [False, True])
def test_good_bills_file_is_imported(tmp_path, acct, fmt, chinese):
    header = BILL_HEADER_ZH if chinese else BILL_HEADER
    rows = [bill_row("C100", "2024-01", paid_on="2024-01-20"), bill_row("C100", "2024-02", amount="0")]
    writer = write_xlsx if fmt == "xlsx" else write_csv
    path = writer(tmp_path / f"bills.{fmt}", header, rows)

    result = imported("bills", path)

    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 0)
    jan = Bill.objects.get(customer=acct, period="2024-01")
    assert (jan.amount, jan.due_on, jan.paid_on) == (
        Decimal("100.50"),
        datetime.date(2024, 1, 25),
        datetime.date(2024, 1, 20),
    )
    assert Bill.objects.get(customer=acct, period="2024-02").paid_on is None


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("chinese", [False, True])
def test_good_events_file_is_imported(tmp_path, acct, fmt, chinese):
    header = EVENT_HEADER_ZH if chinese else EVENT_HEADER
    rows = [
        event_row("E1", "C100", "water_theft", amount="1200.5"),
        event_row("E2", "C100", "pipe_outage", pipe_diameter_mm="300", force_majeure="1"),
        event_row("E3", "C100", "facility_damage", severity="minor", note="损坏表箱"),
        event_row("E4", "C100", "窃水", amount="8"),  # the Chinese label of a type
    ]
    writer = write_xlsx if fmt == "xlsx" else write_csv
    path = writer(tmp_path / f"events.{fmt}", header, rows)

    result = imported("events", path)

    assert result.ok, result.errors
    assert result.created == 4
    e1, e2, e3, e4 = (Event.objects.get(ref=r) for r in ("E1", "E2", "E3", "E4"))
    assert (e1.type, e1.amount, e1.pipe_diameter_mm, e1.force_majeure) == (
        "water_theft",
        Decimal("1200.50"),
        None,
        False,
    )
    assert (e2.pipe_diameter_mm, e2.force_majeure) == (300, True)
    assert (e3.severity, e3.note) == ("minor", "损坏表箱")
    assert e4.type == "water_theft"
    assert e1.customer == acct and e1.created_by is None


@pytest.mark.django_db
def test_csv_with_bom_and_chinese_headers(tmp_path):
    path = write_csv(tmp_path / "bom.csv", CUSTOMER_HEADER_ZH, [customer_row("K001", 1)], bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = imported("customers", path)
    assert result.ok, result.errors
    assert Customer.objects.filter(account_no="K001").exists()


@pytest.mark.django_db
def test_xlsx_typed_cells_are_converted(tmp_path, acct):
    """Dates, integer-valued floats and numbers typed in Excel read as their text."""
    factories.customer("city", account_no="10086", opened_on=datetime.date(2019, 1, 1))
    bills = write_xlsx(
        tmp_path / "bills.xlsx",
        BILL_HEADER,
        [[10086, datetime.date(2024, 3, 1), 88.5, datetime.datetime(2024, 3, 25), datetime.date(2024, 3, 20)]],
    )
    assert imported("bills", bills).ok
    bill = Bill.objects.get(customer__account_no="10086")
    assert (bill.period, bill.amount, bill.due_on, bill.paid_on) == (
        "2024-03",
        Decimal("88.50"),
        datetime.date(2024, 3, 25),
        datetime.date(2024, 3, 20),
    )
    events = write_xlsx(
        tmp_path / "events.xlsx",
        EVENT_HEADER,
        [["E9", "C100", "pipe_outage", datetime.datetime(2024, 5, 1), None, 15.0, 0, None, None]],
    )
    result = imported("events", events)
    assert result.ok, result.errors
    assert Event.objects.get(ref="E9").pipe_diameter_mm == 15


@pytest.mark.django_db
def test_column_order_is_free_and_optional_columns_may_be_absent(tmp_path):
    header = ["payment_mode", "opened_on", "company", "uscc", "name", "account_no"]
    row = ["prepaid", "2021-05-06", "county", factories.uscc(777), "某公司", "K7"]
    result = imported("customers", write_csv(tmp_path / "c.csv", header, [row]))
    assert result.ok, result.errors
    k7 = Customer.objects.get(account_no="K7")
    assert (k7.company.code, k7.phone, k7.address) == ("county", "", "")


@pytest.mark.django_db
def test_blank_lines_are_ignored(tmp_path):
    rows = [customer_row("K001", 1), [""] * len(CUSTOMER_HEADER), customer_row("K002", 2)]
    result = imported("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows))
    assert result.ok and result.created == 2


# --- counts, idempotency, updates ------------------------------------------------------


@pytest.mark.django_db
def test_same_file_twice_changes_nothing(tmp_path, acct):
    customers = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer_row("K001", 1), customer_row("K002", 2)])
    bills = write_csv(tmp_path / "b.csv", BILL_HEADER, [bill_row("C100", "2024-01"), bill_row("K001", "2024-01")])
    events = write_csv(
        tmp_path / "e.csv",
        EVENT_HEADER,
        [event_row("E1", "C100", "pipe_outage", pipe_diameter_mm="100"), event_row("E2", "K002", note="说明")],
    )
    first = [imported(kind, path) for kind, path in (("customers", customers), ("bills", bills), ("events", events))]
    assert [(r.created, r.updated) for r in first] == [(2, 0), (2, 0), (2, 0)]
    before = db_state()

    again = [imported(kind, path) for kind, path in (("customers", customers), ("bills", bills), ("events", events))]

    assert [(r.created, r.updated, r.unchanged) for r in again] == [(0, 0, 2), (0, 0, 2), (0, 0, 2)]
    assert db_state() == before


@pytest.mark.django_db
def test_created_and_updated_counts(tmp_path):
    existing = factories.customer("city", account_no="K001", name="旧名称", phone="13812345678")
    factories.customer(
        "city", account_no="K003", name="同名公司", uscc=factories.uscc(900), opened_on=datetime.date(2020, 1, 1)
    )
    rows = [
        customer_row("K001", 1, name="新名称"),  # updated
        customer_row("K002", 2),  # created
        ["K003", "同名公司", factories.uscc(900), "city", "2020-01-01", "prepaid", "", "", ""],  # unchanged
    ]
    stamp = Customer.objects.get(account_no="K003").updated_at

    result = imported("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows))

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    existing.refresh_from_db()
    assert existing.name == "新名称" and existing.updated_at > existing.created_at
    assert Customer.objects.get(account_no="K003").updated_at == stamp


@pytest.mark.django_db
def test_kind_is_derived_from_uscc(tmp_path):
    rows = [customer_row("K001", 1, uscc=factories.uscc(5, prefix="12"))]
    assert imported("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)).ok
    assert Customer.objects.get(account_no="K001").kind == "institution"


@pytest.mark.django_db
def test_bill_update_keeps_repair_mark_and_clears_payment(tmp_path, acct):
    """An empty paid_on means unpaid; the repair mark is not the importer's to touch."""
    bill = factories.bill(acct, "2024-01", paid_on=datetime.date(2024, 1, 20))
    Bill.objects.filter(pk=bill.pk).update(repaired_at=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC))
    result = imported("bills", write_csv(tmp_path / "b.csv", BILL_HEADER, [bill_row("C100", "2024-01", amount="100")]))
    assert (result.created, result.updated) == (0, 1)
    bill.refresh_from_db()
    assert bill.paid_on is None and bill.repaired_at is not None and bill.amount == Decimal("100")


@pytest.mark.django_db
def test_event_update_may_move_it_to_another_customer_and_a_voided_event_stays_voided(tmp_path, acct):
    other = factories.customer("city", account_no="C200")
    voided_at = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    factories.event(acct, ref="E1", occurred_on=datetime.date(2024, 3, 1), voided_at=voided_at, void_reason="录错")
    rows = [event_row("E1", "C200", "dishonesty_general", note="改正户号")]
    result = imported("events", write_csv(tmp_path / "e.csv", EVENT_HEADER, rows))
    assert (result.created, result.updated) == (0, 1)
    event = Event.objects.get(ref="E1")
    assert (event.customer, event.type, event.voided_at, event.void_reason) == (
        other,
        "dishonesty_general",
        voided_at,
        "录错",
    )
    entry = AuditEntry.objects.get(model="event", action="update")
    assert (entry.before["customer"], entry.after["customer"], entry.customer_id) == (acct.pk, other.pk, other.pk)


# --- audit ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_entries_hold_actor_before_after_and_masked_phone(tmp_path):
    customer = factories.customer("city", account_no="K001", phone="13812345678", name="旧名称")
    rows = [customer_row("K001", 1, name="新名称", phone="13900001111"), customer_row("K002", 2, phone="0722-1234567")]
    call_command(
        "import_records", "customers", str(write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)), stdout=io.StringIO()
    )

    update = AuditEntry.objects.get(action="update")
    assert (update.actor, update.user_id, update.model, update.object_id, update.customer_id) == (
        ACTOR,
        None,
        "customer",
        "K001",
        customer.pk,
    )
    assert update.before["name"] == "旧名称" and update.after["name"] == "新名称"
    assert update.before["phone"] == "138****5678" and update.after["phone"] == "139****1111"
    # The command's created record: its trail is the command's run in the import history.
    assert not AuditEntry.objects.filter(action="create").exists()
    new = Customer.objects.get(account_no="K002")
    assert (new.import_job.actor, new.import_job.file_name, new.import_job.state) == (ACTOR, "c.csv", "succeeded")
    assert Customer.objects.get(account_no="K001").import_job is None  # updated, not created
    assert {"name", "phone"} <= {field for field, _old, _new in update.changes()}


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["13812345678", "0722-1234567", "+86 138 1234 5678", "12345", "1234567", "12345678"])
def test_sql_phone_mask_matches_audit_mask_phone(tmp_path, phone):
    rows = [customer_row("K001", 1, phone=phone)]
    assert imported("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)).ok
    assert AuditEntry.objects.get().after["phone"] == mask_phone(phone)


@pytest.mark.django_db
def test_bill_and_event_audit_entries(tmp_path, acct):
    factories.bill(acct, "2024-01", amount="10.00")
    bills = [bill_row("C100", "2024-01", amount="12.3"), bill_row("C100", "2024-02")]
    assert imported("bills", write_csv(tmp_path / "b.csv", BILL_HEADER, bills)).ok
    update = AuditEntry.objects.get(model="bill", action="update")
    assert (update.object_id, update.customer_id) == ("C100 2024-01", acct.pk)
    assert (update.before["amount"], update.after["amount"]) == ("10.00", "12.30")
    create = AuditEntry.objects.get(model="bill", action="create")
    assert create.after == {
        "customer": acct.pk,
        "period": "2024-02",
        "amount": "100.50",
        "due_on": "2024-02-25",
        "paid_on": None,
    }
    events = [event_row("E1", "C100", "pipe_outage", pipe_diameter_mm="50", force_majeure="1")]
    assert imported("events", write_csv(tmp_path / "e.csv", EVENT_HEADER, events)).ok
    entry = AuditEntry.objects.get(model="event")
    assert (entry.actor, entry.object_id, entry.customer_id) == (ACTOR, "E1", acct.pk)
    assert entry.after["force_majeure"] is True and entry.after["pipe_diameter_mm"] == 50
    assert entry.after["amount"] is None


# --- every rule broken once ---------------------------------------------------------------

CUSTOMER_CASES = [
    ("account_no", "K 1", "户号应为1-32位字母、数字或 -"),
    ("account_no", "K" * 33, "户号应为1-32位字母、数字或 -"),
    ("account_no", "", "不能为空"),
    ("name", "名" * 201, "最多 200 个字符"),
    ("name", "", "不能为空"),
    ("uscc", "91421300000000001A", "校验位不正确"),
    ("uscc", "9142130000000000", "应为18位"),
    ("company", "town", "应为 city（城市供水公司）或 county（随县供水公司）"),
    ("opened_on", "2099-01-01", "不能晚于今天"),
    ("opened_on", "2020.01.01", "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"),
    ("opened_on", "2020/2/30", "不存在的日期"),
    ("opened_on", "2020-3-5", "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"),
    ("payment_mode", "cash", "应为 prepaid（预存）或 postpaid（后付）"),
    ("phone", "abc123", "电话只能包含数字"),
    ("phone", "1234", "电话只能包含数字"),
    ("legal_representative", "法" * 101, "最多 100 个字符"),
    ("address", "址" * 301, "最多 300 个字符"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("column", "value", "reason"), CUSTOMER_CASES)
def test_customer_rule_broken(tmp_path, acct, column, value, reason):
    rows = [customer_row("K001", 1), customer_row("K002", 2, **{column: value})]
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    before = db_state()
    result = imported("customers", path)
    assert len(result.errors) == 1, errors_of(result)
    error = result.errors[0]
    assert (error.row, error.column) == (3, column) and reason in error.reason
    assert db_state() == before


BILL_CASES = [
    ("account_no", "NOPE", "户号不存在"),
    ("account_no", "C 100", "户号应为1-32位字母、数字或 -"),
    ("period", "2024-13", "账期格式应为 YYYY-MM"),
    ("period", "202401", "账期格式应为 YYYY-MM"),
    ("amount", "-1", "金额不能为负数"),
    ("amount", "1.234", "金额应为数字，最多两位小数"),
    ("amount", "", "不能为空"),
    ("due_on", "2024-02-30", "不存在的日期"),
    ("paid_on", "2099-01-01", "不能晚于今天"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("column", "value", "reason"), BILL_CASES)
def test_bill_rule_broken(tmp_path, acct, column, value, reason):
    rows = [bill_row("C100", "2024-01"), bill_row("C100", "2024-02", **{column: value})]
    path = write_csv(tmp_path / "b.csv", BILL_HEADER, rows)
    before = db_state()
    result = imported("bills", path)
    assert len(result.errors) == 1, errors_of(result)
    error = result.errors[0]
    assert (error.row, error.column) == (3, column) and reason in error.reason
    assert db_state() == before


EVENT_CASES = [
    ({"ref": "R" * 65}, "ref", "单据编号最多64个字符"),
    ({"account_no": "NOPE"}, "account_no", "户号不存在"),
    ({"type": "bogus"}, "type", "不是有效的事件类型代码"),
    ({"occurred_on": "2099-01-01"}, "occurred_on", "不能晚于今天"),
    ({"occurred_on": "2019-12-31"}, "occurred_on", "不能早于立户日期（2020-01-01）"),
    ({"type": "water_theft"}, "amount", "此类型必须填写"),
    ({"type": "water_theft", "amount": "0"}, "amount", "金额必须大于0"),
    ({"type": "water_theft", "amount": "1.001"}, "amount", "金额应为数字，最多两位小数"),
    ({"type": "pipe_outage"}, "pipe_diameter_mm", "此类型必须填写"),
    ({"type": "pipe_outage", "pipe_diameter_mm": "10"}, "pipe_diameter_mm", "管径应在 15-3000 mm 之间"),
    ({"type": "pipe_outage", "pipe_diameter_mm": "3001"}, "pipe_diameter_mm", "管径应在 15-3000 mm 之间"),
    ({"type": "pipe_outage", "pipe_diameter_mm": "15.5"}, "pipe_diameter_mm", "应为整数"),
    ({"type": "pipe_outage", "pipe_diameter_mm": "100", "force_majeure": "2"}, "force_majeure", "应为 0 或 1"),
    ({"force_majeure": "1"}, "force_majeure", "此类型不使用该字段"),
    ({"type": "facility_damage"}, "severity", "此类型必须填写"),
    ({"type": "facility_damage", "severity": "bad"}, "severity", "应为 minor"),
    ({"severity": "minor"}, "severity", "此类型不使用该字段"),
    ({"amount": "10"}, "amount", "此类型不使用该字段"),
    ({"pipe_diameter_mm": "100"}, "pipe_diameter_mm", "此类型不使用该字段"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "column", "reason"), EVENT_CASES)
def test_event_rule_broken(tmp_path, acct, change, column, reason):
    rows = [event_row("E1", "C100"), event_row("E2", "C100", **change)]
    path = write_csv(tmp_path / "e.csv", EVENT_HEADER, rows)
    before = db_state()
    result = imported("events", path)
    assert len(result.errors) == 1, errors_of(result)
    error = result.errors[0]
    assert (error.row, error.column) == (3, column) and reason in error.reason
    assert db_state() == before


@pytest.mark.django_db
def test_error_names_the_column_as_the_header_writes_it(tmp_path, acct):
    rows = [["C100", "2024-1", "1", "2024-01-25", ""]]
    result = imported("bills", write_csv(tmp_path / "b.csv", BILL_HEADER_ZH, rows))
    assert errors_of(result) == [(2, "账期", "账期格式应为 YYYY-MM")]


@pytest.mark.django_db
def test_every_invalid_row_is_listed_in_row_order(tmp_path, acct):
    rows = [
        bill_row("NOPE", "2024-01"),
        bill_row("C100", "2024-01"),
        bill_row("C100", "2024-02", amount="x", due_on="x"),
        bill_row("C100", "2024-01"),
    ]
    result = imported("bills", write_csv(tmp_path / "b.csv", BILL_HEADER, rows))
    assert errors_of(result) == [
        (2, "account_no", "户号不存在"),
        (4, "amount", "金额应为数字，最多两位小数"),
        (4, "due_on", "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"),
        (5, "period", "与第 3 行重复"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "header", "rows", "column"),
    [
        ("customers", CUSTOMER_HEADER, [customer_row("K1", 1), customer_row("K1", 2)], "account_no"),
        ("bills", BILL_HEADER, [bill_row("C100", "2024-01"), bill_row("C100", "2024-01", amount="3")], "period"),
        ("events", EVENT_HEADER, [event_row("E1", "C100"), event_row("E1", "C100")], "ref"),
    ],
)
def test_duplicate_key_in_file_is_an_error_on_the_later_row(tmp_path, acct, kind, header, rows, column):
    before = db_state()
    result = imported(kind, write_csv(tmp_path / "f.csv", header, rows))
    assert errors_of(result) == [(3, column, "与第 2 行重复")]
    assert db_state() == before


# --- header problems ------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_column(tmp_path, acct):
    result = imported(
        "bills", write_csv(tmp_path / "b.csv", [*BILL_HEADER, "备注"], [bill_row("C100", "2024-01") + ["x"]])
    )
    assert errors_of(result) == [(1, "备注", "未知的列")]
    assert not Bill.objects.exists()


@pytest.mark.django_db
def test_missing_required_column_named_in_the_files_language(tmp_path):
    header = [h for h in CUSTOMER_HEADER_ZH if h != "统一社会信用代码"]
    result = imported("customers", write_csv(tmp_path / "c.csv", header, []))
    assert errors_of(result) == [(1, "统一社会信用代码", "缺少必填列")]
    header = [h for h in CUSTOMER_HEADER if h != "uscc"]
    result = imported("customers", write_csv(tmp_path / "c.csv", header, []))
    assert errors_of(result) == [(1, "uscc", "缺少必填列")]


@pytest.mark.django_db
def test_same_column_twice_in_header(tmp_path):
    result = imported("bills", write_csv(tmp_path / "b.csv", [*BILL_HEADER, "户号"], []))
    assert [(e.row, e.column) for e in result.errors] == [(1, "户号")]


@pytest.mark.django_db
def test_cells_beyond_the_header_are_errors(tmp_path, acct):
    result = imported("bills", write_csv(tmp_path / "b.csv", BILL_HEADER, [bill_row("C100", "2024-01") + ["x"]]))
    assert errors_of(result) == [(2, "第 6 列", "表头中没有这一列")]


# --- file problems ------------------------------------------------------------------------


@pytest.mark.django_db
def test_file_problems_raise_import_file_error(tmp_path):
    """A CSV valid neither as UTF-8 nor as GB18030 (0xFF never starts a GB18030 character)."""
    bad_encoding = tmp_path / "bad.csv"
    bad_encoding.write_bytes("户号,单位名称\nK1,随州公司".encode("gbk") + b"\xff\xfe\n")
    bom_then_gbk = tmp_path / "bom.csv"
    bom_then_gbk.write_bytes(b"\xef\xbb\xbf" + "户号,单位名称\nK1,随州公司\n".encode("gbk"))
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "data.xls").write_bytes(b"x")
    (tmp_path / "empty.csv").write_bytes(b"")
    cases = [
        ("customers", bad_encoding, "既不是 UTF-8，也不是 GBK/GB18030"),
        ("customers", bom_then_gbk, "以 UTF-8 标记开头"),
        ("customers", corrupt, "Excel"),
        ("customers", tmp_path / "data.xls", ".csv 或 .xlsx"),
        ("customers", tmp_path / "missing.csv", "文件不存在"),
        ("customers", tmp_path / "empty.csv", "没有表头"),
        ("things", tmp_path / "empty.csv", "未知的导入类型"),
    ]
    for kind, path, message in cases:
        with pytest.raises(ImportFileError, match=message):
            imported(kind, path)


# --- the command ------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_counts(tmp_path):
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer_row("K001", 1)])
    out = io.StringIO()
    call_command("import_records", "customers", str(path), stdout=out)
    assert out.getvalue().strip() == "customers: 1 created, 0 updated, 0 unchanged"
    out = io.StringIO()
    call_command("import_records", "customers", str(path), stdout=out)
    assert out.getvalue().strip() == "customers: 0 created, 0 updated, 1 unchanged"


@pytest.mark.django_db
def test_command_lists_every_invalid_row_on_stderr(tmp_path, acct):
    rows = [bill_row("C100", "2024-01", amount="-5"), bill_row("NOPE", "2024-01")]
    path = write_csv(tmp_path / "b.csv", BILL_HEADER_ZH, rows)
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_records", "bills", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "row 2, column 应缴金额: 金额不能为负数",
        "row 3, column 户号: 户号不存在",
    ]
    assert not Bill.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_command_exit_status_is_1_on_invalid_rows(tmp_path, capsys, monkeypatch):
    """Through Django's real entry point: SystemExit(1), the rows on stderr, no traceback."""
    from django.core.management import execute_from_command_line
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction

    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer_row("K001", 1, opened_on="2099-01-01")])
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "import_records", "customers", str(path)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "row 2, column opened_on: 不能晚于今天" in err
    assert "Traceback" not in err
    assert not Customer.objects.exists()


def test_command_wrong_kind_exits_1_in_a_real_process(tmp_path):
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [])
    done = subprocess.run(
        [sys.executable, "manage.py", "import_records", "clients", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "unknown kind 'clients'" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["missing.csv", "data.txt"])
def test_command_file_problems_exit_with_a_message(tmp_path, name):
    if name == "data.txt":
        (tmp_path / name).write_text("x")
    with pytest.raises(CommandError) as error:
        call_command("import_records", "customers", str(tmp_path / name))
    assert str(tmp_path / name) in str(error.value)


# --- company scope (the upload page's user) --------------------------------------------------


@pytest.mark.django_db
def test_scoped_user_cannot_write_another_companys_records(tmp_path, clerk_county, acct):
    """A county clerk: city customers rows refused, city accounts do not exist for them."""
    customers = write_csv(
        tmp_path / "c.csv",
        CUSTOMER_HEADER,
        [
            customer_row("K001", 1, company="county"),
            customer_row("K002", 2, company="city"),
            customer_row("C100", 3, company="county"),  # an existing city customer
        ],
    )
    bills = write_csv(tmp_path / "b.csv", BILL_HEADER, [bill_row("C100", "2024-01")])
    events = write_csv(tmp_path / "e.csv", EVENT_HEADER, [event_row("E1", "C100")])
    before = db_state()
    assert errors_of(run_import("customers", str(customers), user=clerk_county)) == [
        (3, "company", "无权导入该公司的客户"),
        (4, "account_no", "户号不存在"),  # as every page answers: the other company's account is not revealed
    ]
    assert errors_of(run_import("bills", str(bills), user=clerk_county)) == [(2, "account_no", "户号不存在")]
    assert errors_of(run_import("events", str(events), user=clerk_county)) == [(2, "account_no", "户号不存在")]
    assert db_state() == before


@pytest.mark.django_db
def test_scoped_user_cannot_take_over_an_event_of_another_company(tmp_path, clerk_county, acct):
    mine = factories.customer("county", account_no="Y1")
    factories.event(acct, ref="E1", occurred_on=datetime.date(2024, 3, 1))
    events = write_csv(tmp_path / "e.csv", EVENT_HEADER, [event_row("E1", mine.account_no)])
    assert errors_of(run_import("events", str(events), user=clerk_county)) == [
        (2, "ref", "单据编号不可用，请换一个编号")
    ]
    assert Event.objects.get(ref="E1").customer == acct


@pytest.mark.django_db
def test_encoding_error_deep_in_the_file_rolls_back_and_leaves_the_connection_usable(tmp_path, acct):
    """Not UTF-8, so read as GB18030; the byte invalid there too arrives while rows are
    already being staged (COPY in progress)."""
    path = tmp_path / "b.csv"
    write_csv(path, BILL_HEADER, [bill_row("C100", f"{2000 + i // 12}-{i % 12 + 1:02d}") for i in range(3000)])
    with path.open("ab") as f:
        f.write(b"C100,2099-01,\xff\xfe,2099-01-25,\n")
    before = db_state()
    with pytest.raises(ImportFileError, match="既不是 UTF-8，也不是 GBK/GB18030"):
        imported("bills", path)
    assert db_state() == before
    assert imported("bills", write_csv(tmp_path / "ok.csv", BILL_HEADER, [bill_row("C100", "2024-01")])).ok


@pytest.mark.django_db
def test_text_with_tabs_newlines_and_backslashes_round_trips(tmp_path, acct):
    note = "第一行\t制表符\n第二行 C:\\水表\\01\r\n结束"
    rows = [event_row("E1", "C100", note=note)]
    assert imported("events", write_csv(tmp_path / "e.csv", EVENT_HEADER, rows)).ok
    assert Event.objects.get(ref="E1").note == note.strip()
    assert AuditEntry.objects.get().after["note"] == note.strip()
    assert imported("events", write_csv(tmp_path / "e.csv", EVENT_HEADER, rows)).updated == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  K1 ", "K1"),
        (15.0, "15"),
        (10086, "10086"),
        (88.5, "88.5"),
        (12.1 * 1.0000000000000002, "12.1"),
        (0.1 + 0.2, "0.3"),
        (1.234, "1.234"),
        (1e-7, "0.0000001"),
        (True, "1"),
        (datetime.date(2024, 3, 1), "2024-03-01"),
        (datetime.datetime(2024, 3, 1), "2024-03-01"),
    ],
)
def test_spreadsheet_cells_become_text(value, text):
    from customers.importer.reader import cell_text

    assert cell_text(value) == text


def test_a_date_in_a_period_column_is_its_month():
    from customers.importer.reader import cell_text

    assert cell_text(datetime.date(2024, 3, 1), period=True) == "2024-03"
