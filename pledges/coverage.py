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

What a date makes rateable cannot be stored: the stored rows count customers whatever their opening
date, and `coverage_counts` subtracts those opened after today (a range scan of `customer_opened_on`:
a few customers). Two queries, whatever the number of customers or companies.

Elsewhere (SQLite) the figures are counted live (`live_counts`), as before.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Sum
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
    """Company id -> (rateable, signed) as of `today`: stored figures less those not yet opened."""
    ids = _ids(companies)
    today = today or timezone.localdate()
    if not stored():
        return live_counts(ids, today)
    from .batches import signed_pledge_relation

    out = {company_id: [0, 0] for company_id in ids}
    for company_id, customers, signed in (
        CoverageCount.objects.filter(company_id__in=ids)
        .values("company_id")
        .annotate(customers=Sum("customers"), signed=Sum("signed"))
        .values_list("company_id", "customers", "signed")
    ):
        out[company_id] = [int(customers), int(signed)]
    not_yet_opened = (
        Customer.objects.filter(company_id__in=ids, opened_on__gt=today)
        .exclude(uscc="")
        .annotate(signed_pledge=signed_pledge_relation())
        .values("company_id")
        .annotate(customers=Count("pk"), signed=Count("signed_pledge"))
        .values_list("company_id", "customers", "signed")
    )
    for company_id, customers, signed in not_yet_opened:
        out[company_id][0] -= customers
        out[company_id][1] -= signed
    return {company_id: (rateable, signed) for company_id, (rateable, signed) in out.items()}


def fold() -> int:
    """Sum each company's stored rows into one (the figures stay the same); returns how many rows there were."""
    if not stored():
        return 0
    table = CoverageCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [table])
        # Rows inserted meanwhile by other transactions are not in this statement's snapshot: they stay.
        cur.execute(
            f"WITH gone AS (DELETE FROM {table} RETURNING company_id, customers, signed), "
            f"kept AS (INSERT INTO {table} (company_id, customers, signed) "
            f"SELECT company_id, sum(customers), sum(signed) FROM gone GROUP BY company_id) "
            f"SELECT count(*) FROM gone"
        )
        return cur.fetchone()[0]


RECOUNT_SQL = f"""
INSERT INTO pledges_coveragecount (company_id, customers, signed)
SELECT co.id, count(c.id), count(p.id)
FROM customers_company co
LEFT JOIN customers_customer c ON c.company_id = co.id AND c.uscc <> ''
LEFT JOIN pledges_pledge p ON p.customer_id = c.id AND {_SIGNED}
GROUP BY co.id
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


# The triggers (installed by migration pledges 0005). Each statement's difference per company:
# customers with a USCC (+ new rows, − old rows) and, of them, those with a signed voluntary pledge.
# An UPDATE counts only the rows whose company, USCC presence (customers) or signed state and
# customer (pledges) changed, so an import updating a million addresses adds nothing.
TRIGGER_SQL = f"""
CREATE OR REPLACE FUNCTION pledges_coverage_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pledges_coveragecount (company_id, customers, signed)
        SELECT n.company_id, count(*), count(p.id)
        FROM new_rows n LEFT JOIN pledges_pledge p ON p.customer_id = n.id AND {_SIGNED}
        WHERE n.uscc <> '' GROUP BY n.company_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pledges_coveragecount (company_id, customers, signed)
        SELECT o.company_id, -count(*), -count(p.id)
        FROM old_rows o LEFT JOIN pledges_pledge p ON p.customer_id = o.id AND {_SIGNED}
        WHERE o.uscc <> '' GROUP BY o.company_id;
    ELSE
        INSERT INTO pledges_coveragecount (company_id, customers, signed)
        SELECT company_id, sum(customers), sum(signed) FROM (
            SELECT side.company_id, side.sign AS customers, CASE WHEN p.id IS NULL THEN 0 ELSE side.sign END AS signed
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES (o.company_id, -1, o.uscc), (n.company_id, 1, n.uscc)) AS side (company_id, sign, uscc)
            LEFT JOIN pledges_pledge p ON p.customer_id = n.id AND {_SIGNED}
            WHERE (o.company_id <> n.company_id OR (o.uscc = '') <> (n.uscc = '')) AND side.uscc <> ''
        ) d GROUP BY company_id HAVING sum(customers) <> 0 OR sum(signed) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pledges_coverage_pledges() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pledges_coveragecount (company_id, customers, signed)
        SELECT c.company_id, 0, count(*)
        FROM new_rows p JOIN customers_customer c ON c.id = p.customer_id
        WHERE {_SIGNED} AND c.uscc <> '' GROUP BY c.company_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pledges_coveragecount (company_id, customers, signed)
        SELECT c.company_id, 0, -count(*)
        FROM old_rows p JOIN customers_customer c ON c.id = p.customer_id
        WHERE {_SIGNED} AND c.uscc <> '' GROUP BY c.company_id;
    ELSE
        INSERT INTO pledges_coveragecount (company_id, customers, signed)
        SELECT c.company_id, 0, sum(side.sign)
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.customer_id, -1, o.kind, o.state), (n.customer_id, 1, n.kind, n.state))
            AS side (customer_id, sign, kind, state)
        JOIN customers_customer c ON c.id = side.customer_id
        WHERE (o.customer_id <> n.customer_id OR (o.kind, o.state) IS DISTINCT FROM (n.kind, n.state))
            AND {_SIGNED.replace("p.", "side.")} AND c.uscc <> ''
        GROUP BY c.company_id HAVING sum(side.sign) <> 0;
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
