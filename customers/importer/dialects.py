"""The few places where PostgreSQL and SQLite differ: staging-table load, JSON building,
phone masking in SQL, and locking. Everything else in the importer is one SQL code path.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import re
from collections.abc import Callable, Iterator, Sequence

from django.db import DatabaseError, transaction

from ..audit import mask_phone

STAGE = "import_stage"  # the file's valid rows
TODO = "import_todo"  # the staged rows to create or change
SQLITE_CHUNK = 5000
COPY_BATCH = 5000
TEMP_BUFFERS = "256MB"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}

# Same rule as audit.mask_phone: keep the first three and last four digits, star the
# digits between; seven digits or fewer: star every character.
_PG_MASK_PHONE = r"""
CREATE OR REPLACE FUNCTION pg_temp.import_mask_phone(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  n integer;
  seen integer := 0;
  ch text;
  result text := '';
BEGIN
  IF p IS NULL OR p = '' THEN
    RETURN p;
  END IF;
  n := length(regexp_replace(p, '[^0-9]', '', 'g'));
  IF n <= 7 THEN
    RETURN repeat('*', length(p));
  END IF;
  FOREACH ch IN ARRAY regexp_split_to_array(p, '') LOOP
    IF ch ~ '^[0-9]$' THEN
      seen := seen + 1;
      result := result || CASE WHEN seen <= 3 OR seen > n - 4 THEN ch ELSE '*' END;
    ELSE
      result := result || ch;
    END IF;
  END LOOP;
  RETURN result;
END
$fn$
"""


class Dialect:
    """SQL pieces that differ by database vendor."""

    vendor = ""

    def __init__(self, connection) -> None:
        self.connection = connection

    def setup(self, cursor) -> None:
        """Per-run session setup: SQL helpers and locks."""

    def create_temp(self, cursor, name: str, columns: Sequence[tuple[str, str]]) -> None:
        """A fresh temporary table, gone at the end of the transaction or the next run."""
        raise NotImplementedError

    def loader(self, cursor, names: Sequence[str]) -> contextlib.AbstractContextManager[Callable[[tuple], None]]:
        raise NotImplementedError

    def analyze(self, cursor, name: str) -> None:
        """Give the planner a temporary table's size (they are not auto-analyzed)."""

    def drop_temp(self, cursor, *names: str) -> None:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")

    def json_object(self, pairs: Sequence[tuple[str, str]]) -> str:
        raise NotImplementedError

    def money_text(self, expr: str) -> str:
        raise NotImplementedError

    def bool_json(self, expr: str) -> str:
        raise NotImplementedError

    def mask_phone(self, expr: str) -> str:
        raise NotImplementedError


def _columns_sql(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {sql_type}" for name, sql_type in columns)


def _json_args(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"'{key}', {expr}" for key, expr in pairs)


def _copy_text(value) -> str:
    """One value in COPY's text format: \\N for NULL, t/f, ISO dates, escaped text."""
    if value is None:
        return "\\N"
    if value.__class__ is str:
        if _COPY_SPECIAL.search(value):
            return _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group()], value)
        return value
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)  # int, Decimal, date (ISO)


class PostgresDialect(Dialect):
    vendor = "postgresql"

    def setup(self, cursor) -> None:
        # One import at a time: bills and events depend on the customers being imported.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('customers.import_records'))")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # The staging tables of a million rows fit in memory (the default 8 MB spills them to
        # disk, which doubles the cost of staging). PostgreSQL allows this only before the
        # session's first temporary table, or with the same value: else keep the default.
        with contextlib.suppress(DatabaseError), transaction.atomic(using=self.connection.alias):
            cursor.execute(f"SET LOCAL temp_buffers = '{TEMP_BUFFERS}'")
        cursor.execute(_PG_MASK_PHONE)

    def create_temp(self, cursor, name, columns) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({_columns_sql(columns)}) ON COMMIT DROP")

    @contextlib.contextmanager
    def loader(self, cursor, names) -> Iterator[Callable[[tuple], None]]:
        """COPY in text format; rows are encoded here and sent in blocks of COPY_BATCH."""
        lines: list[str] = []

        def add(row: tuple) -> None:
            lines.append("\t".join([_copy_text(v) for v in row]))
            if len(lines) >= COPY_BATCH:
                flush()

        def flush() -> None:
            lines.append("")
            copy.write("\n".join(lines))
            lines.clear()

        with cursor.copy(f"COPY {STAGE} ({', '.join(names)}) FROM STDIN") as copy:
            yield add
            if lines:
                flush()

    def analyze(self, cursor, name) -> None:
        cursor.execute(f"ANALYZE {name}")

    def drop_temp(self, cursor, *names) -> None:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")

    def json_object(self, pairs) -> str:
        return f"jsonb_build_object({_json_args(pairs)})"

    def money_text(self, expr: str) -> str:
        return f"({expr})::text"

    def bool_json(self, expr: str) -> str:
        return expr

    def mask_phone(self, expr: str) -> str:
        return f"pg_temp.import_mask_phone({expr})"


def _sqlite_value(value):
    if isinstance(value, (datetime.date, decimal.Decimal)):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _sqlite_mask_phone(value):
    return mask_phone(value) if value else value


class SQLiteDialect(Dialect):
    vendor = "sqlite"

    def setup(self, cursor) -> None:
        self.connection.connection.create_function("import_mask_phone", 1, _sqlite_mask_phone, deterministic=True)

    def create_temp(self, cursor, name, columns) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({_columns_sql(columns)})")

    @contextlib.contextmanager
    def loader(self, cursor, names) -> Iterator[Callable[[tuple], None]]:
        sql = f"INSERT INTO {STAGE} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
        batch: list[tuple] = []

        def add(row: tuple) -> None:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= SQLITE_CHUNK:
                cursor.executemany(sql, batch)
                batch.clear()

        yield add
        if batch:
            cursor.executemany(sql, batch)

    def json_object(self, pairs) -> str:
        return f"json_object({_json_args(pairs)})"

    def money_text(self, expr: str) -> str:
        # Django's SQLite cursor turns %% into % when parameters are given (always, here).
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE printf('%%.2f', {expr}) END"

    def bool_json(self, expr: str) -> str:
        return f"json(CASE WHEN {expr} THEN 'true' ELSE 'false' END)"

    def mask_phone(self, expr: str) -> str:
        return f"import_mask_phone({expr})"


def dialect_for(connection) -> Dialect:
    if connection.vendor == "postgresql":
        return PostgresDialect(connection)
    if connection.vendor == "sqlite":
        return SQLiteDialect(connection)
    raise NotImplementedError(f"the importer does not support {connection.vendor}")
