"""A one-sheet .xlsx written as it is sent: the first bytes leave before the second row is read.

XlsxWriter and openpyxl both need the whole sheet on disk before they can zip it (the zip is made
by `close()`), so a million-row list would start downloading only after every row was written.
Here the zip is made by `stream-zip` (maintained, MIT; it deflates each member as its chunks come
and writes the sizes after the data, in a data descriptor), and the sheet's XML is generated row by
row: nothing but the current chunk is held.

The workbook is the smallest one Excel, WPS, LibreOffice and openpyxl open: content types, the
package and workbook relations, a workbook with one sheet, styles (a text format "@" on every
column, a bold header), and the sheet with the header row frozen. Every cell is an inline string
(`t="inlineStr"`), so no value can be read as a number, a date or a formula: "=1+2" stays the
text "=1+2" (formula-safe by construction). An empty value is an empty cell.

Like the batch files (reporting/exporters.py), a line break becomes \\n and the control
characters XML forbids are dropped. A text longer than a cell holds (32,767 characters) is cut
and marked "…（已截断）" rather than breaking the download half-way; past Excel's 1,048,576 rows
the sheet ends with a row saying that the rest is in the CSV export.
"""

from __future__ import annotations

import datetime
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence

from stream_zip import ZIP_32, stream_zip

MAX_ROWS = 1_048_576  # the header included
MAX_CELL_CHARS = 32_767
TRUNCATED = "…（已截断）"
FULL_SHEET = "已达 Excel 单表上限 1,048,576 行，其余行未导出，请改用 CSV 导出。"
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff]")
_ESCAPE = re.compile("[&<>]")
_CHUNK = 64 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 1: text ("@", built-in format 49); style 2: text, bold (the header).
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook(sheet_name: str) -> str:
    return (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<sheets><sheet name="{_escape(sheet_name, attribute=True)}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _escape(value: str, attribute: bool = False) -> str:
    if _UNWRITABLE.search(value):
        value = _UNWRITABLE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if _ESCAPE.search(value):
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        value = value.replace('"', "&quot;")
    return value


def _cell(ref: str, value: str, style: int) -> str:
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - len(TRUNCATED)] + TRUNCATED
    text = _escape(value)
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _row(number: int, letters: Sequence[str], values: Iterable[str | None], style: int) -> str:
    cells = "".join(_cell(f"{letter}{number}", v, style) for letter, v in zip(letters, values, strict=False) if v)
    return f'<row r="{number}">{cells}</row>'


def _sheet(columns: Sequence[str], rows: Iterable[Sequence[str | None]], widths: Sequence[int]) -> Iterator[bytes]:
    letters = [column_letter(i) for i in range(len(columns))]
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{w}" style="1" customWidth="1"/>' for i, w in enumerate(widths)
    )
    yield (
        _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>' + _row(1, letters, columns, 2)
    ).encode("utf-8")
    buffer: list[str] = []
    size = 0
    number = 1
    last: str | None = None  # the sheet's last row, held until we know whether more rows follow
    for values in rows:
        number += 1
        if number == MAX_ROWS:
            last = _row(number, letters, values, 1)
            continue
        if number > MAX_ROWS:
            last = _row(MAX_ROWS, letters, [FULL_SHEET], 1)
            break
        line = _row(number, letters, values, 1)
        buffer.append(line)
        size += len(line)
        if size >= _CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            size = 0
    if last is not None:
        buffer.append(last)
    buffer.append(
        '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    )
    buffer.append("</worksheet>")
    yield "".join(buffer).encode("utf-8")


def _width(header: str) -> int:
    return max(12, min(40, 2 * len(header) + 4))


def stream_xlsx(
    sheet_name: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    widths: Sequence[int] | None = None,
    level: int = 1,
) -> Iterator[bytes]:
    """The workbook's bytes, chunk by chunk; `rows` (texts, one per column; None or "" for an empty
    cell) is read once as the chunks are asked for. Deflate level 1 by default: the sheet's XML
    repeats itself, so the file is about as small as at level 6, in half the time."""
    now = datetime.datetime.now()
    widths = list(widths) if widths is not None else [_width(c) for c in columns]

    def member(name: str, data: str | Iterable[bytes]):
        chunks = (data.encode("utf-8"),) if isinstance(data, str) else data
        return name, now, 0o600, ZIP_32, chunks

    members = (
        member("[Content_Types].xml", _CONTENT_TYPES),
        member("_rels/.rels", _ROOT_RELS),
        member("xl/workbook.xml", _workbook(sheet_name)),
        member("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        member("xl/styles.xml", _STYLES),
        member("xl/worksheets/sheet1.xml", _sheet(columns, rows, widths)),
    )
    return stream_zip(
        members,
        chunk_size=_CHUNK,
        get_compressobj=lambda: zlib.compressobj(wbits=-zlib.MAX_WBITS, level=level),
        extended_timestamps=False,
    )
