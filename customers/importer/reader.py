"""Streaming readers for import files: rows of raw cells from CSV (UTF-8 or GB18030) or XLSX.

Nothing here holds the whole file: both readers yield one row at a time. A CSV is first
scanned once, in blocks, to see whether it is valid UTF-8 (with or without a BOM); when it
is not it is read as GB18030, the superset of the GBK that Chinese Excel's
"CSV (逗号分隔)" writes. Problems with the file itself (missing, wrong type, valid in
neither encoding, corrupt) raise `ImportFileError`.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import os
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

SUPPORTED_FORMATS = ("csv", "xlsx")
SCAN_BLOCK = 1 << 20  # bytes read at a time by the UTF-8 validity scan
UTF8_BOM = codecs.BOM_UTF8
# Sheets up to this size (uncompressed XML; ~250,000 rows of five columns) are read by
# python-calamine, which holds the decoded sheet (~1.8x this in memory); larger ones stream.
CALAMINE_MAX_SHEET_BYTES = 64 << 20
# OOXML writes a control character in a cell as _xHHHH_ (ECMA-376 22.9.2.19); openpyxl
# leaves the escape as text. These are turned back into the character they stand for, so
# that a NUL in a spreadsheet cell is found like a NUL in a CSV (a row error).
_OOXML_CONTROL = re.compile(r"_x(00[01][0-9A-Fa-f]|007[Ff])_")


class ImportFileError(Exception):
    """The file as a whole cannot be read; str(error) is the reason in Chinese."""


def detect_format(path: str, fmt: str | None = None) -> str:
    """`csv` or `xlsx`, from `fmt` when given, else from the file name's extension."""
    fmt = (fmt or os.path.splitext(path)[1].lstrip(".")).lower()
    if fmt not in SUPPORTED_FORMATS:
        raise ImportFileError(_("不支持的文件类型，只接受 .csv 或 .xlsx 文件"))
    return fmt


def iter_rows(path: str, fmt: str) -> Iterator[list]:
    """The rows of the file (the header first), each a list of raw cell values."""
    if not os.path.exists(path):
        raise ImportFileError(_("文件不存在：%(path)s") % {"path": path})
    if not os.path.isfile(path):
        raise ImportFileError(_("不是文件：%(path)s") % {"path": path})
    if fmt == "csv":
        return _iter_csv(path)
    return _iter_xlsx(path)


def csv_encoding(path: str) -> str:
    """`utf-8-sig` when the whole file is valid UTF-8 (a BOM is dropped), else `gb18030`.

    One streaming pass in blocks of SCAN_BLOCK bytes through an incremental decoder, so a
    multi-byte character split between blocks is fine and memory stays flat. A file that
    starts with the UTF-8 BOM but is not valid UTF-8 is refused: the BOM says UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with open(path, "rb") as handle:
            first = True
            while block := handle.read(SCAN_BLOCK):
                if first:
                    bom = block.startswith(UTF8_BOM)
                    first = False
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as e:
                    if bom:
                        raise ImportFileError(
                            _("文件以 UTF-8 标记开头，但第 %(byte)d 个字节起不是有效的 UTF-8，请重新另存为 CSV UTF-8")
                            % {"byte": offset + e.start + 1}
                        ) from None
                    return "gb18030"
                offset += len(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"  # the file ends inside a multi-byte character
    except OSError as e:
        raise ImportFileError(_("无法打开文件：%(error)s") % {"error": e.strerror or e}) from None
    return "utf-8-sig"


def _iter_csv(path: str) -> Iterator[list]:
    encoding = csv_encoding(path)
    try:
        handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed below)
    except OSError as e:
        raise ImportFileError(_("无法打开文件：%(error)s") % {"error": e.strerror or e}) from None
    with handle:
        reader = csv.reader(handle)
        row_no = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise ImportFileError(
                    _(
                        "文件编码无法识别（第 %(row)d 行附近）：既不是 UTF-8，也不是 GBK/GB18030。"
                        "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或“CSV（逗号分隔）”"
                    )
                    % {"row": row_no + 1}
                ) from None
            except csv.Error as e:
                raise ImportFileError(
                    _("CSV 格式错误（第 %(row)d 行附近）：%(error)s") % {"row": row_no + 1, "error": e}
                ) from None
            row_no += 1
            yield row


def _iter_xlsx(path: str) -> Iterator[list]:
    """The first sheet's rows: by python-calamine (Rust, ~6 us a row) when the sheet is small
    enough to hold decoded in memory, else streamed by openpyxl's read-only reader (~60 us a
    row, flat memory): calamine decodes the whole sheet at once (408 MB for a million rows
    of five columns), and a file of a million rows must not be held in memory. A file object
    (the platform's return file, read from an upload) goes to openpyxl: calamine reads paths."""
    if isinstance(path, str | os.PathLike) and _largest_sheet_bytes(path) <= CALAMINE_MAX_SHEET_BYTES:
        return _iter_xlsx_calamine(path)
    return _iter_xlsx_openpyxl(path)


def _largest_sheet_bytes(path: str) -> int:
    """The uncompressed size of the largest worksheet part (0 when the file is no zip: the
    reader then reports it as unreadable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return max((i.file_size for i in archive.infolist() if i.filename.startswith("xl/worksheets/")), default=0)
    except (OSError, zipfile.BadZipFile, ValueError):
        return 0


def _iter_xlsx_calamine(path: str) -> Iterator[list]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(path)
        sheets = workbook.sheets_metadata
        worksheets = [m.name for m in sheets if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
        sheet = workbook.get_sheet_by_name(worksheets[0]) if worksheets else None
    except Exception:  # CalamineError, ZipError, XmlError, PasswordError …
        raise ImportFileError(_("无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式")) from None
    try:
        if sheet is None:
            return
        # Rows are counted from row 1 as openpyxl does; columns before the first used one are
        # empty cells, as openpyxl gives them. Empty cells are "".
        pad = [None] * sheet.start[1] if sheet.height else []
        rows = sheet.iter_rows()
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:
                raise ImportFileError(_("Excel 文件内容已损坏，无法读取")) from None
            yield [*pad, *(_ooxml_unescape(c) if c.__class__ is str and "_x" in c else c for c in row)]
    finally:
        workbook.close()


def _iter_xlsx_openpyxl(path: str) -> Iterator[list]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException …)
        raise ImportFileError(_("无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式")) from None
    try:
        if not workbook.worksheets:
            return
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:
                raise ImportFileError(_("Excel 文件内容已损坏，无法读取")) from None
            yield [_ooxml_unescape(c) if c.__class__ is str and "_x" in c else c for c in row]
    finally:
        workbook.close()


def _ooxml_unescape(text: str) -> str:
    return _OOXML_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), text)


def cell_text(value: object, *, period: bool = False) -> str:
    """The text of one cell, whitespace stripped; "" for an empty cell.

    Spreadsheet cells may be typed: a date becomes YYYY-MM-DD (YYYY-MM in a `period`
    column), an integer-valued number its integer text (15.0 -> "15"), any other number
    its plain decimal text (float noise within 1e-9 of two decimals dropped), a boolean 1 or 0.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        if period:
            return value.strftime("%Y-%m")
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m") if period else value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        rounded = round(value, 2)
        if abs(value - rounded) < 1e-9:
            value = rounded  # binary noise of spreadsheet arithmetic: 12.100000000000001 is 12.1
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()
