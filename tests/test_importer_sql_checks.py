"""Bills are checked by column in SQL (customers.importer.sqlcheck): the file is staged as text,
and only rows SQL does not vouch for are validated row by row. A user sees exactly what the
row-by-row importer showed: the same errors for the same file, the same values imported."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from customers.importer import sqlcheck
from customers.models import Bill
from tests import factories
from tests.test_importer import BILL_HEADER, bill_row, db_state, errors_of, imported, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def acct(db):
    return factories.customer("city", account_no="C100", opened_on=datetime.date(2020, 1, 1))


BAD_ROWS = [
    ["C100", "2024-01", "100.50", "2024-01-25", ""],
    ["C100", "2024-02", "1.234", "2024-02-25", ""],  # three decimals
    ["C100", "2024-03", "-5", "2024-03-25", ""],  # negative
    ["C100", "2024-04", "1e3", "2024-02-30", ""],  # not a number, no such day
    ["C1 00", "2024-13", "12345678901234", "2024-05-25", "2099-01-01"],  # format, month, too big, future
    ["C999", "2024-06", "", "", "2024/6/5"],  # unknown account, empty required cells
    ["C100", "2024-07", "100\x00", "2024-07-25", ""],  # NUL
    ["", "", "", "", ""],  # blank: ignored
    ["C100", "2024-01", "5", "2024-01-25", ""],  # repeats row 2's key
    ["C100", " 2024-08 ", " 0 ", "2024/8/5", " 2024-08-01 "],  # valid once stripped
]


def _row_by_row(monkeypatch) -> None:
    monkeypatch.setattr(sqlcheck, "FAST", {})


def test_sql_checks_report_exactly_what_row_by_row_validation_reports(tmp_path, acct, monkeypatch):
    path = write_csv(tmp_path / "bills.csv", BILL_HEADER, BAD_ROWS)
    before = db_state()

    fast = imported("bills", path)
    _row_by_row(monkeypatch)
    slow = imported("bills", path)

    assert errors_of(fast) == errors_of(slow)
    assert [(c, "两位小数" in r) for row, c, r in errors_of(fast) if row == 3] == [("amount", True)]
    assert (10, "period", "与第 2 行重复") in errors_of(fast)
    assert not any(row == 9 for row, _c, _r in errors_of(fast))  # the blank row
    assert db_state() == before


def test_cells_sql_does_not_vouch_for_are_imported_as_the_parsers_read_them(tmp_path, acct):
    rows = [
        [" C100 ", " 2024-08 ", " 007.5 ", "2024/8/5", " 2024-08-01 "],
        ["C100", "2024-09", "0", "2024-09-30", ""],
        ["C100", "2024-10", "12.3", "2024-10-31", "2024/11/1"],
    ]
    path = write_csv(tmp_path / "bills.csv", BILL_HEADER, rows)

    result = imported("bills", path)

    assert result.ok, result.errors
    assert result.created == 3
    got = {b.period: (b.amount, b.due_on, b.paid_on) for b in Bill.objects.filter(customer=acct)}
    assert got == {
        "2024-08": (Decimal("7.50"), datetime.date(2024, 8, 5), datetime.date(2024, 8, 1)),
        "2024-09": (Decimal("0.00"), datetime.date(2024, 9, 30), None),
        "2024-10": (Decimal("12.30"), datetime.date(2024, 10, 31), datetime.date(2024, 11, 1)),
    }


def test_a_line_that_would_end_copy_is_read_as_a_row(tmp_path, acct):
    """`\\.` alone on a line ends PostgreSQL's COPY input: the rows after it must not be lost."""
    path = tmp_path / "bills.csv"
    path.write_text(
        "account_no,period,amount,due_on,paid_on\nC100,2024-01,1,2024-01-25,\n\\.\nC100,2024-02,x,2024-02-25,\n",
        encoding="utf-8",
    )

    result = imported("bills", path)

    rows = {row for row, _c, _r in errors_of(result)}
    assert rows == {3, 4}
    assert not Bill.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        # rows shorter and longer than the header, a blank line: COPY refuses them, the file is read row by row
        "account_no,period,amount,due_on,paid_on\nC100,2024-01,1,2024-01-25\n\nC100,2024-02,2,2024-02-25,,\n",
        # quoted cells: read by Python's csv module
        'account_no,period,amount,due_on,paid_on\n"C100","2024-01","1","2024-01-25",""\nC100,2024-02,2,"2024-02-25",\n',
        # Windows line ends and a BOM
        "\ufeffaccount_no,period,amount,due_on,paid_on\r\nC100,2024-01,1,2024-01-25,\r\nC100,2024-02,2,2024-02-25,\r\n",
    ],
)
def test_any_csv_layout_gives_the_same_bills(tmp_path, acct, text):
    path = tmp_path / "bills.csv"
    path.write_bytes(text.encode("utf-8"))

    result = imported("bills", path)

    assert result.ok, result.errors
    assert sorted(Bill.objects.filter(customer=acct).values_list("period", "amount", "paid_on")) == [
        ("2024-01", Decimal("1.00"), None),
        ("2024-02", Decimal("2.00"), None),
    ]


def test_a_filled_cell_beyond_the_header_is_still_an_error(tmp_path, acct):
    path = tmp_path / "bills.csv"
    path.write_text("account_no,period,amount,due_on,paid_on\n,,,,,x\nC100,2024-01,1,2024-01-25,\n", encoding="utf-8")

    result = imported("bills", path)

    assert errors_of(result)[-1] == (2, "第 6 列", "表头中没有这一列")
    assert (2, "account_no", "不能为空") in errors_of(result)
    assert not Bill.objects.exists()


def test_many_rows_with_one_wrong_cell(tmp_path, acct):
    rows = [bill_row("C100", f"{2000 + i // 12}-{i % 12 + 1:02d}", amount=str(i)) for i in range(240)]
    rows[150][2] = "12;5"  # no quotes in the file: PostgreSQL reads it as it is
    path = write_csv(tmp_path / "bills.csv", BILL_HEADER, rows)

    result = imported("bills", path)

    assert [(row, column) for row, column, _reason in errors_of(result)] == [(152, "amount")]
    rows[150][2] = "12.5"
    path = write_csv(tmp_path / "bills.csv", BILL_HEADER, rows)
    assert imported("bills", path).created == 240
    assert Bill.objects.get(customer=acct, period="2012-07").amount == Decimal("12.50")


def test_a_header_alone_and_an_absent_optional_column(tmp_path, acct):
    path = tmp_path / "bills.csv"
    path.write_text("\ufeff户号,账期,应缴金额,缴费期限\n", encoding="utf-8")
    result = imported("bills", path)
    assert result.ok and (result.created, result.unchanged) == (0, 0)

    path.write_text(
        "\ufeff户号,账期,应缴金额,缴费期限\nC100,2024-01,1,2024-01-25\nC100,2024-02,x,2024-02-25\n", encoding="utf-8"
    )
    assert [(row, column) for row, column, _r in errors_of(imported("bills", path))] == [(3, "应缴金额")]
    path.write_text("\ufeff户号,账期,应缴金额,缴费期限\nC100,2024-01,1,2024-01-25\n", encoding="utf-8")
    assert imported("bills", path).created == 1
    assert Bill.objects.get(customer=acct, period="2024-01").paid_on is None
