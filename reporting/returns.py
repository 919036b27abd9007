"""The platform's return file: reading its rejected rows and marking them returned (data-contract.md,
"Platform return file"; reporting-batch.md, "Checks, numbering and the return file").

`import_return()` is the one entry point for the `import_return` command and the upload on the batch
page. It is all or nothing, in one transaction: every data line must name a row (sheet + key) of a
reported batch's current generation that was not held back, else nothing is marked and
`ReturnFileError.errors` lists each bad line as `row N: reason` (N counts the header as row 1).

A line matches the most recently exported row with its sheet and key (by the batch's `exported_at`,
then id): a row sent again after a return is the one the platform speaks of. A row already returned
stays as it is. The same file (by SHA-256) imported again changes nothing and says so.

Return files are small (the platform lists rejected rows only; the upload is capped), so a file is
read into memory whole; the rows are looked up and marked set-based.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.importer.reader import ImportFileError, _iter_xlsx, cell_text
from customers.models import AuditEntry, company_ids_for
from repair import reporting as repair_reporting
from repair.models import RepairRequest

from .columns import COLUMNS, KEY_COLUMN, SHEET_BY_NAME, SHEET_NAMES
from .models import REPORTED_STATUSES, SHEET_ORDER, Batch, BatchRow, BatchStatus, ReturnFile, Sheet

SHEET_COLUMN = "工作表"
FILE_COLUMNS = ("文件名", "文件")
KEY_ANY_COLUMN = "主键"
REASON_COLUMN = "错误原因"
LOOKUP_CHUNK = 500  # keys per IN (...) query; SQLite allows 999 parameters
MARK_FIELDS = ["returned_at", "return_reason", "return_file"]
_HEADER_NOISE = re.compile(r"[\s\ufeff\u200b\u3000]+")
_KEY_NOISE = re.compile(r"[\s\u200b\u3000]+")
_MIN_TIME = datetime.datetime.min.replace(tzinfo=datetime.UTC)
# Excel keeps 15 significant digits of a number: a longer code typed as a number has lost its tail.
EXCEL_DIGITS = 15


# --- results and errors ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class ReturnRowError:
    """One bad line of a return file; `str()` is the contract's `row N: reason`."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"

    @property
    def display(self) -> str:
        return _("第 %(row)d 行：%(reason)s") % {"row": self.row, "reason": self.reason}


class ReturnFileError(Exception):
    """Nothing was marked. `str()` is the reason in Chinese; `errors` the bad lines (may be empty when
    the file as a whole cannot be read)."""

    def __init__(self, message: str, errors: Iterable[ReturnRowError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = sorted(errors)

    def __str__(self) -> str:
        return self.message


@dataclass
class ReturnResult:
    return_file: ReturnFile
    marked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHEET_ORDER, 0))
    already_returned: int = 0  # lines naming a row that an earlier file had returned: left as it was
    batches_returned: list[str] = field(default_factory=list)  # batches that became 部分退回 by this file
    batches: list[str] = field(default_factory=list)  # every batch with a row named by the file
    duplicate: bool = False  # the same file had been imported before: nothing was done

    @property
    def total(self) -> int:
        return sum(self.marked.values())

    def summary_lines(self) -> list[str]:
        """What the command prints: the rows marked per sheet and the batches that became 部分退回."""
        if self.duplicate:
            return [self.duplicate_message()]
        lines = [_("已标记退回 %(count)d 行") % {"count": self.total}]
        lines += [f"{SHEET_NAMES[sheet]}: {self.marked[sheet]}" for sheet in SHEET_ORDER]
        if self.already_returned:
            lines.append(_("此前已退回、未再改动：%(count)d 行") % {"count": self.already_returned})
        lines.append(_("变为部分退回的批次：%(numbers)s") % {"numbers": ", ".join(self.batches_returned) or _("无")})
        return lines

    def message(self) -> str:
        """One line for the batch page."""
        if self.duplicate:
            return self.duplicate_message()
        parts = ", ".join(f"{SHEET_NAMES[sheet]} {self.marked[sheet]} 行" for sheet in SHEET_ORDER)
        text = _("退回文件“%(name)s”已导入：标记退回 %(count)d 行（%(parts)s）") % {
            "name": self.return_file.original_name,
            "count": self.total,
            "parts": parts,
        }
        if self.already_returned:
            text += _("；%(count)d 行此前已退回，未再改动") % {"count": self.already_returned}
        if self.batches_returned:
            text += _("；批次 %(numbers)s 变为部分退回") % {"numbers": ", ".join(self.batches_returned)}
        return text

    def duplicate_message(self) -> str:
        return _("该文件已于 %(at)s 导入过（内容完全相同，“%(name)s”），本次未做任何更改") % {
            "at": f"{timezone.localtime(self.return_file.imported_at):%Y-%m-%d %H:%M}",
            "name": self.return_file.original_name,
        }


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One data line: the row it names and the platform's reason."""

    row: int
    sheet: str
    key: str
    key_column: str
    reason: str
    numeric_key: bool = False  # the key cell was a long number: Excel may have dropped digits


def check_content(data: bytes, name: str) -> str:
    """`xlsx` or `csv`: the extension must say one of them and the content must agree."""
    ext = os.path.splitext(name or "")[1].lower()
    if not data:
        raise ReturnFileError(_("文件是空的"))
    if ext == ".xls":
        raise ReturnFileError(_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入"))
    if ext not in (".xlsx", ".csv"):
        raise ReturnFileError(_("不支持的文件类型，只接受 .xlsx 或 .csv 文件"))
    is_zip = data.startswith(b"PK\x03\x04")
    is_ole = data.startswith(b"\xd0\xcf\x11\xe0")  # the old binary .xls
    if ext == ".xlsx":
        if not is_zip:
            raise ReturnFileError(_("文件扩展名是 .xlsx，但内容不是 Excel 工作簿（文件可能已损坏或被改了扩展名）"))
        return "xlsx"
    if is_zip or is_ole:
        raise ReturnFileError(_("文件扩展名是 .csv，但内容是 Excel 工作簿，请另存为 CSV 或把扩展名改为 .xlsx"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReturnFileError(_("文件是 UTF-16 编码（Excel 的“Unicode 文本”），请另存为“CSV UTF-8（逗号分隔）”"))
    if b"\x00" in data:
        raise ReturnFileError(_("文件内容不是文本，不是有效的 CSV 文件"))
    return "csv"


def decode_csv(data: bytes) -> str:
    """UTF-8 with or without a BOM; a file that is not valid UTF-8 is read as GB18030 (GBK's superset)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ReturnFileError(_("无法识别文件的编码：既不是 UTF-8 也不是 GB18030（GBK）")) from None


def iter_cells(data: bytes, fmt: str) -> Iterator[list]:
    """The file's rows (the header first), each a list of raw cell values."""
    try:
        if fmt == "csv":
            reader = csv.reader(io.StringIO(decode_csv(data), newline=""))
            try:
                yield from reader
            except csv.Error as e:
                raise ReturnFileError(
                    _("CSV 格式错误（第 %(row)d 行附近）：%(error)s") % {"row": reader.line_num, "error": e}
                ) from None
        else:
            yield from _iter_xlsx(io.BytesIO(data))
    except ImportFileError as e:
        raise ReturnFileError(str(e)) from None


def header_name(value: object) -> str:
    """A header cell without stray spaces, a BOM or zero-width characters."""
    return _HEADER_NOISE.sub("", cell_text(value))


def key_text(value: object) -> tuple[str, bool]:
    """The key as the cell shows it, and whether it was a long number.

    A number cell reads as its digits: 4.2130020261101E+19 is "42130020261101000000", 123.0 is "123".
    A leading apostrophe (Excel's "keep as text") and spaces are dropped.
    """
    if isinstance(value, float) and value.is_integer():
        text = format(Decimal(repr(value)).to_integral_value(), "f")
        return text, len(text.lstrip("-")) > EXCEL_DIGITS
    text = _KEY_NOISE.sub("", cell_text(value)).lstrip("'")
    return text, False


def sheet_in(text: str) -> str | None:
    """The sheet a 工作表 or 文件名 cell names: the exact sheet name, else the one sheet name it contains."""
    if text in SHEET_BY_NAME:
        return SHEET_BY_NAME[text]
    found = [sheet for name, sheet in SHEET_BY_NAME.items() if name in text]
    return found[0] if len(found) == 1 else None


@dataclass
class Layout:
    """Where the file keeps what a line needs; every other column is ignored."""

    width: int
    sheet_col: int | None
    file_col: int | None
    file_header: str
    key_cols: dict[str, int]  # sheet -> position of its own key column
    any_key_col: int | None
    reason_col: int
    default_sheet: str | None  # when the file has no sheet column: from its columns or its name

    @classmethod
    def read(cls, header: list, name: str) -> Layout:
        positions: dict[str, int] = {}
        for i, cell in enumerate(header):
            positions.setdefault(header_name(cell), i)
        if REASON_COLUMN not in positions:
            raise ReturnFileError(_("文件第 1 行（表头）中没有“错误原因”列"))
        file_header = next((c for c in FILE_COLUMNS if c in positions), "")
        key_cols = {sheet: positions[col] for sheet, col in KEY_COLUMN.items() if col in positions}
        if not key_cols and KEY_ANY_COLUMN not in positions:
            raise ReturnFileError(_("文件第 1 行（表头）中没有主键列（承诺编码、统一社会信用代码、编号或主键）"))
        layout = cls(
            width=len(header),
            sheet_col=positions.get(SHEET_COLUMN),
            file_col=positions.get(file_header) if file_header else None,
            file_header=file_header,
            key_cols=key_cols,
            any_key_col=positions.get(KEY_ANY_COLUMN),
            reason_col=positions[REASON_COLUMN],
            default_sheet=None,
        )
        if layout.sheet_col is None and layout.file_col is None:
            layout.default_sheet = cls._guess_sheet(set(positions), name)
        return layout

    @staticmethod
    def _guess_sheet(columns: set[str], name: str) -> str:
        """A file without a sheet column: the sheet whose every column it repeats, or the one its name names."""
        whole = [sheet for sheet in SHEET_ORDER if set(COLUMNS[sheet]) <= columns]
        if len(whole) == 1:
            return whole[0]
        from_name = sheet_in(os.path.basename(name or ""))
        if from_name:
            return from_name
        raise ReturnFileError(
            _("文件中没有“工作表”或“文件名”列，也无法从列名或文件名判断属于哪个工作表（%(names)s）")
            % {"names": "、".join(SHEET_NAMES[s] for s in SHEET_ORDER)}
        )

    def parse(self, row_no: int, cells: list) -> ReturnLine | ReturnRowError:
        def cell(i: int | None) -> object:
            return cells[i] if i is not None and i < len(cells) else None

        sheet = self.default_sheet
        sheet_text = cell_text(cell(self.sheet_col))
        file_text = cell_text(cell(self.file_col))
        if sheet_text:
            sheet = sheet_in(_HEADER_NOISE.sub("", sheet_text))
            if sheet is None:
                return ReturnRowError(
                    row_no, _("“工作表”的“%(value)s”不是报送的工作表（%(names)s）") % self._names(sheet_text)
                )
        elif file_text:
            sheet = sheet_in(os.path.basename(file_text.replace("\\", "/")))
            if sheet is None:
                return ReturnRowError(
                    row_no,
                    _("“%(column)s”的“%(value)s”中没有工作表名称（%(names)s）")
                    % {**self._names(file_text), "column": self.file_header},
                )
        elif sheet is None:
            column = SHEET_COLUMN if self.sheet_col is not None else self.file_header
            return ReturnRowError(row_no, _("“%(column)s”为空，无法判断属于哪个工作表") % {"column": column})

        own_column = KEY_COLUMN[sheet]
        key, numeric = key_text(cell(self.key_cols.get(sheet)))
        key_column = own_column
        if not key and self.any_key_col is not None:
            key, numeric = key_text(cell(self.any_key_col))
            key_column = KEY_ANY_COLUMN
        if not key:
            if sheet not in self.key_cols and self.any_key_col is None:
                return ReturnRowError(
                    row_no,
                    _("工作表“%(sheet)s”的行需要“%(column)s”列或“主键”列，文件中没有")
                    % {"sheet": SHEET_NAMES[sheet], "column": own_column},
                )
            named = own_column if self.any_key_col is None else f"{own_column}/{KEY_ANY_COLUMN}"
            return ReturnRowError(row_no, _("“%(column)s”为空") % {"column": named})
        if sheet == Sheet.RATING:
            key = key.upper()  # USCC letters are capitals (GB 32100)

        reason = cell_text(cell(self.reason_col))
        if not reason:
            return ReturnRowError(row_no, _("“错误原因”为空：请填写平台退回的原因"))
        return ReturnLine(row_no, sheet, key, key_column, reason, numeric)

    @staticmethod
    def _names(value: str) -> dict[str, str]:
        return {"value": value, "names": "、".join(SHEET_NAMES[s] for s in SHEET_ORDER)}


def read_lines(data: bytes, name: str) -> tuple[list[ReturnLine], list[ReturnRowError]]:
    """The file's data lines and its bad lines; blank lines are skipped. Raises ReturnFileError when
    the file as a whole cannot be read (type, encoding, corrupt, header)."""
    rows = iter_cells(data, check_content(data, name))
    header = next(rows, None)
    if header is None or not any(cell_text(c) for c in header):
        raise ReturnFileError(_("文件第 1 行没有表头"))
    layout = Layout.read(header, name)
    lines: list[ReturnLine] = []
    errors: list[ReturnRowError] = []
    for row_no, cells in enumerate(rows, start=2):
        if not any(cell_text(c) for c in cells):
            continue
        parsed = layout.parse(row_no, cells)
        (errors if isinstance(parsed, ReturnRowError) else lines).append(parsed)
    if not lines and not errors:
        raise ReturnFileError(_("文件中只有表头，没有退回的行"))
    return lines, errors


def _read_bytes(path_or_file) -> bytes:
    if isinstance(path_or_file, (str, Path)):
        path = str(path_or_file)
        if not os.path.exists(path):
            raise ReturnFileError(_("文件不存在：%(path)s") % {"path": path})
        if not os.path.isfile(path):
            raise ReturnFileError(_("不是文件：%(path)s") % {"path": path})
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except OSError as e:
            raise ReturnFileError(_("无法打开文件：%(error)s") % {"error": e.strerror or e}) from None
    if hasattr(path_or_file, "seek"):
        path_or_file.seek(0)
    return path_or_file.read()


# --- matching and marking -------------------------------------------------------------------------


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _current_rows(keys_by_sheet: dict[str, set[str]], **filters) -> Iterator[BatchRow]:
    """The batches' current rows with these sheets and keys."""
    for sheet, keys in keys_by_sheet.items():
        for chunk in _chunks(sorted(keys)):
            yield from BatchRow.objects.filter(
                sheet=sheet, key__in=chunk, generation=F("batch__generation"), **filters
            ).select_related("batch")


def _latest(rows: Iterable[BatchRow]) -> BatchRow:
    return max(rows, key=lambda r: (r.batch.exported_at or _MIN_TIME, r.batch_id))


def _not_found(line: ReturnLine, others: list[BatchRow]) -> str:
    """Why a line names no row that can be returned: held back, only in a draft, or unknown."""
    names = {"sheet": SHEET_NAMES[line.sheet], "column": KEY_COLUMN[line.sheet], "key": line.key}
    held = [r for r in others if r.held and r.batch.status in REPORTED_STATUSES]
    drafts = [r for r in others if r.batch.status == BatchStatus.DRAFT]
    if held:
        return _("工作表“%(sheet)s”的%(column)s %(key)s 在批次 %(batch)s 中暂缓报送，未曾报送给平台，不能退回") % {
            **names,
            "batch": _latest(held).batch.number,
        }
    if drafts:
        return _("工作表“%(sheet)s”的%(column)s %(key)s 只在草稿批次 %(batch)s 中，尚未导出，不能退回") % {
            **names,
            "batch": max(drafts, key=lambda r: r.batch_id).batch.number,
        }
    reason = _("工作表“%(sheet)s”中没有已导出的%(column)s %(key)s") % names
    if line.numeric_key:
        reason += _(
            "（该单元格是数字，Excel 只保留 15 位有效数字，后几位已丢失：请把“%(column)s”列设为文本，按平台原文填写）"
        ) % {"column": line.key_column}
    return reason


def import_return(path_or_file, *, name: str, user=None) -> ReturnResult:
    """Mark the rows the platform's file returns, all or nothing; see the module docstring.

    `path_or_file` is a path or a binary file object (an upload); `name` is the file's own name (its
    extension says the format; a file without a sheet column may name its sheet). With `user`, the
    file may only name rows of the user's companies, and the user is recorded as the importer.
    Raises ReturnFileError when the file cannot be read or any line is bad: then nothing is marked.
    """
    data = _read_bytes(path_or_file)
    sha256 = hashlib.sha256(data).hexdigest()
    name = os.path.basename(str(name or "").replace("\\", "/")) or "return"
    lines, errors = read_lines(data, name)  # the file alone: no database yet
    stored: list[ReturnFile] = []
    try:
        with transaction.atomic():
            return _import(data, sha256, name, user, lines, errors, stored)
    except BaseException:
        for return_file in stored:  # rolled back: the stored copy of the file goes too
            if return_file.file:
                return_file.file.storage.delete(return_file.file.name)
        raise


def _import(
    data: bytes,
    sha256: str,
    name: str,
    user,
    lines: list[ReturnLine],
    errors: list[ReturnRowError],
    stored: list[ReturnFile],
) -> ReturnResult:
    # Lock the reported batches (few: one or two a month), in id order: two imports, or an import
    # and a status change, take turns; the second import of one file then finds the first's record.
    locked = {b.pk: b for b in Batch.objects.select_for_update().filter(status__in=REPORTED_STATUSES).order_by("pk")}
    earlier = ReturnFile.objects.filter(sha256=sha256).order_by("imported_at", "pk").first()
    if earlier is not None:
        return ReturnResult(return_file=earlier, duplicate=True)

    errors = list(errors)
    keys_by_sheet: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        keys_by_sheet[line.sheet].add(line.key)

    # The rows that can be returned: current rows of the locked batches, not held back; locked too.
    candidates: dict[tuple[str, str], list[BatchRow]] = defaultdict(list)
    for chunk_rows in _chunked_locked(keys_by_sheet, list(locked)):
        for row in chunk_rows:
            row.batch = locked[row.batch_id]
            candidates[(row.sheet, row.key)].append(row)
    missing = {(ln.sheet, ln.key) for ln in lines if (ln.sheet, ln.key) not in candidates}
    others: dict[tuple[str, str], list[BatchRow]] = defaultdict(list)
    if missing:
        missing_by_sheet: dict[str, set[str]] = defaultdict(set)
        for sheet, key in missing:
            missing_by_sheet[sheet].add(key)
        for row in _current_rows(missing_by_sheet):
            others[(row.sheet, row.key)].append(row)

    allowed = set(company_ids_for(user)) if user is not None else None
    targets: dict[int, BatchRow] = {}
    reasons: dict[int, list[str]] = defaultdict(list)
    for line in lines:
        rows = candidates.get((line.sheet, line.key))
        if not rows:
            errors.append(ReturnRowError(line.row, _not_found(line, others.get((line.sheet, line.key), []))))
            continue
        row = _latest(rows)
        if allowed is not None and row.company_id not in allowed:
            errors.append(
                ReturnRowError(
                    line.row,
                    _("工作表“%(sheet)s”的%(column)s %(key)s 属于您无权处理的供水公司")
                    % {"sheet": SHEET_NAMES[line.sheet], "column": KEY_COLUMN[line.sheet], "key": line.key},
                )
            )
            continue
        targets[row.pk] = row
        if line.reason not in reasons[row.pk]:
            reasons[row.pk].append(line.reason)  # one row named twice: both reasons kept

    to_mark = [row for row in targets.values() if row.returned_at is None]
    repair_numbers = {row.key for row in to_mark if row.sheet == Sheet.REPAIR}
    known = set(RepairRequest.objects.filter(number__in=repair_numbers).values_list("number", flat=True))
    for line in lines:
        if line.sheet == Sheet.REPAIR and line.key in repair_numbers - known:
            errors.append(
                ReturnRowError(line.row, _("信用修复申请 %(key)s 已不存在，无法重新报送") % {"key": line.key})
            )
    if errors:
        raise ReturnFileError(
            _("退回文件有 %(count)d 行无法对应到已导出的报送行，未标记任何行") % {"count": len(errors)}, errors
        )

    actor = audit.current_actor()
    return_file = ReturnFile(
        original_name=name[:200],
        sha256=sha256,
        rows_marked=len(to_mark),
        imported_by=user,
        imported_by_label="" if user is not None else actor.label,
    )
    return_file.file.save(name, ContentFile(data), save=False)
    stored.append(return_file)
    return_file.save()
    audit.record(
        AuditEntry.CREATE,
        return_file,
        None,
        audit.snapshot(return_file, ["original_name", "sha256", "rows_marked"]),
        note=_("导入平台退回文件 %(name)s") % {"name": name},
    )

    result = ReturnResult(return_file=return_file)
    result.already_returned = len(targets) - len(to_mark)
    result.batches = sorted({row.batch.number for row in targets.values()})
    now = timezone.now()
    entries = []
    for row in sorted(to_mark, key=lambda r: (r.batch_id, r.sheet, r.position)):
        before = audit.snapshot(row, MARK_FIELDS)
        row.returned_at = now
        row.return_reason = ";".join(reasons[row.pk])
        row.return_file = return_file
        result.marked[row.sheet] += 1
        entries.append(
            AuditEntry(
                action=AuditEntry.UPDATE,
                model=audit.model_name(row),
                object_id=audit.object_key(row),
                customer_id=row.customer_id,
                before=before,
                after=audit.snapshot(row, MARK_FIELDS),
                note=_("平台退回：批次 %(batch)s，工作表“%(sheet)s”，%(column)s %(key)s：%(reason)s")
                % {
                    "batch": row.batch.number,
                    "sheet": SHEET_NAMES[row.sheet],
                    "column": KEY_COLUMN[row.sheet],
                    "key": row.key,
                    "reason": row.return_reason,
                },
            )
        )
    BatchRow.objects.bulk_update(to_mark, MARK_FIELDS, batch_size=LOOKUP_CHUNK)
    audit.record_many(entries)

    for row in to_mark:
        if row.sheet == Sheet.REPAIR:
            # The decision goes into the next batch again, rebuilt from the request as it is then.
            repair_reporting.requeue(
                row.key,
                _("平台退回（批次 %(batch)s）：%(reason)s") % {"batch": row.batch.number, "reason": row.return_reason},
            )

    for batch_id in sorted({row.batch_id for row in to_mark}):
        batch = locked[batch_id]
        if batch.status == BatchStatus.RETURNED:
            continue
        before = audit.snapshot(batch, ["status", "returned_at"])
        batch.status = BatchStatus.RETURNED
        batch.returned_at = now
        batch.save(update_fields=["status", "returned_at"])
        audit.record(
            AuditEntry.UPDATE,
            batch,
            before,
            audit.snapshot(batch, ["status", "returned_at"]),
            note=_("平台退回文件 %(name)s：本批次 %(count)d 行被退回")
            % {"name": name, "count": sum(1 for r in to_mark if r.batch_id == batch_id)},
        )
        result.batches_returned.append(batch.number)
    return result


def _chunked_locked(keys_by_sheet: dict[str, set[str]], batch_ids: list[int]) -> Iterator[list[BatchRow]]:
    """The locked batches' current rows with these keys that were sent (not held back), locked."""
    if not batch_ids:
        return
    for sheet, keys in keys_by_sheet.items():
        for chunk in _chunks(sorted(keys)):
            yield list(
                BatchRow.objects.select_for_update(of=("self",)).filter(
                    batch_id__in=batch_ids,
                    sheet=sheet,
                    key__in=chunk,
                    held=False,
                    generation=F("batch__generation"),
                )
            )


# --- reading back ---------------------------------------------------------------------------------

_SHEET_POSITION = Case(
    *[When(sheet=sheet, then=Value(i)) for i, sheet in enumerate(SHEET_ORDER)], output_field=IntegerField()
)


def returned_rows(batch: Batch, companies: Iterable[int] | None = None) -> QuerySet[BatchRow]:
    """The batch's returned rows (current generation), in workbook order; optionally only these companies'."""
    rows = batch.rows.filter(generation=batch.generation, returned_at__isnull=False)
    if companies is not None:
        rows = rows.filter(company_id__in=list(companies))
    return rows.select_related("customer", "company", "return_file").order_by(_SHEET_POSITION, "position")
