"""Rating a range of customers set-based: the facts stay in the database, Python rates each distinct set of facts once.

For one id range and date `D`:

1. the facts query (`ratings.facts.facts_query`) fills a temporary table, one row per rated customer;
2. its distinct fact rows are read and each is rated by `ratings.rules.rate` (customers with the
   same facts get the same rating, so Python's work grows with the number of different fact
   combinations, a few thousand, not with the number of customers);
3. those ratings go into a second temporary table, and one `INSERT … SELECT … JOIN` writes a
   result per customer.

The caller owns the transaction (see `ratings.runs.rate_chunk`). Works on PostgreSQL and SQLite.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

from django.db import connection

from .facts import FACT_COLUMNS, facts_from_row, facts_query
from .models import RatingResult
from .rules import rate

FACTS_TABLE = "tmp_rating_facts"
MAP_TABLE = "tmp_rating_map"
_NO_DATE = "'0001-01-01'"  # stands for "no overdue bill" when joining on O


@lru_cache(maxsize=100_000)
def rate_row(day: datetime.date, row: tuple) -> tuple[str, str]:
    """(level, "R1;R3") for one facts-query row (without customer_id); cached across chunks of a run."""
    rating = rate(facts_from_row(row), day)
    return rating.level, ";".join(rating.criteria)


def _join_condition() -> str:
    parts = []
    for column in FACT_COLUMNS:
        if column == "oldest_overdue_due_on":
            parts.append(f"COALESCE(f.{column}, {_NO_DATE}) = COALESCE(m.{column}, {_NO_DATE})")
        else:
            parts.append(f"f.{column} = m.{column}")
    return " AND ".join(parts)


def rate_range_into(run_id: int, day: datetime.date, first_id: int, last_id: int) -> int:
    """Write a RatingResult for every customer rated as of `day` with first_id <= id <= last_id; returns how many.

    The range must hold no results of this run yet (the caller deletes them first).
    """
    columns = ", ".join(FACT_COLUMNS)
    sql, params = facts_query(day, first_id, last_id)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for table in (FACTS_TABLE, MAP_TABLE):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FACTS_TABLE} AS {sql}", params)
        cursor.execute(f"SELECT DISTINCT {columns} FROM {FACTS_TABLE}")
        combos = cursor.fetchall()
        cursor.execute(
            f"CREATE TEMPORARY TABLE {MAP_TABLE} AS SELECT {columns}, CAST(NULL AS varchar(8)) AS level, "
            f"CAST(NULL AS varchar(64)) AS criteria FROM {FACTS_TABLE} WHERE 1 = 0"
        )
        placeholders = ", ".join(["%s"] * (len(FACT_COLUMNS) + 2))
        cursor.executemany(
            f"INSERT INTO {MAP_TABLE} ({columns}, level, criteria) VALUES ({placeholders})",
            [(*combo, *rate_row(day, tuple(combo))) for combo in combos],
        )
        if postgres:
            cursor.execute(f"ANALYZE {FACTS_TABLE}")
            cursor.execute(f"ANALYZE {MAP_TABLE}")
        cursor.execute(
            f"INSERT INTO {RatingResult._meta.db_table} (run_id, customer_id, level, criteria) "
            f"SELECT %s, f.customer_id, m.level, m.criteria FROM {FACTS_TABLE} f JOIN {MAP_TABLE} m "
            f"ON {_join_condition()}",
            [run_id],
        )
        written = cursor.rowcount
        for table in (FACTS_TABLE, MAP_TABLE):
            cursor.execute(f"DROP TABLE {table}")
    return written
