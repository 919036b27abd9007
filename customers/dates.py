"""Calendar arithmetic for arrears (annex4-rules.md: calendar months counted from `O`)."""

from __future__ import annotations

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months; the 31st (or 29th/30th) lands on the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: datetime.date, end: datetime.date) -> int:
    """The largest m >= 0 with add_months(start, m) <= end; 0 when end is before start.

    Each candidate is added to `start` itself, never chained: 2026-01-31 + 1 month is
    2026-02-28 and + 2 months is 2026-03-31.
    """
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)
