"""The batch's files: the workbook (.xlsx) and the CSV zip, written from the same rows.

Both writers take `sheets`, a list of `(sheet_name, columns, rows)`: `rows` is consumed once,
row by row (it may be a server-side cursor over a million rows), and nothing keeps it. A row is
a sequence of `str`, one per column; `None` is written as an empty field (reporting-batch.md has
no field that could tell "" from NULL).

The rules are data-contract.md's (`build_batch --out`):

- workbook: the sheets in the given order, row 1 the column names, every cell a text cell with
  the text number format "@" (a 20-digit 承诺编码 stays text), no formula anywhere: "=1+2" is
  written as the text "=1+2". An empty field is an empty cell, formatted "@" like the rest.
  Written by XlsxWriter in `constant_memory` mode (each row is flushed to disk as it is
  written); bench/batch_bench.py measured it against openpyxl's write-only mode on the same
  rows and it was the faster one.
- CSV zip: one `NUMBER_SHEET.csv` per sheet, UTF-8 with a BOM (so Excel opens it as UTF-8),
  `\\r\\n` line ends, the same columns and rows as the sheet; a field starting with `= + - @` or a
  tab gets a leading `'` (`csv_safe`) so a spreadsheet does not run it as a formula. Fields
  holding a line break (承诺内容) are quoted and keep it.
- in both: a line break inside a field is written as \\n (\\r\\n and a lone \\r too: the workbook's XML cannot
  keep a \\r as such), and the control characters XML forbids are dropped, so that the CSV read
  back equals the sheet read back. A row that is not exactly one text per column is refused with
  `ExportError` naming the sheet and row, as is a text too long for a cell (never truncated).
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import BinaryIO

import xlsxwriter

# The CSV formula guard is the ground floor's (customers.cells), shared with every list's export.
from customers.cells import FORMULA_TRIGGERS, csv_safe  # noqa: F401  (re-exported)

Sheets = Sequence[tuple[str, Sequence[str], Iterable[Sequence[str] | None]]]

# What a cell cannot hold as it is, so neither file holds it (the CSV must equal the sheet):
# a carriage return (XML turns \r\n into \n; XlsxWriter writes a lone \r as "_x000D_", which
# only Excel decodes), so \r\n and \r become \n; and the control characters XML 1.0 forbids
# (and U+FFFE, U+FFFF), which are removed. Tab and \n are kept.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff]")

# A CSV row written as it is: no field starts with a formula trigger (each field follows "\n" in
# "\n" + "\n".join(row); a "\n=" inside a field only sends the row the slow, exact way) and
# nothing to clean.
_CSV_PLAIN_ROW = re.compile("[\x00-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff]|\n[=+\\-@\t]")

# Excel's limits: rows per sheet (the header included) and characters per cell.
MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767

# Column widths in the workbook (characters); long texts get wide columns, the rest a code's width.
_WIDE_COLUMNS = {"承诺内容", "违诺责任", "未履行的承诺内容", "违诺责任追究内容", "修复事项", "承诺事由"}


class ExportError(ValueError):
    """A row the files cannot hold as it is (wrong number of fields, a non-text value, too long)."""


def _text(value, sheet: str, row_no: int) -> str:
    """A field as written: None becomes "", line ends become \\n, other control characters go;
    a value that is not a `str` is a caller's bug, named."""
    if value is None:
        return ""
    if value.__class__ is not str:
        raise ExportError(f"{sheet} row {row_no}: a field is {type(value).__name__}, not text: {value!r}")
    if _UNWRITABLE.search(value):
        value = _UNWRITABLE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def _clean_row(row, sheet: str, row_no: int):
    """`row` itself when every field is a str that both files can hold unchanged (the usual case,
    checked with one join and one search), else its fields through `_text`."""
    try:
        if not _UNWRITABLE.search("".join(row)):
            return row
    except TypeError:  # a field that is not a str
        pass
    return [_text(value, sheet, row_no) for value in row]


def _check_width(row, width: int, sheet: str, row_no: int) -> None:
    if row is None or len(row) != width:
        got = "None" if row is None else len(row)
        raise ExportError(f"{sheet} row {row_no}: {got} fields for {width} columns")


def write_xlsx(out: str | os.PathLike | BinaryIO, sheets: Sheets) -> int:
    """Write the workbook to `out` (a path or a binary file object); returns the rows written, headers excluded.

    Raises `ExportError` for a row the workbook cannot hold as it is; what was written to `out`
    by then is incomplete and must be thrown away (write to a temporary file and move it).
    """
    target = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            # write_string() is used for every cell, so none of these conversions can happen;
            # set anyway so that no later write() call can turn text into a number, formula or link.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    text = workbook.add_format({"num_format": "@"})
    header = workbook.add_format({"num_format": "@", "bold": True})
    written = 0
    try:
        for sheet_name, columns, rows in sheets:
            worksheet = workbook.add_worksheet(sheet_name)
            width = len(columns)
            for col, name in enumerate(columns):
                worksheet.set_column(col, col, 40 if name in _WIDE_COLUMNS else 22, text)
            worksheet.freeze_panes(1, 0)
            put = worksheet.write_string
            for col, name in enumerate(columns):
                put(0, col, name, header)
            row_no = 0
            for row_no, row in enumerate(rows, 1):
                _check_width(row, width, sheet_name, row_no)
                if row_no >= MAX_ROWS:
                    raise ExportError(f"{sheet_name}: more than {MAX_ROWS - 1:,} rows do not fit in one sheet")
                row = _clean_row(row, sheet_name, row_no)
                for col, value in enumerate(row):
                    # 0 when written; -2 when XlsxWriter truncated the text. Never truncate silently.
                    if put(row_no, col, value, text):
                        raise ExportError(
                            f"{sheet_name} row {row_no}, {columns[col]}: "
                            f"{len(value):,} characters do not fit in a cell ({MAX_CELL_CHARS:,})"
                        )
            written += row_no
    finally:
        workbook.close()
    return written


def write_csv_zip(out: str | os.PathLike | BinaryIO, number: str, sheets: Sheets) -> int:
    """Write the zip of `NUMBER_SHEET.csv` files to `out` (a path or a binary file object); returns the rows written.

    Raises `ExportError` like `write_xlsx`, leaving an incomplete file to throw away.
    """
    target = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    written = 0
    # Level 1: a third faster than the default 6 on a batch of a million rows, and about as small (the rows repeat).
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for sheet_name, columns, rows in sheets:
            width = len(columns)
            # Rows that come with their own CSV (the stored batch rows on PostgreSQL: COPY writes them).
            chunks = rows.csv_chunks() if hasattr(rows, "csv_chunks") else None
            if chunks is not None:
                with archive.open(f"{number}_{sheet_name}.csv", "w") as member:
                    head = io.StringIO()
                    csv.writer(head, lineterminator="\r\n").writerow(columns)
                    member.write(("\ufeff" + head.getvalue()).encode("utf-8"))
                    for chunk in chunks:
                        member.write(chunk)
                        written += chunk.count(b"\r\n")
                continue
            with (
                archive.open(f"{number}_{sheet_name}.csv", "w") as member,
                io.TextIOWrapper(member, encoding="utf-8-sig", newline="") as stream,
            ):
                writer = csv.writer(stream, lineterminator="\r\n")
                writer.writerow(columns)
                writerow, plain = writer.writerow, _CSV_PLAIN_ROW.search
                row_no = 0
                for row_no, row in enumerate(rows, 1):
                    try:
                        # The usual row: the right width, all text, nothing to clean or guard.
                        if len(row) == width and plain("\n" + "\n".join(row)) is None:
                            writerow(row)
                            continue
                    except TypeError:  # no row, or a field that is not a str
                        pass
                    _check_width(row, width, sheet_name, row_no)
                    writerow([csv_safe(value) for value in _clean_row(row, sheet_name, row_no)])
                written += row_no
    return written
