"""The batch's files (reporting/exporters.py): the workbook and the CSV zip, as the platform and a
clerk opening them in Excel see them (data-contract.md, `build_batch --out`).

No database: the writers take rows, whoever produced them.
"""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
import zipfile

import openpyxl
import pytest

from reporting.columns import COLUMNS, SHEET_NAMES
from reporting.exporters import ExportError, csv_safe, write_csv_zip, write_xlsx
from reporting.models import SHEET_ORDER, Sheet

NUMBER = "202611-01"
PLEDGE_CODE = "42130020261203000001"  # 20 digits: as a number Excel would keep 15 of them
FORMULA_LIKE = [
    "=1+2",
    '=HYPERLINK("http://evil.example","点击")',
    "+86 1",
    "-5",
    "@SUM(A1)",
    "\tcmd",
]
MULTILINE = "一、按时足额缴纳水费;\n二、不私自改装计量设施。\r\n三、其他。"
MULTILINE_WRITTEN = "一、按时足额缴纳水费;\n二、不私自改装计量设施。\n三、其他。"  # \r\n becomes \n in both files


def pledge_row(code: str = PLEDGE_CODE, name: str = "随州市某某有限公司", content: str = "承诺内容") -> list[str]:
    row = [""] * len(COLUMNS[Sheet.PLEDGE])
    row[0], row[1], row[2], row[3], row[6] = (
        code,
        name,
        "法人及非法人组织",
        "91421300MA4F000000",
        content,
    )
    return row


def rating_row(name: str = "随州测试1号有限公司", code: str = "914213000000000001") -> list[str]:
    return [
        name,
        code,
        "供水用水信用等级",
        "黄色",
        "2026-11-30",
        "随州市城市供水有限公司",
        "91421300000000000X",
    ]


def sheets(rows_by_sheet: dict[str, list[list[str]]]):
    """The writers' `sheets` argument: the four sheets in order, rows as one-shot iterators."""
    return [(SHEET_NAMES[s], COLUMNS[s], iter(rows_by_sheet.get(s, []))) for s in SHEET_ORDER]


def sample() -> dict[str, list[list[str]]]:
    return {
        Sheet.PLEDGE: [
            pledge_row(),
            pledge_row(code="42130020261203000002", content=MULTILINE),
        ]
        + [pledge_row(code=f"42130020261203{i:06d}", name=value) for i, value in enumerate(FORMULA_LIKE, 10)],
        Sheet.RATING: [rating_row(), rating_row("=1+2", "914213000000000002")],
        # 履约践诺 and 信用修复 left empty: their sheets and files must still have the header.
    }


def workbook_bytes(data) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, sheets(data))
    return out.getvalue()


def zip_bytes(data) -> bytes:
    out = io.BytesIO()
    write_csv_zip(out, NUMBER, sheets(data))
    return out.getvalue()


def sheet_values(ws) -> list[list[str]]:
    """A sheet's rows as openpyxl reads them, an empty cell as ""."""
    return [["" if cell.value is None else cell.value for cell in row] for row in ws.iter_rows()]


def csv_rows(archive: zipfile.ZipFile, sheet_name: str) -> list[list[str]]:
    raw = archive.read(f"{NUMBER}_{sheet_name}.csv")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_workbook_has_the_four_sheets_in_order_with_the_spec_headers():
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(sample())))
    assert wb.sheetnames == ["信用承诺", "履约践诺", "信用评价", "信用修复"]
    for sheet in SHEET_ORDER:
        ws = wb[SHEET_NAMES[sheet]]
        assert [c.value for c in ws[1]] == list(COLUMNS[sheet])
    # The empty sheets hold their header and nothing else.
    assert wb["履约践诺"].max_row == 1
    assert wb["信用修复"].max_row == 1
    assert [c.value for c in wb["信用修复"][1]] == list(COLUMNS[Sheet.REPAIR])


def test_every_cell_is_a_text_cell_with_the_text_format():
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(sample())))
    cells = [cell for ws in wb for row in ws.iter_rows() for cell in row]
    assert len(cells) == (1 + 8) * 14 + 1 * 7 + (1 + 2) * 7 + 1 * 9
    assert {cell.data_type for cell in cells} == {"s"}
    assert {cell.number_format for cell in cells} == {"@"}


def test_a_20_digit_pledge_code_stays_text():
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(sample())))["信用承诺"]
    cell = ws["A2"]
    assert cell.value == PLEDGE_CODE
    assert isinstance(cell.value, str)


def test_formula_like_values_are_text_in_the_workbook_and_no_formula_is_written():
    data = workbook_bytes(sample())
    ws = openpyxl.load_workbook(io.BytesIO(data))["信用承诺"]
    names = [ws.cell(row=r, column=2) for r in range(4, 4 + len(FORMULA_LIKE))]
    assert [c.value for c in names] == FORMULA_LIKE
    assert all(c.data_type == "s" for c in names)
    rating = openpyxl.load_workbook(io.BytesIO(data))["信用评价"]
    assert rating["A3"].value == "=1+2" and rating["A3"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def test_csv_files_have_exact_names_a_bom_and_crlf_line_ends():
    with zipfile.ZipFile(io.BytesIO(zip_bytes(sample()))) as archive:
        assert archive.namelist() == [
            "202611-01_信用承诺.csv",
            "202611-01_履约践诺.csv",
            "202611-01_信用评价.csv",
            "202611-01_信用修复.csv",
        ]
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), name
            assert raw.endswith(b"\r\n"), name
            # Every record ends in \r\n; a bare \n is only inside the quoted multi-line 承诺内容.
            quoted = ('"' + MULTILINE_WRITTEN + '"').encode()
            assert b"\n" not in raw.replace(quoted, b"").replace(b"\r\n", b""), name
        assert archive.read("202611-01_信用承诺.csv").count(b"\r\n") == 1 + 8
        assert (
            archive.read("202611-01_履约践诺.csv")
            == b"\xef\xbb\xbf" + ",".join(COLUMNS[Sheet.FULFILMENT]).encode() + b"\r\n"
        )


def test_csv_guards_formula_like_fields_with_a_quote_and_leaves_others_alone():
    with zipfile.ZipFile(io.BytesIO(zip_bytes(sample()))) as archive:
        pledges = csv_rows(archive, "信用承诺")
        ratings = csv_rows(archive, "信用评价")
    assert [row[1] for row in pledges[3:]] == ["'" + v for v in FORMULA_LIKE]
    assert ratings[2][0] == "'=1+2"
    assert pledges[1][0] == PLEDGE_CODE
    assert pledges[1][1] == "随州市某某有限公司"


def test_csv_rows_equal_the_sheet_rows_apart_from_the_guard():
    data = sample()
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(data)))
    with zipfile.ZipFile(io.BytesIO(zip_bytes(data))) as archive:
        for sheet in SHEET_ORDER:
            name = SHEET_NAMES[sheet]
            in_sheet = sheet_values(wb[name])
            in_csv = csv_rows(archive, name)
            assert len(in_csv) == len(in_sheet) == 1 + len(data.get(sheet, []))
            assert in_csv == [[csv_safe(v) for v in row] for row in in_sheet], name


def test_a_field_with_line_breaks_round_trips_in_both_files():
    data = {Sheet.PLEDGE: [pledge_row(content="第一条\n第二条\n第三条")]}
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(data)))["信用承诺"]
    assert ws["G2"].value == "第一条\n第二条\n第三条"
    with zipfile.ZipFile(io.BytesIO(zip_bytes(data))) as archive:
        rows = csv_rows(archive, "信用承诺")
    assert len(rows) == 2
    assert rows[1][6] == "第一条\n第二条\n第三条"


def test_carriage_returns_and_control_characters_are_written_the_same_in_both_files():
    """XML cannot keep a \\r (XlsxWriter writes "_x000D_", which openpyxl reads as such) nor most
    control characters: both files get \\n for a line end and drop the control characters."""
    data = {Sheet.PLEDGE: [pledge_row(name="随州\x0b某某\x00公司", content="第一条\r\n第二条\r第三条\t完")]}
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(data)))["信用承诺"]
    assert ws["B2"].value == "随州某某公司"
    assert ws["G2"].value == "第一条\n第二条\n第三条\t完"
    with zipfile.ZipFile(io.BytesIO(zip_bytes(data))) as archive:
        row = csv_rows(archive, "信用承诺")[1]
    assert row[1] == "随州某某公司"
    assert row[6] == "第一条\n第二条\n第三条\t完"


def test_empty_fields_are_empty_in_both_files():
    data = {Sheet.RATING: [["随州测试", "914213000000000001", "", "", "", "", ""]]}
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(data)))["信用评价"]
    assert sheet_values(ws)[1] == ["随州测试", "914213000000000001", "", "", "", "", ""]
    with zipfile.ZipFile(io.BytesIO(zip_bytes(data))) as archive:
        assert archive.read("202611-01_信用评价.csv").endswith("\r\n随州测试,914213000000000001,,,,,\r\n".encode())


def test_writers_return_the_rows_written_without_headers_and_accept_paths(tmp_path):
    xlsx, zipped = tmp_path / "202611-01.xlsx", tmp_path / "202611-01-csv.zip"
    assert write_xlsx(xlsx, sheets(sample())) == 10
    assert write_csv_zip(str(zipped), NUMBER, sheets(sample())) == 10
    assert openpyxl.load_workbook(xlsx)["信用评价"].max_row == 3
    assert len(zipfile.ZipFile(zipped).namelist()) == 4


def test_a_none_field_is_written_as_empty_and_a_non_text_field_is_refused():
    import datetime

    with_none = {Sheet.RATING: [["随州测试", "914213000000000001", None, "黄色", "2026-11-30", "", ""]]}
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(with_none)))["信用评价"]
    assert sheet_values(ws)[1][2] == ""
    with zipfile.ZipFile(io.BytesIO(zip_bytes(with_none))) as archive:
        assert csv_rows(archive, "信用评价")[1][2] == ""
    dated = {
        Sheet.RATING: [
            [
                "随州测试",
                "914213000000000001",
                "",
                "黄色",
                datetime.date(2026, 11, 30),
                "",
                "",
            ]
        ]
    }
    for write in (workbook_bytes, zip_bytes):
        with pytest.raises(ExportError, match="信用评价 row 1.*date"):
            write(dated)


def test_a_row_with_the_wrong_number_of_fields_is_refused():
    short = {Sheet.RATING: [rating_row(), rating_row()[:6]]}
    for write in (workbook_bytes, zip_bytes):
        with pytest.raises(ExportError, match="信用评价 row 2: 6 fields for 7 columns"):
            write(short)


def test_text_too_long_for_a_cell_is_refused_not_truncated():
    data = {Sheet.PLEDGE: [pledge_row(content="长" * 40_000)]}
    with pytest.raises(ExportError, match="承诺内容"):
        workbook_bytes(data)


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        ("=1+2", "'=1+2"),
        ("+86 1", "'+86 1"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("", ""),
        ("a=b", "a=b"),
        ("随州 -5", "随州 -5"),
        (" =1", " =1"),
    ],
)
def test_csv_safe(value, guarded):
    assert csv_safe(value) == guarded


@pytest.mark.parametrize(("kind", "n"), [("csv", 200_000), ("xlsx", 50_000)])
def test_rows_from_a_generator_are_written_without_holding_them(tmp_path, kind, n):
    """Rows streamed from a generator: held as a list, 50,000 of them take 13 MB of Python memory
    (200,000: 52 MB); the writers stay under 5 MB (measured: under 1 MB). Fewer rows for the
    workbook only because tracemalloc makes XlsxWriter four times slower."""

    def rows():
        for i in range(n):
            yield (
                f"随州测试{i}号有限公司",
                f"91421300{i:010d}",
                "供水用水信用等级",
                "绿色",
                "2026-11-30",
                "随州市城市供水有限公司",
                "91421300000000000X",
            )

    big = [(SHEET_NAMES[s], COLUMNS[s], rows() if s == Sheet.RATING else iter(())) for s in SHEET_ORDER]
    path = tmp_path / f"b.{kind}"
    tracemalloc.start()
    try:
        written = write_csv_zip(path, NUMBER, big) if kind == "csv" else write_xlsx(path, big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == n
    assert peak < 5 * 2**20, f"peak Python memory {peak / 2**20:.1f} MB"

    last = f"随州测试{n - 1}号有限公司,91421300{n - 1:010d},供水用水信用等级,绿色,2026-11-30,随州市城市供水有限公司,91421300000000000X"
    if kind == "csv":
        with zipfile.ZipFile(path) as archive, archive.open(f"{NUMBER}_信用评价.csv") as member:
            lines = list(member)
        assert len(lines) == n + 1
        assert lines[-1].decode() == last + "\r\n"
    else:
        ws = openpyxl.load_workbook(path, read_only=True)["信用评价"]
        assert ws.max_row == n + 1
        assert [c.value for c in ws[n + 1]] == last.split(",")
