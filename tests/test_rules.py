"""The pure Annex 4 rules (ratings.rules): windows, boundaries, the level decision, numeric order."""

import dataclasses
import datetime

import pytest

from ratings.criteria import CRITERIA as TEXTS
from ratings.criteria import sort_codes
from ratings.rules import CRITERIA, Facts, arrears_months, one_year_before, rate, three_years_before

D = datetime.date(2026, 11, 30)


def facts(prepaid=True, **kw) -> Facts:
    return dataclasses.replace(Facts.empty(prepaid=prepaid), **kw)


def test_every_criterion_has_a_rule_and_annex_text():
    assert list(CRITERIA) == list(TEXTS)


def test_windows_and_leap_day():
    assert one_year_before(D) == datetime.date(2025, 11, 30)
    assert three_years_before(D) == datetime.date(2023, 11, 30)
    assert one_year_before(datetime.date(2028, 2, 29)) == datetime.date(2027, 2, 28)
    assert three_years_before(datetime.date(2028, 2, 29)) == datetime.date(2025, 2, 28)


def test_green_blue_defaults():
    assert rate(facts(prepaid=True), D).criteria == ("G1", "G2", "G3", "G4")
    assert rate(facts(prepaid=False), D).level == "blue"
    assert rate(facts(prepaid=False), D).criteria == ("B2", "B3", "B4")


@pytest.mark.parametrize(
    "field, below, at, code",
    [
        ("late_payments_1y", 2, 3, "Y1"),
        ("late_payments_1y", 4, 5, "R2"),
        ("violations_1y", 1, 2, "Y2"),
        ("violations_1y", 2, 3, "R3"),
        ("thefts_1y", 1, 2, "R3"),
        ("dishonesty_general_1y", 1, 2, "Y3"),
        ("dishonesty_serious_1y", 1, 2, "R4"),
        ("hazards_unrectified_1y", 3, 4, "R5"),
        ("meter_faults_refused_1y", 2, 3, "R6"),
        ("outages_small_1y", 0, 1, "Y4"),
        ("outages_large_1y", 0, 1, "R7"),
        ("damage_minor_1y", 0, 1, "Y5"),
        ("damage_serious_1y", 0, 1, "R8"),
        ("misrepresentations_1y", 0, 1, "Y6"),
        ("zone_violations_1y", 0, 1, "R9"),
        ("agreement_refusals_1y", 0, 1, "R10"),
        ("order_disruptions_1y", 0, 1, "R11"),
    ],
)
def test_count_boundaries(field, below, at, code):
    extra = {"violations_3y": 9, "violations_ever": 9} if field.startswith("violations") else {}
    if field == "thefts_1y":
        extra = {"thefts_3y": 9, "thefts_ever": 9}
    assert code not in rate(facts(**{field: below}, **extra), D).holding
    assert code in rate(facts(**{field: at}, **extra), D).holding


def test_y1_stops_below_five():
    assert rate(facts(late_payments_1y=5, late_payments_3y=5), D).criteria == ("R2",)
    assert "Y1" not in rate(facts(late_payments_1y=5, late_payments_3y=5), D).holding


@pytest.mark.parametrize(
    "o, day, months, b1, r1",
    [
        (datetime.date(2026, 9, 30), datetime.date(2026, 11, 30), 2, False, False),  # exactly two months
        (datetime.date(2026, 9, 30), datetime.date(2026, 12, 1), 2, True, False),
        (datetime.date(2026, 9, 30), datetime.date(2026, 12, 30), 3, True, False),  # exactly three months
        (datetime.date(2026, 9, 30), datetime.date(2026, 12, 31), 3, False, False),
        (datetime.date(2026, 5, 31), datetime.date(2026, 11, 30), 6, False, True),  # month end: six months
        (datetime.date(2026, 6, 1), datetime.date(2026, 11, 30), 5, False, False),
        (datetime.date(2027, 8, 29), datetime.date(2028, 2, 29), 6, False, True),  # leap day
        (datetime.date(2027, 8, 31), datetime.date(2028, 2, 28), 5, False, False),
        (datetime.date(2027, 8, 31), datetime.date(2028, 2, 29), 6, False, True),
    ],
)
def test_arrears_months(o, day, months, b1, r1):
    f = facts(oldest_overdue_due_on=o, late_payments_1y=1, late_payments_3y=1)
    assert arrears_months(f, day) == months
    holding = rate(f, day).holding
    assert ("B1" in holding) is b1
    assert ("R1" in holding) is r1


def test_level_order_red_over_yellow_and_own_codes_only():
    r = rate(facts(outages_small_1y=1, outages_large_1y=1, dishonesty_general_1y=2, dishonesty_general_3y=2), D)
    assert r.level == "red" and r.criteria == ("R7",)
    assert {"Y3", "Y4"} <= set(r.holding)


def test_numeric_order_of_codes():
    r = rate(facts(oldest_overdue_due_on=datetime.date(2025, 1, 1), agreement_refusals_1y=1, thefts_1y=2), D)
    assert r.criteria == ("R1", "R3", "R10")
    assert sort_codes(["R10", "R2", "R11", "R1"]) == ("R1", "R2", "R10", "R11")
