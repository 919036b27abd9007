"""The list exports' workbook, written as it is sent (customers/xlsx_stream.py), read back by openpyxl."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from customers import xlsx_stream


def read(chunks) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(chunks)))
    sheet = book.worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_every_value_is_text_as_given_and_the_header_is_frozen():
    rows = [["=1+2", "0012", " 前后空格 ", "A & B <c>"], ["+86 138", "", None, "第一行\r\n第二行\x07"]]
    data = b"".join(xlsx_stream.stream_xlsx("信用档案", ["户号", "单位名称", "备注", "地址"], iter(rows)))
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["信用档案"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    got = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert got == [
        ["户号", "单位名称", "备注", "地址"],
        ["=1+2", "0012", " 前后空格 ", "A & B <c>"],
        ["+86 138", None, None, "第一行\n第二行"],
    ]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.value is not None:
                assert cell.data_type == "s"  # text, never a formula or a number
                assert cell.number_format == "@"
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


def test_the_first_bytes_come_before_the_rows_are_read():
    read_rows = []

    def rows():
        for i in range(100_000):
            read_rows.append(i)
            yield [f"A{i:09d}", "随州市示范餐饮有限公司"]

    stream = xlsx_stream.stream_xlsx("s", ["户号", "单位名称"], rows())
    first = next(stream)
    assert first.startswith(b"PK")
    assert len(read_rows) < 10_000  # a chunk's worth, not the list
    rest = b"".join(stream)
    assert len(read(iter([first, rest]))) == 100_001


def test_a_text_too_long_for_a_cell_is_cut_and_marked():
    long = "长" * 40_000
    got = read(xlsx_stream.stream_xlsx("s", ["说明"], [[long]]))
    assert len(got[1][0]) == xlsx_stream.MAX_CELL_CHARS
    assert got[1][0].endswith("（已截断）")


def test_past_excels_row_limit_the_sheet_says_the_rest_is_in_the_csv(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 4)
    got = read(xlsx_stream.stream_xlsx("s", ["户号"], ([f"C{i}"] for i in range(10))))
    assert [r[0] for r in got[:3]] == ["户号", "C0", "C1"]
    assert len(got) == 4 and "请改用 CSV 导出" in got[3][0]
    exact = read(xlsx_stream.stream_xlsx("s", ["户号"], ([f"C{i}"] for i in range(3))))
    assert [r[0] for r in exact] == ["户号", "C0", "C1", "C2"]  # exactly full: nothing said, nothing lost


def test_column_letters():
    assert [xlsx_stream.column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
