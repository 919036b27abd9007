"""months_between / add_months: calendar months counted from O (annex4-rules.md)."""

import datetime as dt

import pytest

from customers.dates import add_months, months_between

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2026, 1, 31), 2, D(2026, 3, 31)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2026, 11, 15), 2, D(2027, 1, 15)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 5, 31), D(2026, 11, 30), 6),  # six months to the day (worked example, R1)
        (D(2026, 5, 31), D(2026, 11, 29), 5),
        (D(2026, 9, 10), D(2026, 11, 30), 2),
        (D(2026, 1, 31), D(2026, 2, 28), 1),  # 31st + 1 month = last day of February
        (D(2026, 1, 31), D(2026, 2, 27), 0),
        (D(2026, 1, 31), D(2026, 3, 30), 1),  # + 2 months is 03-31, not 02-28 + 1 month
        (D(2026, 1, 31), D(2026, 3, 31), 2),
        (D(2024, 2, 29), D(2025, 2, 28), 12),  # leap day + a year = 28 February
        (D(2024, 2, 29), D(2025, 2, 27), 11),
        (D(2023, 2, 28), D(2024, 2, 29), 12),
        (D(2026, 11, 30), D(2026, 11, 30), 0),
        (D(2026, 12, 1), D(2026, 11, 30), 0),  # end before start
        (D(2025, 12, 15), D(2026, 1, 15), 1),  # across the year end
    ],
)
def test_months_between_counts_whole_calendar_months(start, end, expected):
    assert months_between(start, end) == expected
