"""Reading ratings: a customer's computed rating as of a date, stored results, the CSV export's lines.

(Overrides live in `ratings.overrides`; runs in `ratings.runs`.)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db import connection

from customers.models import Customer

from .facts import facts_for
from .models import RatingResult, RatingRun
from .rules import Rating, rate

EXPORT_HEADER = "account_no,level,criteria\n"


def rate_customer(customer: Customer, as_of: datetime.date) -> Rating | None:
    """The computed rating of one customer as of a date (None when not rated then); same path as a run."""
    if not customer.uscc or customer.opened_on > as_of:
        return None
    found = facts_for(customer.pk, as_of)
    return rate(found, as_of) if found is not None else None


def latest_result(customer: Customer) -> RatingResult | None:
    """The customer's result in the latest succeeded run, if any."""
    return (
        RatingResult.objects.filter(customer=customer, run__status=RatingRun.Status.SUCCEEDED)
        .select_related("run")
        .order_by("-run__as_of")
        .first()
    )


def export_lines(run: RatingRun, chunk_size: int = 10_000) -> Iterator[str]:
    """The CSV lines of a run (header first), sorted by account_no byte-wise, streamed from a server-side cursor.

    Account numbers are ASCII (A-Z a-z 0-9 -) and criteria like "R1;R3", so no field needs quoting.
    """
    yield EXPORT_HEADER
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT c.account_no, r.level, r.criteria FROM {RatingResult._meta.db_table} r "
        f"JOIN {Customer._meta.db_table} c ON c.id = r.customer_id WHERE r.run_id = %s "
        f"ORDER BY c.account_no{collate}"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [run.pk])
        while rows := cursor.fetchmany(chunk_size):
            yield "".join(f"{account_no},{level},{criteria}\n" for account_no, level, criteria in rows)
