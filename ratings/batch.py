"""Rating a range of customers set-based: one facts query streamed, each distinct set of facts rated once, results copied in.

For one id range and date `D`: the facts query (`ratings.facts.facts_query`) is read with a
server-side cursor; each row's facts are rated by `ratings.rules.rate`, memoised on the row's
values (customers with the same facts get the same rating, so the rules run a few thousand
times per million customers, not a million); the results are written with COPY on
PostgreSQL (a multi-row INSERT elsewhere), never as ORM objects.

The caller owns the transaction and has deleted the range's old results (`ratings.runs.rate_chunk`).
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction

from .facts import facts_from_row, facts_query
from .models import RatingResult
from .rules import rate

FETCH_ROWS = 10_000
INSERT_ROWS = 500


def rate_row(day: datetime.date, row: tuple, memo: dict) -> tuple[str, str]:
    """(level, "R1;R3") for one facts-query row without its customer_id, memoised in `memo`."""
    found = memo.get(row)
    if found is None:
        rating = rate(facts_from_row(row), day)
        found = memo[row] = (rating.level, ";".join(rating.criteria))
    return found


def rated_rows(run_id: int, day: datetime.date, first_id: int, last_id: int) -> list[tuple]:
    """(run_id, customer_id, level, criteria) for every customer rated as of `day` in the id range.

    Runs the facts query in a transaction of its own (or the caller's) and streams it; rows are
    materialised because one connection cannot fetch from a cursor while a COPY is open.
    """
    sql, params = facts_query(day, first_id, last_id, ordered=False)
    memo: dict[tuple, tuple[str, str]] = {}
    out: list[tuple] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Compiling the aggregates costs more than it saves per chunk, and the default 4 MB
                # sends the chunk's sort/aggregate of ~600,000 bills to disk.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH_ROWS):
                for row in rows:
                    level, criteria = rate_row(day, row[1:], memo)
                    out.append((run_id, row[0], level, criteria))
    return out


def write_rows(rows: list[tuple]) -> int:
    """Insert (run_id, customer_id, level, criteria) rows: COPY on PostgreSQL, multi-row INSERTs elsewhere."""
    table = RatingResult._meta.db_table
    columns = "run_id, customer_id, level, criteria"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        for start in range(0, len(rows), INSERT_ROWS):
            _insert(cursor, table, columns, rows[start : start + INSERT_ROWS])
    return len(rows)


def rate_range_into(run_id: int, day: datetime.date, first_id: int, last_id: int) -> int:
    """Write a RatingResult for every customer rated as of `day` with first_id <= id <= last_id; returns how many."""
    return write_rows(rated_rows(run_id, day, first_id, last_id))


def _insert(cursor, table: str, columns: str, batch: list) -> int:
    values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
    cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", [v for row in batch for v in row])
    return len(batch)
