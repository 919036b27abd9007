"""Pledge coverage per company, stored: no count over a million customers per page view.

Coverage (the dashboard, /pledges/coverage/) is, per company, the rateable customers — with a USCC
and opened on or before today — and those of them with a signed, unrevoked voluntary pledge.

On PostgreSQL the figures are kept in `CoverageCount` by statement-level triggers on the customers
and pledges tables (migration pledges 0005): every INSERT, UPDATE, DELETE or COPY adds one row per
company it changed, holding the difference (customers with a USCC, of them signed), computed from the
statement's transition tables. Triggers, not signals or service calls: customers and pledges are
written by the importer (set-based SQL and COPY), by services, by the admin and by the benchmarks'
loaders, and a trigger sees all of them, inside the writing transaction (a rollback takes its counts
with it). Rows are only ever inserted, so concurrent writers never wait on a counter row (an import
holding a company's counter until its commit would stall every clerk signing in that company).
The figures are the sums of a company's rows; `fold` (hourly on beat, and by the `recount_coverage`
command) sums them into one row per company.

What a date makes rateable: each row also holds an opening date, `opens_on`, for customers opening
less than a week before the write or later (NULL for all others), so the figures as of a day D are
the sums of the rows with no date or a date on or before D: one query over a few rows, whatever the
number of customers or companies. That is exact for any D from six days before the database's
today on (a customer opening after D always carries its date); an older D (only under time travel in
tests) is counted live. `fold` drops the dates older than a week.

Elsewhere (SQLite) the figures are counted live (`live_counts`), as before.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from customers.models import Company, Customer

from .models import SIGNED_STATES, CoverageCount, PledgeKind

_SIGNED = "p.kind = '{kind}' AND p.state IN ({states})".format(
    kind=PledgeKind.VOLUNTARY, states=", ".join(f"'{s}'" for s in SIGNED_STATES)
)


def _ids(companies: Iterable[Company | int]) -> list[int]:
    return [c.pk if isinstance(c, Company) else c for c in companies]


def stored() -> bool:
    return connection.vendor == "postgresql"


def live_counts(companies: Iterable[Company | int], today: datetime.date | None = None) -> dict[int, tuple[int, int]]:
    """Company id -> (rateable, signed), counted from the customers and pledges (a scan of each company)."""
    from .batches import signed_pledge_relation

    out = {}
    for company_id in _ids(companies):
        # pledges.batches.rateable_customers, as of `today`
        counts = (
            Customer.objects.filter(company_id=company_id, opened_on__lte=today or timezone.localdate())
            .exclude(uscc="")
            .annotate(signed_pledge=signed_pledge_relation())
            .aggregate(rateable=Count("pk"), signed=Count("signed_pledge"))
        )
        out[company_id] = (counts["rateable"], counts["signed"])
    return out


def coverage_counts(
    companies: Iterable[Company | int], today: datetime.date | None = None
) -> dict[int, tuple[int, int]]:
    """Company id -> (rateable, signed) as of `today`, from the stored rows (one query)."""
    ids = _ids(companies)
    today = today or timezone.localdate()
    if not stored():
        return live_counts(ids, today)
    out = {company_id: (0, 0) for company_id in ids}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT company_id, sum(customers), sum(signed), current_date FROM pledges_coveragecount "
            "WHERE company_id = ANY(%s) AND (opens_on IS NULL OR opens_on <= %s) GROUP BY company_id",
            [ids, today],
        )
        rows = cur.fetchall()
    if rows and today < rows[0][3] - datetime.timedelta(days=6):
        return live_counts(ids, today)  # a day the stored opening dates no longer tell apart
    for company_id, customers, signed, _ in rows:
        out[company_id] = (int(customers), int(signed))
    return out


def fold() -> int:
    """Sum each company's stored rows into one (the figures stay the same); returns how many rows there were."""
    if not stored():
        return 0
    table = CoverageCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [table])
        # Rows inserted meanwhile by other transactions are not in this statement's snapshot: they stay.
        cur.execute(
            f"WITH gone AS (DELETE FROM {table} RETURNING company_id, opens_on, customers, signed), "
            f"kept AS (INSERT INTO {table} (company_id, opens_on, customers, signed) "
            f"SELECT company_id, {_bucket('gone', 'opens_on')}, sum(customers), sum(signed) FROM gone GROUP BY 1, 2) "
            f"SELECT count(*) FROM gone"
        )
        return cur.fetchone()[0]


def _bucket(alias: str, column: str = "opened_on") -> str:
    """The stored opening date of a row: the date when less than a week ago or later, else NULL."""
    return f"CASE WHEN {alias}.{column} > current_date - 7 THEN {alias}.{column} END"


RECOUNT_SQL = f"""
INSERT INTO pledges_coveragecount (company_id, opens_on, customers, signed)
SELECT co.id, {_bucket("c")}, count(c.id), count(p.id)
FROM customers_company co
LEFT JOIN customers_customer c ON c.company_id = co.id AND c.uscc <> ''
LEFT JOIN pledges_pledge p ON p.customer_id = c.id AND {_SIGNED}
GROUP BY 1, 2
"""


def recount() -> None:
    """Count the stored figures again from the customers and pledges (the `recount_coverage` command).

    Writers of customers and pledges wait while it counts (the table is locked against their
    triggers' inserts), so nothing written meanwhile is counted twice or lost.
    """
    if not stored():
        return
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("LOCK TABLE pledges_coveragecount IN EXCLUSIVE MODE")
        cur.execute("DELETE FROM pledges_coveragecount")
        cur.execute(RECOUNT_SQL)


# The triggers (installed by migrations pledges 0005, 0006). Each statement's difference per company and
# opening date: customers with a USCC (+ new rows, − old rows) and, of them, those with a signed
# voluntary pledge. An UPDATE counts only the rows whose company, opening date or USCC presence
# (customers), or signed state or customer (pledges) changed, so an import updating a million
# addresses adds nothing.
TRIGGER_SQL = f"""
CREATE OR REPLACE FUNCTION pledges_coverage_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pledges_coveragecount (company_id, opens_on, customers, signed)
        SELECT n.company_id, {_bucket("n")}, count(*), count(p.id)
        FROM new_rows n LEFT JOIN pledges_pledge p ON p.customer_id = n.id AND {_SIGNED}
        WHERE n.uscc <> '' GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pledges_coveragecount (company_id, opens_on, customers, signed)
        SELECT o.company_id, {_bucket("o")}, -count(*), -count(p.id)
        FROM old_rows o LEFT JOIN pledges_pledge p ON p.customer_id = o.id AND {_SIGNED}
        WHERE o.uscc <> '' GROUP BY 1, 2;
    ELSE
        INSERT INTO pledges_coveragecount (company_id, opens_on, customers, signed)
        SELECT company_id, opens_on, sum(customers), sum(signed) FROM (
            SELECT side.company_id, {_bucket("side")} AS opens_on, side.sign AS customers,
                   CASE WHEN p.id IS NULL THEN 0 ELSE side.sign END AS signed
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES (o.company_id, -1, o.uscc, o.opened_on), (n.company_id, 1, n.uscc, n.opened_on))
                AS side (company_id, sign, uscc, opened_on)
            LEFT JOIN pledges_pledge p ON p.customer_id = n.id AND {_SIGNED}
            WHERE (o.company_id <> n.company_id OR o.opened_on <> n.opened_on OR (o.uscc = '') <> (n.uscc = ''))
                AND side.uscc <> ''
        ) d GROUP BY 1, 2 HAVING sum(customers) <> 0 OR sum(signed) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pledges_coverage_pledges() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pledges_coveragecount (company_id, opens_on, customers, signed)
        SELECT c.company_id, {_bucket("c")}, 0, count(*)
        FROM new_rows p JOIN customers_customer c ON c.id = p.customer_id
        WHERE {_SIGNED} AND c.uscc <> '' GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pledges_coveragecount (company_id, opens_on, customers, signed)
        SELECT c.company_id, {_bucket("c")}, 0, -count(*)
        FROM old_rows p JOIN customers_customer c ON c.id = p.customer_id
        WHERE {_SIGNED} AND c.uscc <> '' GROUP BY 1, 2;
    ELSE
        INSERT INTO pledges_coveragecount (company_id, opens_on, customers, signed)
        SELECT c.company_id, {_bucket("c")}, 0, sum(side.sign)
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.customer_id, -1, o.kind, o.state), (n.customer_id, 1, n.kind, n.state))
            AS side (customer_id, sign, kind, state)
        JOIN customers_customer c ON c.id = side.customer_id
        WHERE (o.customer_id <> n.customer_id OR (o.kind, o.state) IS DISTINCT FROM (n.kind, n.state))
            AND {_SIGNED.replace("p.", "side.")} AND c.uscc <> ''
        GROUP BY 1, 2 HAVING sum(side.sign) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pledges_coverage_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM pledges_coveragecount;
    {RECOUNT_SQL};
    RETURN NULL;
END $$;
"""

TABLE_TRIGGERS = {
    "customers_customer": "pledges_coverage_customers",
    "pledges_pledge": "pledges_coverage_pledges",
}


def install_triggers(schema_editor) -> None:
    schema_editor.execute(TRIGGER_SQL)
    for table, function in TABLE_TRIGGERS.items():
        for op, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            name = f"{table}_coverage_{op.lower()}"
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {refs} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_coverage_truncate ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_coverage_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION pledges_coverage_truncated()"
        )


def drop_triggers(schema_editor) -> None:
    for table in TABLE_TRIGGERS:
        for op in ("insert", "update", "delete", "truncate"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_coverage_{op} ON {table}")
    for function in (*TABLE_TRIGGERS.values(), "pledges_coverage_truncated"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
