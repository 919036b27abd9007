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
from collections.abc import Iterable

from django.db import connection

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


def _rated_rows(run_id: int, day: datetime.date, first_id: int, last_id: int) -> Iterable[tuple]:
    sql, params = facts_query(day, first_id, last_id, ordered=False)
    memo: dict[tuple, tuple[str, str]] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # compiling the aggregates costs more than it saves per chunk
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            for row in rows:
                level, criteria = rate_row(day, row[1:], memo)
                yield (run_id, row[0], level, criteria)


def rate_range_into(run_id: int, day: datetime.date, first_id: int, last_id: int) -> int:
    """Write a RatingResult for every customer rated as of `day` with first_id <= id <= last_id; returns how many."""
    table = RatingResult._meta.db_table
    columns = "run_id, customer_id, level, criteria"
    # Materialised before writing: one connection cannot fetch from its cursor while a COPY is open.
    rows = list(_rated_rows(run_id, day, first_id, last_id))
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        batch: list = []
        for row in rows:
            batch.append(row)
            if len(batch) == INSERT_ROWS:
                written += _insert(cursor, table, columns, batch)
                batch = []
        if batch:
            written += _insert(cursor, table, columns, batch)
    return written


def _insert(cursor, table: str, columns: str, batch: list) -> int:
    values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
    cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", [v for row in batch for v in row])
    return len(batch)
