"""Every list page's "导出 Excel" / "导出 CSV": the page's columns and rows, streamed.

A list view that offers an export calls `requested(request)`; when it names a format the view
builds `columns` (the page's Chinese headers) and `rows` (an iterable of rows, each a sequence of
values, read once; typically a generator over `queryset.iterator(chunk_size=…)`) and returns
`export_response(...)`. Scoping is the page's own: the view passes the very queryset it lists.

- CSV: a `StreamingHttpResponse`, UTF-8 with a BOM (Excel opens it as UTF-8), `\\r\\n` line ends;
  rows are written one at a time, nothing is kept.
- xlsx: a `StreamingHttpResponse` too (`customers.xlsx_stream.stream_xlsx`): the sheet's XML is
  generated row by row and zipped by stream-zip as it is sent, so the first bytes leave at once
  and memory stays flat; every cell an inline string (text, never a formula). XlsxWriter's
  constant_memory mode, used before, keeps memory flat too but zips only when the whole sheet is
  on disk: at a million customers its first byte came after the whole file was written (276 s on a
  loaded machine, against 0.3 s now; bench/export_bench.py).
- formula-safe: every workbook cell is text (so "=1+2" is the text "=1+2"); a CSV value starting
  with = + - @ or a tab gets a leading ' (`customers.cells.csv_safe`, which reporting's exports use too).
- values as the page shows them (`cell_text`): choices by their label (the caller passes the
  label), dates as YYYY-MM-DD, times in Asia/Shanghai, amounts with two decimals, people by name.
- response: `Content-Disposition: attachment; filename*=UTF-8''…` with the Chinese name and the
  day (信用档案-20261203.xlsx), `Cache-Control: private, no-store`.
"""

from __future__ import annotations

import csv
import datetime
import decimal
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone

from .cells import FORMULA_TRIGGERS, csv_safe
from .xlsx_stream import XLSX_CONTENT_TYPE, stream_xlsx

XLSX, CSV = "xlsx", "csv"
FORMATS = (XLSX, CSV)
PARAM = "export"
CHUNK_SIZE = 2000
# Excel's sheet names: at most 31 characters, none of these.
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})

__all__ = ["CHUNK_SIZE", "FORMULA_TRIGGERS", "cell_text", "export_links", "export_response", "person", "requested"]


def requested(request: HttpRequest) -> str | None:
    """The format asked for with `?export=xlsx|csv`, else None (the page itself)."""
    fmt = request.GET.get(PARAM)
    return fmt if fmt in FORMATS else None


def export_links(request: HttpRequest, **shown: str) -> dict[str, str]:
    """The query strings of the page's two export buttons: the current filters (and `shown`, what the
    page shows by default, e.g. the movers' tab), without the page number."""
    links = {}
    for fmt in FORMATS:
        query: QueryDict = request.GET.copy()
        query.pop("page", None)
        for key, value in shown.items():
            query[key] = value
        query[PARAM] = fmt
        links[fmt] = "?" + query.urlencode()
    return links


def person(user) -> str:
    """A user as a reader knows them: the full name (陈静), else the username."""
    if user is None:
        return ""
    return (user.get_full_name() or "").strip() or user.get_username()


def cell_text(value) -> str:
    """A value as the page shows it, as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    return str(value)


def _text_rows(rows: Iterable[Sequence]) -> Iterator[list[str]]:
    for row in rows:
        yield [cell_text(v) for v in row]


def _filename(stem: str, fmt: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.{fmt}"


def _headers(response: HttpResponse, filename: str) -> HttpResponse:
    ascii_name = "export." + filename.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class _Echo:
    """A file-like object whose write() returns what it is given (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(columns: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow(list(columns))).encode("utf-8")
    buffer: list[str] = []
    for row in _text_rows(rows):
        buffer.append(writer.writerow([csv_safe(v.replace("\r\n", "\n").replace("\r", "\n")) for v in row]))
        if len(buffer) >= 500:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode("utf-8")


def export_response(fmt: str, stem: str, columns: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """The download of `rows` under `columns`, as `fmt` (xlsx or csv), named `stem-YYYYMMDD.fmt`."""
    filename = _filename(stem, fmt)
    if fmt == CSV:
        response = StreamingHttpResponse(_csv_stream(columns, rows), content_type="text/csv; charset=utf-8")
        return _headers(response, filename)
    # Sent as it is written (customers/xlsx_stream.py): the download starts at once and only the
    # current chunk of rows is held, whatever the list's size.
    sheet = (stem.translate(_SHEET_FORBIDDEN).strip() or "Sheet1")[:31]
    response = StreamingHttpResponse(
        stream_xlsx(sheet, list(columns), _text_rows(rows)), content_type=XLSX_CONTENT_TYPE
    )
    return _headers(response, filename)
