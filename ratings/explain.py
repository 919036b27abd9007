"""Why a customer has its colour: the criteria that hold, in Annex 4's words, with the records behind them.

`explain_customer(customer, as_of)` is what the credit file and the "rate as of date" box
show. The level and criteria come from the same facts query and the same rules as a run
(so a stored result always equals the explanation for that date); the records listed under
each criterion come from a per-customer listing of the bills and events behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CriterionHit:
    """One criterion that holds, with human-readable evidence."""

    code: str  # "R3"
    text: str  # Annex 4's words
    records: tuple[str, ...]  # "账单 2026-05(缴费期限 2026-06-25,未缴)", "事件 EV123 窃水 10000.00 元 2026-03-01"


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


def explain_customer(customer, as_of: date) -> Explanation:
    """The rating of `customer` as of `as_of`, with the criteria and the records behind them."""
    raise NotImplementedError("being implemented: ratings/explain.py")
