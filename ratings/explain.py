"""Why a customer has its colour: the criteria that hold, in Annex 4's words, with the records behind them.

`explain_customer(customer, as_of)` is what the credit file and the "rate as of date" box
show. The level and criteria come from the same facts query and the same rules as a run
(so a stored result always equals the explanation for that date); the records listed under
each criterion come from a per-customer listing of the bills and events behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from customers.models import Bill, Customer, Event, EventType
from customers.money import format_yuan

from . import facts as F
from .criteria import criterion_text
from .rules import LEVEL_PREFIX, Facts, arrears_months, b1, r1, rate


@dataclass(frozen=True)
class CriterionHit:
    """One criterion that holds, with human-readable evidence."""

    code: str  # "R3"
    text: str  # Annex 4's words
    records: tuple[str, ...]  # "账单 2026-05(缴费期限 2026-06-25,未缴)", "事件 EV123 窃水 10,000.00 元 2026-03-01"


@dataclass(frozen=True)
class Explanation:
    """A customer's computed rating as of a date, and why."""

    customer_id: int
    as_of: date
    rated: bool  # False when the customer cannot be rated as of that date (opened after it / no USCC)
    level: str | None  # "green" | "blue" | "yellow" | "red"; None when not rated
    criteria: tuple[str, ...]  # the codes of its own level that hold, numeric order (what export_ratings prints)
    hits: tuple[CriterionHit, ...]  # those criteria with their records
    other_hits: tuple[CriterionHit, ...]  # criteria of other levels that also hold, for information
    gaps: tuple[str, ...]  # blue only: records Annex 4 says nothing about, each ending "附件4未作规定,按蓝色"
    arrears_months: int  # calendar months from O to as_of (0 when no overdue bill)


# The fact behind each criterion whose records are its evidence (absence criteria such as G2 have none).
EVIDENCE: dict[str, tuple[str, ...]] = {
    "B1": ("overdue",),
    "R1": ("overdue",),
    "Y1": ("late_1y",),
    "R2": ("late_1y",),
    "Y2": ("violations_1y", "thefts_small_1y"),
    "R3": ("violations_1y", "thefts_1y"),
    "Y3": ("dishonesty_general_1y",),
    "R4": ("dishonesty_serious_1y",),
    "Y4": ("outages_small_1y",),
    "R7": ("outages_large_1y",),
    "Y5": ("damage_minor_1y",),
    "R8": ("damage_serious_1y",),
    "Y6": ("misrepresentations_1y",),
    "R5": ("hazards_unrectified_1y",),
    "R6": ("meter_faults_refused_1y",),
    "R9": ("zone_violations_1y",),
    "R10": ("agreement_refusals_1y",),
    "R11": ("order_disruptions_1y",),
}


def bill_text(bill: Bill, as_of: date) -> str:
    """ "账单 2026-05(缴费期限 2026-06-25,未缴)" — paid or not as it stood on `as_of`."""
    values = {"period": bill.period, "due": bill.due_on.isoformat()}
    if bill.paid_on is None or bill.paid_on > as_of:
        return _("账单 %(period)s（缴费期限 %(due)s，未缴）") % values
    return _("账单 %(period)s（缴费期限 %(due)s，%(paid)s 缴）") % {**values, "paid": bill.paid_on.isoformat()}


def event_text(event: Event) -> str:
    """ "事件 EV123 窃水 10,000.00 元 2026-03-01"."""
    detail = ""
    if event.type == EventType.WATER_THEFT and event.amount is not None:
        detail = _(" %(amount)s 元") % {"amount": format_yuan(event.amount)}
    elif event.type == EventType.PIPE_OUTAGE and event.pipe_diameter_mm is not None:
        detail = _(" 管径 %(d)s mm") % {"d": event.pipe_diameter_mm}
    elif event.type == EventType.FACILITY_DAMAGE and event.severity:
        detail = " " + str(event.get_severity_display())
    return _("事件 %(ref)s %(type)s%(detail)s %(date)s") % {
        "ref": event.ref,
        "type": event.get_type_display(),
        "detail": detail,
        "date": event.occurred_on.isoformat(),
    }


def evidence(customer: Customer, as_of: date) -> dict[str, list[str]]:
    """The records behind each fact as of `as_of`, listed with the same definitions as the facts query."""
    bills = list(customer.bills.filter(due_on__lt=as_of).order_by("due_on", "period"))
    events = [e for e in customer.events.filter(occurred_on__lte=as_of).order_by("occurred_on", "id")]
    events = [e for e in events if F.event_counts(e, as_of)]
    late_bills = [b for b in bills if F.bill_late(b, as_of) and F.in_window(b.due_on, F.ONE_YEAR, as_of)]
    late_events = [
        e for e in events if e.type == EventType.LATE_PAYMENT and F.in_window(e.occurred_on, F.ONE_YEAR, as_of)
    ]
    records: dict[str, list[str]] = {
        "overdue": [bill_text(b, as_of) for b in bills if F.bill_overdue(b, as_of)],
        "late_1y": [bill_text(b, as_of) for b in late_bills] + [event_text(e) for e in late_events],
    }
    for fact in F.EVENT_FACTS:
        records[fact.column] = [
            event_text(e) for e in events if fact.match(e) and F.in_window(e.occurred_on, fact.window, as_of)
        ]
    return records


def _hit(code: str, records: dict[str, list[str]]) -> CriterionHit:
    found = [text for column in EVIDENCE.get(code, ()) for text in records[column]]
    return CriterionHit(code, criterion_text(code), tuple(found))


def gaps(facts: Facts, as_of: date) -> tuple[str, ...]:
    """For a blue customer: the records Annex 4 says nothing about, each saying it fell to blue."""
    found = []
    months = arrears_months(facts, as_of)
    if facts.oldest_overdue_due_on is not None and not b1(facts, as_of) and not r1(facts, as_of) and months >= 3:
        found.append(_("欠费 %(months)s 个月（附件4未作规定，按蓝色）") % {"months": months})
    if 1 <= facts.late_payments_1y <= 2:
        found.append(_("一年内未按约定缴纳水费 %(n)s 次（附件4未作规定，按蓝色）") % {"n": facts.late_payments_1y})
    if facts.violations_1y == 1:
        found.append(_("一年内违约用水 1 次（附件4未作规定，按蓝色）"))
    if facts.dishonesty_general_1y == 1:
        found.append(_("一年内一般失信行为 1 次（附件4未作规定，按蓝色）"))
    if facts.dishonesty_serious_1y == 1:
        found.append(_("一年内较重失信行为 1 次（附件4未作规定，按蓝色）"))
    return tuple(found)


def is_rated(customer: Customer, as_of: date) -> bool:
    """Annex 4 rates customers with a USCC whose account was opened on or before the date."""
    return bool(customer.uscc) and customer.opened_on <= as_of


def explain_customer(customer: Customer, as_of: date) -> Explanation:
    """The rating of `customer` as of `as_of`, with the criteria and the records behind them.

    Level and criteria come from `ratings.facts.facts_for` (the run's query narrowed to this
    customer) and `ratings.rules.rate`, so they equal a run's stored result for that date.
    """
    found = F.facts_for(customer.pk, as_of) if is_rated(customer, as_of) else None
    if found is None:
        return Explanation(customer.pk, as_of, False, None, (), (), (), (), 0)
    rating = rate(found, as_of)
    records = evidence(customer, as_of)
    own_prefix = LEVEL_PREFIX[rating.level]
    others = [c for c in rating.holding if c[0] != own_prefix and (c[0] in "YR" or c == "B1")]
    return Explanation(
        customer_id=customer.pk,
        as_of=as_of,
        rated=True,
        level=rating.level,
        criteria=rating.criteria,
        hits=tuple(_hit(code, records) for code in rating.criteria),
        other_hits=tuple(_hit(code, records) for code in others),
        gaps=gaps(found, as_of) if rating.level == "blue" else (),
        arrears_months=arrears_months(found, as_of),
    )
