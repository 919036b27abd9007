"""The import engine shared by every kind: header, per-row validation, staging, checks,
set-based writes with audit entries, all in one transaction.

Flow: read the header and map it to the kind's columns; stream the rows, validating each
in Python and loading the valid ones into a temporary staging table (COPY on
PostgreSQL; bills are staged as text and checked by column in SQL instead, see
sqlcheck, with only the rows SQL does not vouch for validated here); check in SQL what needs the database (keys repeated in the file, unknown
accounts, events before the account was opened, company scope); when anything is wrong,
roll back and return every error; otherwise write audit entries and records set-based.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import AuditEntry, Company, Event, company_ids_for
from ..signals import events_changed
from ..validation import FieldError
from . import sqlcheck
from .dialects import STAGE, TODO, Dialect, dialect_for
from .reader import ImportFileError, cell_text, detect_format, iter_rows
from .specs import SPECS, Column, Context, KindSpec

logger = logging.getLogger(__name__)

KINDS = tuple(SPECS)
PARSE_CACHE_SIZE = 4096
TODO_COLUMNS = [("row_no", "integer NOT NULL"), ("target_id", "bigint"), ("customer_id", "bigint")]
AUDIT_TABLE = AuditEntry._meta.db_table
EXTRA_CELL_ORDER = 1000  # sorts errors in cells beyond the header after the known columns
# NUL and the other C0/C1 control characters; tab, line feed and carriage return are text
# (free-text columns keep them; the other columns' formats refuse them anyway).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, order=True, slots=True)
class RowError:
    """One invalid cell: `row N, column NAME: reason`; N counts the header as row 1."""

    row: int
    order: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"{self.kind}: {self.created} created, {self.updated} updated, {self.unchanged} unchanged"


Progress = Callable[..., None]
PROGRESS_EVERY = 1000  # rows between two progress reports while reading


def _no_progress(phase: str, **counts: int) -> None:
    pass


@dataclass
class Layout:
    """Where each of the kind's columns is in the file, and how the file names it."""

    columns: list[tuple[int, Column, Callable]]  # (position, column, parser)
    names: dict[str, str]  # column name -> header text (or the display name when absent)
    orders: dict[str, int]
    absent: dict[str, object]  # optional columns not in the file -> their empty value
    width: int


def run_import(
    kind: str,
    path: str,
    *,
    user=None,
    fmt: str | None = None,
    filename: str | None = None,
    progress: Progress | None = None,
    job_id: int | None = None,
) -> ImportResult:
    """Import `path` as `kind`, all or nothing; see data-contract.md "Imports".

    `user` limits the companies whose records may be written (None: all, as on the
    command line). Raises ImportFileError when the file itself cannot be read; row and
    header problems are returned in `ImportResult.errors`, and then nothing is written.
    `progress(phase, read=, checked=, errors=, written=, force=)` is told how far the run is,
    every PROGRESS_EVERY rows and at each phase (`force`); the import job throttles it and
    writes it where the job's page can see it.
    `job_id`: the import's ImportJob. Created records then carry it (`import_job`) as their audit
    trail — the job is who, when and which file — instead of one "create" audit entry each;
    without it (direct calls) every created record gets its entry as before. Updates always get
    their before/after entries.
    """
    spec = SPECS.get(kind)
    if spec is None:
        raise ImportFileError(_("未知的导入类型 %(kind)s，应为 %(kinds)s") % {"kind": kind, "kinds": " / ".join(KINDS)})
    fmt = detect_format(path, fmt)
    rows = iter_rows(path, fmt)
    ctx = Context(
        today=timezone.localdate(),
        company_ids=dict(Company.objects.values_list("code", "id")),
        allowed_company_ids=_allowed_companies(user),
    )
    note = _("导入文件 %(name)s") % {"name": filename or os.path.basename(path)}
    with contextlib.closing(rows), _timed("total, with commit"), transaction.atomic():
        run = _Run(spec, ctx, dialect_for(connection), note, progress or _no_progress)
        run.job_id = job_id
        run.path, run.fmt = path, fmt
        result = run.execute(rows)
        if not result.ok:
            transaction.set_rollback(True)
    return result


def _allowed_companies(user) -> list[int] | None:
    if user is None or user.is_superuser:
        return None
    return company_ids_for(user)


def read_header(spec: KindSpec, cells: list) -> tuple[Layout | None, list[RowError]]:
    """Map header cells to the kind's columns (English or Chinese names)."""
    by_name: dict[str, tuple[int, Column]] = {}
    for order, col in enumerate(spec.columns):
        by_name[col.name.lower()] = (order, col)
        by_name[col.zh] = (order, col)
    errors: list[RowError] = []
    found: list[tuple[int, int, Column, str]] = []
    seen: dict[str, str] = {}
    chinese = 0
    for pos, raw in enumerate(cells):
        text = cell_text(raw).lstrip("\ufeff").strip()
        if not text:
            continue
        hit = by_name.get(text) or by_name.get(text.lower())
        if hit is None:
            errors.append(RowError(1, EXTRA_CELL_ORDER + pos, text, _("未知的列")))
            continue
        order, col = hit
        if col.name in seen:
            errors.append(RowError(1, order, text, _("与“%(other)s”重复") % {"other": seen[col.name]}))
            continue
        seen[col.name] = text
        chinese += text == col.zh
        found.append((pos, order, col, text))
    use_chinese = chinese * 2 > len(found)
    names = {col.name: (col.zh if use_chinese else col.name) for col in spec.columns}
    names.update(seen)
    for order, col in enumerate(spec.columns):
        if col.required and col.name not in seen:
            errors.append(RowError(1, order, names[col.name], _("缺少必填列")))
    if not found and not errors:
        errors.append(RowError(1, 0, names[spec.columns[0].name], _("缺少表头")))
    if errors:
        return None, sorted(errors)
    layout = Layout(
        columns=[(pos, col, _memoized(col.parse) if col.repeats else col.parse) for pos, _order, col, _text in found],
        names=names,
        orders={col.name: order for order, col in enumerate(spec.columns)},
        absent={col.name: col.empty for col in spec.columns if col.name not in seen},
        width=len(cells),
    )
    return layout, []


def _memoized(parse: Callable) -> Callable:
    """`parse` remembering its results for a few thousand distinct texts (errors are not kept)."""
    cache: dict[str, object] = {}

    def cached(text: str, ctx: Context):
        try:
            return cache[text]
        except KeyError:
            pass
        value = parse(text, ctx)
        if len(cache) >= PARSE_CACHE_SIZE:
            cache.clear()
        cache[text] = value
        return value

    return cached


@contextlib.contextmanager
def _timed(label: str, level: int = logging.INFO) -> Iterator[None]:
    start = time.perf_counter()
    yield
    logger.log(level, "import %s: %.2f s", label, time.perf_counter() - start)


def _has_control(cells: list) -> bool:
    """Whether any text cell of the row holds a control character: one search per row."""
    try:
        joined = "".join(cells)
    except TypeError:  # typed spreadsheet cells
        joined = "".join([c for c in cells if c.__class__ is str])
    return CONTROL_RE.search(joined) is not None


def _control_reason(char: str) -> str:
    return _("含有不可见的控制字符 U+%(code)04X，请删除后再导入") % {"code": ord(char)}


def _is_blank(cells: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


class _Run:
    """One import run inside the caller's transaction."""

    def __init__(self, spec: KindSpec, ctx: Context, dialect: Dialect, note: str, progress: Progress) -> None:
        self.progress = progress
        self.read = 0
        self.job_id: int | None = None
        self.spec = spec
        self.ctx = ctx
        self.dialect = dialect
        self.note = note
        self.errors: list[RowError] = []
        self.staged = 0
        self.layout: Layout | None = None
        self.path: str | None = None  # the file, for staging it with COPY as it is (sqlcheck)
        self.fmt: str | None = None

    def execute(self, rows: Iterator[list]) -> ImportResult:
        result = ImportResult(self.spec.kind)
        header = next(rows, None)
        if header is None:
            raise ImportFileError(_("文件是空的，没有表头"))
        self.layout, header_errors = read_header(self.spec, header)
        if header_errors:
            result.errors = header_errors
            return result
        with connection.cursor() as cursor:
            self.dialect.setup(cursor)
            stage_columns = [("row_no", "integer NOT NULL"), *((c.name, c.sql_type) for c in self.spec.stage)]
            self.dialect.create_temp(cursor, STAGE, stage_columns)
            with _timed("validate and stage"):
                if self.dialect.vendor == "postgresql" and sqlcheck.eligible(self.spec):
                    self._load_checked_in_sql(cursor, rows)
                else:
                    self._load(cursor, rows)
            self.progress("checking", read=self.read, checked=self.staged, errors=len(self.errors), force=True)
            with _timed("checks"):
                self.dialect.analyze(cursor, STAGE)
                self._check_in_sql(cursor)
            if self.errors:
                result.errors = sorted(self.errors)
                return result
            self.progress("writing", read=self.read, checked=self.staged, errors=0, written=0, force=True)
            with _timed("writes"):
                result.created, result.updated = self._write(cursor)
            self.dialect.drop_temp(cursor, STAGE, TODO)
        result.unchanged = self.staged - result.created - result.updated
        return result

    # --- validation and staging ---------------------------------------------------

    def _load(self, cursor, rows: Iterable[list]) -> None:
        names = ["row_no", *(c.name for c in self.spec.stage)]
        progress = self.progress
        progress("reading", read=0, checked=0, errors=0, force=True)
        row_no = 1
        with self.dialect.loader(cursor, names) as add:
            for row_no, cells in enumerate(rows, start=2):
                staged = self._validate(row_no, cells)
                if staged is not None:
                    add((row_no, *staged))
                    self.staged += 1
                if not (row_no - 1) % PROGRESS_EVERY:
                    progress("reading", read=row_no - 1, checked=self.staged, errors=len(self.errors))
        self.read = row_no - 1

    def _load_checked_in_sql(self, cursor, rows: Iterator[list]) -> None:
        """Stage the file as text and check it by column in SQL (sqlcheck); only the rows SQL
        does not vouch for are validated here, row by row, with `_validate` as in `_load`."""
        layout = self.layout
        progress = self.progress
        progress("reading", read=0, checked=0, errors=0, force=True)
        read = None
        if self.fmt == "csv" and self.path:
            with _timed("stage as text (COPY)"):
                read = sqlcheck.copy_csv_as_is(cursor, self.path, layout.width)
        if read is None:
            periods = {pos for pos, col, _parse in layout.columns if col.period}
            feeder = sqlcheck.RawFeeder(cursor, layout.width, periods, self._validate_now)
            with _timed("stage as text (rows)"):
                read = feeder.load(rows, lambda n: progress("reading", read=n, checked=0, errors=len(self.errors)))
        self.read = read
        progress("reading", read=read, checked=0, errors=len(self.errors), force=True)
        with _timed("check by column"):
            self.staged = sqlcheck.stage_checked(cursor, self.spec, layout, self._cell_value)
        if self.staged < read:
            with _timed("check flagged rows"):
                self._validate_flagged(cursor)
        sqlcheck.drop(cursor)

    def _validate_flagged(self, cursor) -> None:
        names = ["row_no", *(c.name for c in self.spec.stage)]
        batch: list[tuple] = []

        def flush() -> None:
            with self.dialect.loader(cursor, names) as add:
                for staged in batch:
                    add(staged)
            self.staged += len(batch)
            batch.clear()

        for row_no, bad, cells in sqlcheck.flagged_rows(cursor, self.layout.width):
            if bad:
                continue  # validated when read (cells beyond the header)
            staged = self._validate(row_no, cells)
            if staged is not None:
                batch.append((row_no, *staged))
                if len(batch) >= sqlcheck.FLAGGED_BATCH:
                    flush()
        if batch:
            flush()

    def _validate_now(self, row_no: int, cells: list) -> bool:
        """A row that cannot be staged as text (a NUL, or longer than the header): validated at
        once; False when it can be after all (the cells beyond the header are empty)."""
        width = self.layout.width
        nul = "\x00" in "".join(c for c in cells if c.__class__ is str)
        if len(cells) > width and not nul and not any(cell_text(c) for c in cells[width:]):
            return False
        self._validate(row_no, cells)
        return True

    def _cell_value(self, col: Column, parse: Callable, text: str) -> tuple[bool, object]:
        """(valid, value) of one cell's text, as `_validate` judges it (no error message)."""
        if CONTROL_RE.search(text):
            return False, None
        text = text.strip()
        if not text:
            return not col.required, col.empty
        try:
            return True, parse(text, self.ctx)
        except FieldError:
            return False, None

    def _validate(self, row_no: int, cells: list) -> tuple | None:
        """The staging tuple for a valid row; records the errors of an invalid one."""
        layout = self.layout
        ctx = self.ctx
        values = dict(layout.absent)
        failed: set[str] = set()
        errors: list[tuple[str, str]] = []
        size = len(cells)
        control = _has_control(cells)
        for pos, col, parse in layout.columns:
            raw = cells[pos] if pos < size else None
            if control and raw.__class__ is str and (m := CONTROL_RE.search(raw)):
                failed.add(col.name)
                errors.append((col.name, _control_reason(m.group())))
                continue
            text = raw.strip() if raw.__class__ is str else cell_text(raw, period=col.period)
            if not text:
                if col.required:
                    failed.add(col.name)
                    errors.append((col.name, _("不能为空")))
                else:
                    values[col.name] = col.empty
                continue
            try:
                values[col.name] = parse(text, ctx)
            except FieldError as e:
                failed.add(col.name)
                errors.append((col.name, str(e)))
        if errors and _is_blank(cells):
            return None  # an empty line: ignored
        staged, more = self.spec.build(values, failed, ctx)
        errors.extend(more)
        if size > layout.width:
            self._extra_cells(row_no, cells)
        if errors:
            self.errors.extend(
                RowError(row_no, layout.orders[name], layout.names[name], reason) for name, reason in errors
            )
            return None
        return staged

    def _extra_cells(self, row_no: int, cells: list) -> None:
        for pos in range(self.layout.width, len(cells)):
            if cell_text(cells[pos]):
                column = _("第 %(n)d 列") % {"n": pos + 1}
                self.errors.append(RowError(row_no, EXTRA_CELL_ORDER + pos, column, _("表头中没有这一列")))

    # --- checks that need the database --------------------------------------------

    def _add_sql_errors(self, cursor, column: str, sql: str, reason) -> None:
        """Run `sql` (first column: row_no) and record `reason(row)` on `column` for each row."""
        cursor.execute(sql.format(stage=STAGE))
        name, order = self.layout.names[column], self.layout.orders[column]
        for row in _fetch_iter(cursor):
            self.errors.append(RowError(row[0], order, name, reason(row)))

    def _scope(self, alias: str) -> str:
        """SQL condition: the customer `alias` belongs to a company the importer may write."""
        allowed = self.ctx.allowed_company_ids
        if allowed is None:
            return "1 = 1"
        if not allowed:
            return "1 = 0"
        return f"{alias}.company_id IN ({', '.join(str(int(i)) for i in allowed)})"

    def _check_in_sql(self, cursor) -> None:
        spec = self.spec
        keys = spec.key
        on = " AND ".join(f"s.{k} = d.{k}" for k in keys)
        self._add_sql_errors(
            cursor,
            spec.duplicate_column,
            f"""SELECT s.row_no, d.first_row FROM {{stage}} s
                JOIN (SELECT {", ".join(keys)}, MIN(row_no) AS first_row FROM {{stage}}
                      GROUP BY {", ".join(keys)} HAVING COUNT(*) > 1) d ON {on}
                WHERE s.row_no > d.first_row""",
            lambda r: _("与第 %(row)d 行重复") % {"row": r[1]},
        )
        if spec.kind == "customers":
            if self.ctx.allowed_company_ids is not None:
                self._add_sql_errors(
                    cursor,
                    "account_no",
                    f"""SELECT s.row_no FROM {{stage}} s JOIN customers_customer t ON t.account_no = s.account_no
                        WHERE NOT ({self._scope("t")})""",
                    # Said as every page says it: nothing tells a clerk that another company has this account.
                    lambda r: _("户号不存在"),
                )
            return
        self._add_sql_errors(
            cursor,
            "account_no",
            f"""SELECT s.row_no FROM {{stage}} s
                LEFT JOIN customers_customer c ON c.account_no = s.account_no AND {self._scope("c")}
                WHERE c.id IS NULL""",
            lambda r: _("户号不存在"),
        )
        if spec.kind == "events":
            self._add_sql_errors(
                cursor,
                "occurred_on",
                f"""SELECT s.row_no, c.opened_on FROM {{stage}} s
                    JOIN customers_customer c ON c.account_no = s.account_no AND {self._scope("c")}
                    WHERE s.occurred_on < c.opened_on""",
                lambda r: _("不能早于立户日期（%(opened)s）") % {"opened": str(r[1])[:10]},
            )
            if self.ctx.allowed_company_ids is not None:
                self._add_sql_errors(
                    cursor,
                    "ref",
                    f"""SELECT s.row_no FROM {{stage}} s JOIN customers_event t ON t.ref = s.ref
                        JOIN customers_customer o ON o.id = t.customer_id
                        WHERE NOT ({self._scope("o")})""",
                    lambda r: _("单据编号不可用，请换一个编号"),
                )

    # --- writes -----------------------------------------------------------------

    def _write(self, cursor) -> tuple[int, int]:
        """Audit entries and records, set-based; returns (created, updated).

        One pass over staging lists the rows to create or change in a second temporary
        table (usually small on a re-import); every write then reads only those rows.
        """
        spec = self.spec
        actor = audit.current_actor()
        params = {
            "now": connection.ops.adapt_datetimefield_value(timezone.now()),
            "user_id": actor.user_id,
            "actor": actor.label,
            "model": spec.model,
            "note": self.note,
            "job_id": self.job_id,
        }
        sql = WriteSQL(spec, self.dialect)
        self.dialect.create_temp(cursor, TODO, TODO_COLUMNS)
        cursor.execute(sql.classify())
        cursor.execute(f"SELECT COUNT(*), COUNT(target_id) FROM {TODO}")
        todo, existing = cursor.fetchone()
        if not todo:
            return 0, 0
        self.dialect.analyze(cursor, TODO)
        with _timed("write audit of updates"):
            cursor.execute(sql.audit_updates(), params)
        with _timed("write updates"):
            cursor.execute(sql.update(), params)
            updated = cursor.rowcount
        self.progress("writing", read=self.read, checked=self.staged, errors=0, written=updated, force=True)
        audit_creates = self.job_id is None  # else the records' import_job is their trail
        if audit_creates and not spec.audit_create_after_insert:
            with _timed("write audit of creates"):
                cursor.execute(sql.audit_creates_before_insert(), params)
        with _timed("write inserts"):
            cursor.execute(sql.insert(), params)
            created = cursor.rowcount
        self.progress("writing", read=self.read, checked=self.staged, errors=0, written=updated + created, force=True)
        if audit_creates and spec.audit_create_after_insert:
            with _timed("write audit of creates"):
                cursor.execute(sql.audit_creates_after_insert(), params)
        if (created, updated) != (todo - existing, existing):
            raise RuntimeError(
                f"wrote {created} new and {updated} changed rows, expected {todo - existing} and {existing}"
            )
        if spec.kind == "events":
            # Inside the import's transaction: a receiver that fails rolls the import back.
            cursor.execute(f"SELECT DISTINCT customer_id FROM {TODO}")
            events_changed.send(sender=Event, customer_ids=[row[0] for row in cursor.fetchall()])
        return created, updated


def _fetch_iter(cursor, size: int = 10000) -> Iterator[tuple]:
    while rows := cursor.fetchmany(size):
        yield from rows


class WriteSQL:
    """The write statements of a kind, built from its spec (one code path for every vendor).

    `classify` fills the to-do table `d` (row_no, target_id: the existing record or NULL,
    customer_id); the other statements read `d` joined to staging `s` (and customer `c`).
    """

    def __init__(self, spec: KindSpec, dialect: Dialect) -> None:
        self.spec = spec
        self.dialect = dialect
        self.changed = " OR ".join(f"t.{col} IS DISTINCT FROM {expr}" for col, expr in spec.compare)
        self.todo = f"{TODO} d JOIN {STAGE} s ON s.row_no = d.row_no"
        if spec.has_customer:
            self.todo += " JOIN customers_customer c ON c.id = d.customer_id"

    def classify(self) -> str:
        """The staged rows that are new or differ from their record."""
        customer = "c.id" if self.spec.has_customer else "NULL"
        return (
            f"INSERT INTO {TODO} (row_no, target_id, customer_id)"
            f" SELECT s.row_no, t.id, {customer} FROM {self.spec.source.format(stage=STAGE)}"
            f" LEFT JOIN {self.spec.table} t ON {self.spec.match}"
            f" WHERE t.id IS NULL OR {self.changed}"
        )

    def _json(self, side: str) -> str:
        pairs = []
        for f in self.spec.audit:
            expr = f.staged if side == "staged" else "t." + f.target
            if f.kind == "money":
                expr = self.dialect.money_text(expr)
            elif f.kind == "bool":
                expr = self.dialect.bool_json(expr)
            elif f.kind == "phone":
                expr = self.dialect.mask_phone(expr)
            pairs.append((f.key, expr))
        return self.dialect.json_object(pairs)

    def _audit_insert(self, action: str, before: str) -> str:
        return f"""INSERT INTO {AUDIT_TABLE}
                     (at, user_id, actor, action, model, object_id, customer_id, before, after, note)
                   SELECT %(now)s, %(user_id)s, %(actor)s, '{action}', %(model)s, {self.spec.object_id},
                          {self.spec.customer_id}, {before}, {self._json("staged")}, %(note)s"""

    def audit_updates(self) -> str:
        """One "update" entry per record the file changes, written before the update (old values)."""
        return (
            self._audit_insert(AuditEntry.UPDATE, self._json("target"))
            + f" FROM {self.todo} JOIN {self.spec.table} t ON t.id = d.target_id"
        )

    def update(self) -> str:
        sets = [f"{col} = {expr}" for col, expr in (*self.spec.compare, *self.spec.extra_updates)]
        return f"UPDATE {self.spec.table} AS t SET {', '.join(sets)} FROM {self.todo} WHERE t.id = d.target_id"

    def insert(self) -> str:
        insert = (*self.spec.insert, ("import_job_id", "%(job_id)s"))
        cols = ", ".join(col for col, _expr in insert)
        exprs = ", ".join(expr for _col, expr in insert)
        return f"INSERT INTO {self.spec.table} ({cols}) SELECT {exprs} FROM {self.todo} WHERE d.target_id IS NULL"

    def audit_creates_before_insert(self) -> str:
        return self._audit_insert(AuditEntry.CREATE, "NULL") + f" FROM {self.todo} WHERE d.target_id IS NULL"

    def audit_creates_after_insert(self) -> str:
        """For records whose new id is the audit entry's customer (customers)."""
        return (
            self._audit_insert(AuditEntry.CREATE, "NULL")
            + f" FROM {self.todo} JOIN {self.spec.table} t ON {self.spec.match} WHERE d.target_id IS NULL"
        )
