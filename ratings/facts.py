"""Gathering Annex 4 facts as of a date `D` for a range of customers, in one aggregate query.

The query (`facts_query`) joins customers to one GROUP BY over their bills and one over
their events, each counting with conditional aggregates (`COUNT(CASE WHEN … THEN 1 END)`,
portable between PostgreSQL and SQLite). Window starts are computed in Python
(`ratings.rules.one_year_before`) and passed as parameters. It returns one row per rated
customer in the id range, columns in the order of `ratings.rules.Facts`; a run uses it over
ranges of tens of thousands of customers, `facts_for` over the range of one customer, so
the definitions cannot diverge.

Every counted record is defined once below (`EVENT_FACTS`, the bill conditions): the SQL
condition and the Python predicate that lists the same records as evidence sit side by side.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import connection

from customers.models import Bill, Customer, Event, EventType

from .rules import Facts, one_year_before, three_years_before

FACT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Facts))

THEFT_RED_AMOUNT = Decimal("10000.00")
OUTAGE_RED_DIAMETER_MM = 160

ONE_YEAR, THREE_YEARS, EVER = "1y", "3y", "ever"


@dataclass(frozen=True)
class EventFact:
    """A count over the customer's counting events: which events (SQL and Python) and which window."""

    column: str
    window: str
    sql: str
    match: Callable[[Event], bool]


def _of_type(event_type: str) -> tuple[str, Callable[[Event], bool]]:
    value = str(getattr(event_type, "value", event_type))
    return f"type = '{value}'", lambda e: e.type == value


def _theft_large(e: Event) -> bool:
    return e.type == EventType.WATER_THEFT and e.amount is not None and e.amount >= THEFT_RED_AMOUNT


def _theft_small(e: Event) -> bool:
    return e.type == EventType.WATER_THEFT and (e.amount is None or e.amount < THEFT_RED_AMOUNT)


def _outage_large(e: Event) -> bool:
    return (
        e.type == EventType.PIPE_OUTAGE
        and e.pipe_diameter_mm is not None
        and e.pipe_diameter_mm > OUTAGE_RED_DIAMETER_MM
    )


def _outage_small(e: Event) -> bool:
    return e.type == EventType.PIPE_OUTAGE and (
        e.pipe_diameter_mm is None or e.pipe_diameter_mm <= OUTAGE_RED_DIAMETER_MM
    )


def _damage(severity: str) -> Callable[[Event], bool]:
    return lambda e: e.type == EventType.FACILITY_DAMAGE and e.severity == severity


EVENT_FACTS: tuple[EventFact, ...] = (
    EventFact("violations_1y", ONE_YEAR, *_of_type(EventType.CONTRACT_VIOLATION)),
    EventFact("violations_3y", THREE_YEARS, *_of_type(EventType.CONTRACT_VIOLATION)),
    EventFact("violations_ever", EVER, *_of_type(EventType.CONTRACT_VIOLATION)),
    EventFact("thefts_1y", ONE_YEAR, *_of_type(EventType.WATER_THEFT)),
    EventFact("thefts_3y", THREE_YEARS, *_of_type(EventType.WATER_THEFT)),
    EventFact("thefts_ever", EVER, *_of_type(EventType.WATER_THEFT)),
    EventFact("thefts_large_1y", ONE_YEAR, "type = 'water_theft' AND amount >= 10000", _theft_large),
    EventFact("thefts_small_1y", ONE_YEAR, "type = 'water_theft' AND (amount IS NULL OR amount < 10000)", _theft_small),
    EventFact("dishonesty_general_1y", ONE_YEAR, *_of_type(EventType.DISHONESTY_GENERAL)),
    EventFact("dishonesty_general_3y", THREE_YEARS, *_of_type(EventType.DISHONESTY_GENERAL)),
    EventFact("dishonesty_serious_1y", ONE_YEAR, *_of_type(EventType.DISHONESTY_SERIOUS)),
    EventFact("dishonesty_serious_3y", THREE_YEARS, *_of_type(EventType.DISHONESTY_SERIOUS)),
    EventFact(
        "outages_small_1y",
        ONE_YEAR,
        "type = 'pipe_outage' AND (pipe_diameter_mm IS NULL OR pipe_diameter_mm <= 160)",
        _outage_small,
    ),
    EventFact("outages_large_1y", ONE_YEAR, "type = 'pipe_outage' AND pipe_diameter_mm > 160", _outage_large),
    EventFact("damage_minor_1y", ONE_YEAR, "type = 'facility_damage' AND severity = 'minor'", _damage("minor")),
    EventFact("damage_serious_1y", ONE_YEAR, "type = 'facility_damage' AND severity = 'serious'", _damage("serious")),
    EventFact("misrepresentations_1y", ONE_YEAR, *_of_type(EventType.USAGE_MISREPRESENTATION)),
    EventFact("hazards_unrectified_1y", ONE_YEAR, *_of_type(EventType.SAFETY_HAZARD_UNRECTIFIED)),
    EventFact("meter_faults_refused_1y", ONE_YEAR, *_of_type(EventType.METER_FAULT_REFUSED)),
    EventFact("zone_violations_1y", ONE_YEAR, *_of_type(EventType.PROTECTION_ZONE_VIOLATION)),
    EventFact("agreement_refusals_1y", ONE_YEAR, *_of_type(EventType.AGREEMENT_REFUSAL)),
    EventFact("order_disruptions_1y", ONE_YEAR, *_of_type(EventType.ORDER_DISRUPTION)),
)
LATE_EVENT = _of_type(EventType.LATE_PAYMENT)

# Events that count at all as of D (besides occurred_on <= D): not voided, not repaired
# (whatever the repair date: a repaired record no longer counts for any D [reading]), and
# no pipe_outage marked force majeure (不可抗力除外).
EVENT_COUNTS_SQL = "voided_at IS NULL AND repaired_at IS NULL AND NOT (type = 'pipe_outage' AND force_majeure)"


def event_counts(e: Event, day: datetime.date) -> bool:
    """The Python twin of EVENT_COUNTS_SQL plus `occurred_on <= D`."""
    return (
        e.occurred_on <= day
        and e.voided_at is None
        and e.repaired_at is None
        and not (e.type == EventType.PIPE_OUTAGE and e.force_majeure)
    )


# Bills (only those with due_on < D are looked at). Overdue at D: not paid by D.
BILL_OVERDUE_SQL = "(paid_on IS NULL OR paid_on > %(day)s)"
# A late payment: paid after the due date or still unpaid, and not repaired [reading: the
# repair covers the late-payment record; an unpaid repaired bill is still arrears for G1/B1/R1].
BILL_LATE_SQL = "repaired_at IS NULL AND (paid_on IS NULL OR paid_on > due_on)"


def bill_overdue(b: Bill, day: datetime.date) -> bool:
    """annex4-rules.md "overdue bills": due_on < D and not paid by D."""
    return b.due_on < day and (b.paid_on is None or b.paid_on > day)


def bill_late(b: Bill, day: datetime.date) -> bool:
    """A late payment as of D (paid late by D, or overdue at D), not repaired; dated at due_on."""
    return b.due_on < day and b.repaired_at is None and (b.paid_on is None or b.paid_on > b.due_on)


def window_start(window: str, day: datetime.date) -> datetime.date | None:
    """The exclusive start of a window ending at D (None for "自立户起")."""
    if window == ONE_YEAR:
        return one_year_before(day)
    if window == THREE_YEARS:
        return three_years_before(day)
    return None


def in_window(dated: datetime.date, window: str, day: datetime.date) -> bool:
    start = window_start(window, day)
    return dated <= day and (start is None or dated > start)


_WINDOW_PARAM = {ONE_YEAR: "since_1y", THREE_YEARS: "since_3y"}


def _count(condition: str, window: str, date_column: str) -> str:
    if window in _WINDOW_PARAM:
        condition = f"{condition} AND {date_column} > %({_WINDOW_PARAM[window]})s"
    return f"COUNT(CASE WHEN {condition} THEN 1 END)"


def facts_query(
    day: datetime.date, first_id: int, last_id: int, ordered: bool = True, with_company: bool = False
) -> tuple[str, dict]:
    """SQL and parameters: `customer_id` then FACT_COLUMNS for every customer rated as of `day`
    with first_id <= id <= last_id (ordered by id unless `ordered` is False), then the
    customer's `company_id` if `with_company` (a run counts its results per company).

    Rated: a USCC and opened on or before `day`.
    """
    bill_table, event_table, customer_table = Bill._meta.db_table, Event._meta.db_table, Customer._meta.db_table
    params = {
        "day": day,
        "since_1y": one_year_before(day),
        "since_3y": three_years_before(day),
        "first": first_id,
        "last": last_id,
        "prepaid": Customer.PREPAID,
    }
    bills = f"""
        SELECT customer_id,
               MIN(CASE WHEN {BILL_OVERDUE_SQL} THEN due_on END) AS oldest_overdue_due_on,
               {_count(BILL_LATE_SQL, ONE_YEAR, "due_on")} AS late_1y,
               {_count(BILL_LATE_SQL, THREE_YEARS, "due_on")} AS late_3y
        FROM {bill_table}
        WHERE customer_id BETWEEN %(first)s AND %(last)s AND due_on < %(day)s
        GROUP BY customer_id"""
    event_columns = [
        f"{_count(LATE_EVENT[0], ONE_YEAR, 'occurred_on')} AS late_1y",
        f"{_count(LATE_EVENT[0], THREE_YEARS, 'occurred_on')} AS late_3y",
    ] + [f"{_count(fact.sql, fact.window, 'occurred_on')} AS {fact.column}" for fact in EVENT_FACTS]
    events = f"""
        SELECT customer_id, {", ".join(event_columns)}
        FROM {event_table}
        WHERE customer_id BETWEEN %(first)s AND %(last)s AND occurred_on <= %(day)s AND {EVENT_COUNTS_SQL}
        GROUP BY customer_id"""
    select = [
        "c.id AS customer_id",
        "CASE WHEN c.payment_mode = %(prepaid)s THEN 1 ELSE 0 END AS prepaid",
        "b.oldest_overdue_due_on",
        "COALESCE(b.late_1y, 0) + COALESCE(e.late_1y, 0) AS late_payments_1y",
        "COALESCE(b.late_3y, 0) + COALESCE(e.late_3y, 0) AS late_payments_3y",
    ] + [f"COALESCE(e.{fact.column}, 0) AS {fact.column}" for fact in EVENT_FACTS]
    if with_company:
        select.append("c.company_id")
    sql = f"""
        SELECT {", ".join(select)}
        FROM {customer_table} c
        LEFT JOIN ({bills}) b ON b.customer_id = c.id
        LEFT JOIN ({events}) e ON e.customer_id = c.id
        WHERE c.id BETWEEN %(first)s AND %(last)s AND c.uscc <> '' AND c.opened_on <= %(day)s"""
    if ordered:
        sql += "\n        ORDER BY c.id"
    return sql, params


if FACT_COLUMNS[4:] != tuple(fact.column for fact in EVENT_FACTS):  # the query's column order is Facts' order
    raise RuntimeError("ratings.facts.EVENT_FACTS must list the event counts in the order of rules.Facts")


def _as_date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])  # SQLite returns text from a raw MIN()


def facts_from_row(row) -> Facts:
    """A Facts from a facts-query row without its leading customer_id (the same order as FACT_COLUMNS)."""
    prepaid, oldest, *counts = row
    return Facts(bool(prepaid), _as_date(oldest), *(int(c) for c in counts))


def iter_facts(day: datetime.date, first_id: int, last_id: int, chunk_size: int = 5000) -> Iterator[tuple[int, Facts]]:
    """(customer id, facts) for every customer rated as of `day` in the id range, streamed in id order."""
    sql, params = facts_query(day, first_id, last_id)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for row in rows:
                yield row[0], facts_from_row(row[1:])


def facts_for(customer_id: int, day: datetime.date) -> Facts | None:
    """The facts of one customer as of `day` (the same query, narrowed to its id); None if not rated."""
    for _, facts in iter_facts(day, customer_id, customer_id):
        return facts
    return None
