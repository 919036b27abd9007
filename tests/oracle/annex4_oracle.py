"""An independent, deliberately plain reading of `annex4-rules.md`, one customer at a time.

Written from the spec alone (not from `ratings/`), over plain dicts and lists, so that the
product's set-based engine can be checked against it on random data
(`tests/test_annex4_oracle.py`). Every clause below quotes the spec's rule it implements.

A customer is a dict::

    {"account_no": str, "uscc": str, "opened_on": date, "payment_mode": "prepaid" | "postpaid",
     "bills": [{"period": str, "amount": Decimal, "due_on": date, "paid_on": date | None,
                "repaired": bool}],
     "events": [{"ref": str, "type": str, "occurred_on": date, "amount": Decimal | None,
                 "pipe_diameter_mm": int | None, "force_majeure": bool, "severity": str,
                 "voided": bool, "repaired": bool}]}
"""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

TEN_THOUSAND = Decimal("10000.00")
LEVEL_PREFIX = {"red": "R", "yellow": "Y", "green": "G", "blue": "B"}


# --- date arithmetic -----------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar months; "adding months to the 31st gives the last day of a shorter month"."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def minus_years(day: datetime.date, years: int) -> datetime.date:
    """ "Subtracting years from 29 February gives 28 February"."""
    year = day.year - years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return day.replace(year=year)


def in_years(date: datetime.date, d: datetime.date, years: int) -> bool:
    """ "一年内" = dated after D minus one year and on or before D; "三年内" likewise."""
    return minus_years(d, years) < date <= d


# --- facts as of D -----------------------------------------------------------------------------


def is_rated(customer: dict, d: datetime.date) -> bool:
    """Rated when it holds a USCC and its account was opened on or before D."""
    return bool((customer.get("uscc") or "").strip()) and customer["opened_on"] <= d


def overdue_bills(customer: dict, d: datetime.date) -> list[dict]:
    """Bills with due_on < D and not paid by D (paid_on empty or paid_on > D)."""
    return [b for b in customer["bills"] if b["due_on"] < d and (b["paid_on"] is None or b["paid_on"] > d)]


def oldest_overdue(customer: dict, d: datetime.date) -> datetime.date | None:
    """`O`: the due_on of the oldest overdue bill."""
    dues = [b["due_on"] for b in overdue_bills(customer, d)]
    return min(dues) if dues else None


def counting_events(customer: dict, d: datetime.date) -> list[dict]:
    """Events dated on or before D, not voided, not repaired, not a force-majeure outage."""
    out = []
    for e in customer["events"]:
        if e["occurred_on"] > d or e["voided"] or e["repaired"]:
            continue
        if e["type"] == "pipe_outage" and e["force_majeure"]:
            continue
        out.append(e)
    return out


def late_payment_dates(customer: dict, d: datetime.date) -> list[datetime.date]:
    """One per bill paid after its due date (due_on < paid_on <= D) or overdue at D, dated at
    its due_on; plus every recorded (counting) `late_payment` event, dated at its date.
    A bill whose record was repaired through credit repair does not count as a late payment."""
    dates = []
    for b in customer["bills"]:
        if b["repaired"]:
            continue
        paid_late = b["paid_on"] is not None and b["due_on"] < b["paid_on"] <= d
        overdue = b["due_on"] < d and (b["paid_on"] is None or b["paid_on"] > d)
        if paid_late or overdue:
            dates.append(b["due_on"])
    dates += [e["occurred_on"] for e in counting_events(customer, d) if e["type"] == "late_payment"]
    return dates


# --- the criteria ----------------------------------------------------------------------------


def criteria(customer: dict, d: datetime.date) -> dict[str, bool]:
    """Every criterion of the spec's tables, by code."""
    events = counting_events(customer, d)

    def of(type_, years=1):
        """Counting events of a type in the window (years=None: since the account was opened)."""
        return [e for e in events if e["type"] == type_ and (years is None or in_years(e["occurred_on"], d, years))]

    late = late_payment_dates(customer, d)
    late_1y = sum(1 for x in late if in_years(x, d, 1))
    late_3y = sum(1 for x in late if in_years(x, d, 3))
    o = oldest_overdue(customer, d)
    overdue = o is not None
    dishonest_3y = of("dishonesty_general", 3) + of("dishonesty_serious", 3)
    thefts_1y = of("water_theft")
    outages_1y = of("pipe_outage")
    damage_1y = of("facility_damage")

    c = {}
    c["G1"] = customer["payment_mode"] == "prepaid" and not overdue
    c["G2"] = late_3y == 0
    c["G3"] = not of("contract_violation", None) and not of("water_theft", None)
    c["G4"] = not dishonest_3y

    c["B1"] = overdue and add_months(o, 2) < d <= add_months(o, 3)
    c["B2"] = late_1y == 0
    c["B3"] = not of("contract_violation", 3) and not of("water_theft", 3)
    c["B4"] = c["G4"]

    c["Y1"] = late_1y >= 3
    c["Y2"] = len(of("contract_violation")) >= 2 or any(e["amount"] < TEN_THOUSAND for e in thefts_1y)
    c["Y3"] = len(of("dishonesty_general")) >= 2
    c["Y4"] = any(e["pipe_diameter_mm"] <= 160 for e in outages_1y)
    c["Y5"] = any(e["severity"] == "minor" for e in damage_1y)
    c["Y6"] = bool(of("usage_misrepresentation"))

    c["R1"] = overdue and d >= add_months(o, 6)
    c["R2"] = late_1y >= 5
    c["R3"] = (
        len(of("contract_violation")) >= 3 or len(thefts_1y) >= 2 or any(e["amount"] >= TEN_THOUSAND for e in thefts_1y)
    )
    c["R4"] = len(of("dishonesty_serious")) >= 2
    c["R5"] = len(of("safety_hazard_unrectified")) >= 4
    c["R6"] = len(of("meter_fault_refused")) >= 3
    c["R7"] = any(e["pipe_diameter_mm"] > 160 for e in outages_1y)
    c["R8"] = any(e["severity"] == "serious" for e in damage_1y)
    c["R9"] = bool(of("protection_zone_violation"))
    c["R10"] = bool(of("agreement_refusal"))
    c["R11"] = bool(of("order_disruption"))
    return c


def _numeric(code: str) -> int:
    return int(code[1:])


def rate(customer: dict, d: datetime.date) -> tuple[str, str] | None:
    """(level, criteria) as the export writes them, or None when the customer is not rated.

    Red if any R holds; otherwise yellow if any Y holds; otherwise green if G1-G4 all hold;
    otherwise blue. The criteria are the codes of the level that hold, in numeric order."""
    if not is_rated(customer, d):
        return None
    c = criteria(customer, d)

    def held(prefix):
        return sorted((k for k, v in c.items() if v and k.startswith(prefix)), key=_numeric)

    if held("R"):
        level = "red"
    elif held("Y"):
        level = "yellow"
    elif all(c[g] for g in ("G1", "G2", "G3", "G4")):
        level = "green"
    else:
        level = "blue"
    return level, ";".join(held(LEVEL_PREFIX[level]))


def export_lines(customers: list[dict], d: datetime.date) -> list[str]:
    """The export for D: header, then one row per rated customer sorted by account_no."""
    rows = []
    for customer in sorted(customers, key=lambda c: c["account_no"]):
        rated = rate(customer, d)
        if rated is not None:
            rows.append(f"{customer['account_no']},{rated[0]},{rated[1]}")
    return ["account_no,level,criteria", *rows]
