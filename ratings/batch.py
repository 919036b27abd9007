"""Rating a range of customers set-based: one facts query streamed, each distinct set of facts rated once, results copied in.

For one id range and date `D`: the facts query (`ratings.facts.facts_query`) is read with a
server-side cursor; each row's facts are rated by `ratings.rules.rate`, memoised on the row's
values (customers with the same facts get the same rating, so the rules run a few thousand
times per million customers, not a million); the results are written with COPY on
PostgreSQL (a multi-row INSERT elsewhere), never as ORM objects.

On PostgreSQL the facts travel packed: the query's rows are wrapped so each comes as
(customer id, company id, "1,2026-03-31,0,…") — the facts columns joined in one text, which
is the memo key and is parsed back into Facts only for the few thousand distinct ones.
Fetching three columns instead of twenty-eight saves about 2 s of a million-customer run.

The caller owns the transaction and has deleted the range's old results (`ratings.runs.rate_chunk`).
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction

from .facts import FACT_COLUMNS, facts_from_row, facts_query
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


class Rated(list):
    """(run_id, customer_id, level, criteria) rows of a range, with `counts`: (company id, level) → n."""

    counts: dict[tuple[int, str], int]


def _packed(sql: str) -> str:
    """Wrap a facts query (with company) so each row is (customer_id, company_id, the facts as one text)."""
    parts = ["prepaid", "COALESCE(oldest_overdue_due_on::text, '')", *FACT_COLUMNS[2:]]
    return f"SELECT customer_id, company_id, concat_ws(',', {', '.join(parts)}) FROM ({sql}) f"


def _unpack(key: str) -> tuple:
    """The facts-query values (without customer_id) of a packed row's text."""
    prepaid, oldest, *counts = key.split(",")
    return (int(prepaid), oldest or None, *counts)


def rated_rows(run_id: int, day: datetime.date, first_id: int, last_id: int) -> Rated:
    """(run_id, customer_id, level, criteria) for every customer rated as of `day` in the id range,
    with their counts per company and level (for the run's summary, `ratings.summary`).

    Runs the facts query in a transaction of its own (or the caller's) and streams it; rows are
    materialised because one connection cannot fetch from a cursor while a COPY is open.
    """
    sql, params = facts_query(day, first_id, last_id, ordered=False, with_company=True)
    postgres = connection.vendor == "postgresql"
    memo: dict = {}
    out = Rated()
    counts: dict[tuple[int, str], int] = {}
    append = out.append
    with transaction.atomic():
        if postgres:
            sql = _packed(sql)
            with connection.cursor() as cursor:
                # Compiling the aggregates costs more than it saves per chunk, and the default 4 MB
                # sends the chunk's sort/aggregate of ~600,000 bills to disk.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH_ROWS):
                for row in rows:
                    if postgres:
                        customer_id, company_id, key = row
                        found = memo.get(key)
                        if found is None:
                            found = memo[key] = rate_row(day, _unpack(key), {})
                    else:
                        customer_id, company_id = row[0], row[-1]
                        found = rate_row(day, row[1:-1], memo)
                    level, criteria = found
                    append((run_id, customer_id, level, criteria))
                    counts[company_id, level] = counts.get((company_id, level), 0) + 1
    out.counts = counts
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


def _insert(cursor, table: str, columns: str, batch: list) -> int:
    values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
    cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", [v for row in batch for v in row])
    return len(batch)
