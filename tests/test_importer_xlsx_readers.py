""".xlsx files are read by python-calamine when the sheet is small enough to hold, else streamed
by openpyxl (customers.importer.reader): both readers give the user the same import."""

from __future__ import annotations

import datetime
from decimal import Decimal

import openpyxl
import pytest

from customers.importer import reader
from customers.models import Bill
from tests import factories
from tests.test_importer import BILL_HEADER, errors_of, imported

pytestmark = pytest.mark.django_db

READERS = ["calamine", "openpyxl"]


@pytest.fixture(params=READERS)
def xlsx_reader(request, monkeypatch):
    used = []
    for name in READERS:
        original = getattr(reader, f"_iter_xlsx_{name}")
        monkeypatch.setattr(reader, f"_iter_xlsx_{name}", lambda path, o=original, n=name: used.append(n) or o(path))
    if request.param == "openpyxl":
        monkeypatch.setattr(reader, "CALAMINE_MAX_SHEET_BYTES", 0)  # as for a sheet of a million rows
    yield request.param
    assert used and set(used) == {request.param}


def _sheet(path, cells: dict[str, object]):
    wb = openpyxl.Workbook()
    ws = wb.active
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def test_typed_cells_are_read_as_they_show(tmp_path, xlsx_reader):
    factories.customer("city", account_no="10086", opened_on=datetime.date(2019, 1, 1))
    header = dict(zip("ABCDE", BILL_HEADER, strict=True))
    path = _sheet(
        tmp_path / "bills.xlsx",
        {
            **{f"{col}1": name for col, name in header.items()},
            "A2": 10086,  # a number cell holding an account number
            "B2": datetime.date(2024, 3, 1),  # a date in the period column: its month
            "C2": 88.5,
            "D2": datetime.datetime(2024, 3, 25),
            "E2": datetime.date(2024, 3, 20),
            "A3": "10086",
            "B3": "2024-04",
            "C3": 100.0,  # integer-valued float
            "D3": "2024/4/25",
        },
    )

    result = imported("bills", path)

    assert result.ok, result.errors
    got = sorted(Bill.objects.values_list("period", "amount", "due_on", "paid_on"))
    assert got == [
        ("2024-03", Decimal("88.50"), datetime.date(2024, 3, 25), datetime.date(2024, 3, 20)),
        ("2024-04", Decimal("100.00"), datetime.date(2024, 4, 25), None),
    ]


def test_header_in_b1_reads_the_rows_below_it(tmp_path, xlsx_reader):
    factories.customer("city", account_no="C100", opened_on=datetime.date(2019, 1, 1))
    cells = {f"{col}1": name for col, name in zip("BCDEF", BILL_HEADER, strict=True)}
    cells.update({"B2": "C100", "C2": "2024-01", "D2": "12.5", "E2": "2024-01-25"})
    cells.update({"B3": "C100", "C3": "2024-02", "D3": "abc", "E3": "2024-02-25"})
    path = _sheet(tmp_path / "bills.xlsx", cells)

    result = imported("bills", path)

    assert [(row, column) for row, column, _reason in errors_of(result)] == [(3, "amount")]
