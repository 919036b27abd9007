"""Working days for the repair deadlines: weekends and Chinese public holidays are off, the
调休 make-up Saturdays and Sundays are working days.

The State Council's schedule comes from `chinesecalendar` (official data only, 2004 through the
last year it was released for; it refuses a year it does not know instead of guessing). An
administrator's `WorkdayOverride` for a date wins over the library, so next year's schedule can
be entered in the admin as soon as it is published, before the library's release. For a year
the library does not know, weekends, the statutory holidays fixed by solar date (元旦 01-01,
劳动节 05-01/02, 国庆节 10-01/02/03, 《全国年节及纪念日放假办法》) and the administrator's dates
count; the lunar festivals and the 调休 days need the administrator (`year_is_known` tells the
pages to warn).
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import chinese_calendar

# Deadlines are a few weeks at most; a bound keeps a wrong call from looping for ever.
MAX_DAYS_SEARCHED = 400
# Statutory holidays fixed by solar date, used only for a year the library has no data for.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def _overrides() -> dict[datetime.date, bool]:
    """Every administrator's override, {date: is_working_day}: one small query per calculation, so a
    date entered in the admin counts at once in every process."""
    from .models import WorkdayOverride

    return dict(WorkdayOverride.objects.values_list("date", "is_working_day"))


@lru_cache(maxsize=4096)
def _library_says(d: datetime.date) -> bool | None:
    """The library's answer, or None for a year it has no data for."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return None


def library_years() -> tuple[int, int]:
    """The first and last year the library has the official schedule of."""
    years = {d.year for d in chinese_calendar.holidays}
    return min(years), max(years)


def year_is_known(year: int) -> bool:
    """The library has the official schedule of `year`, or an administrator has entered dates in it."""
    return _library_says(datetime.date(year, 6, 1)) is not None or any(d.year == year for d in _overrides())


def is_working_day(d: datetime.date, overrides: dict[datetime.date, bool] | None = None) -> bool:
    overrides = _overrides() if overrides is None else overrides
    if d in overrides:
        return overrides[d]
    library = _library_says(d)
    if library is not None:
        return library
    return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start` (start itself not counted, whether or not it is a working day)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    overrides = _overrides()
    day, counted = start, 0
    for _ in range(MAX_DAYS_SEARCHED):
        day += datetime.timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
            if counted == n:
                return day
    raise ValueError(f"no {n} working days within {MAX_DAYS_SEARCHED} days after {start}")


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is before `start`)."""
    if end < start:
        return -working_days_between(end, start)
    overrides = _overrides()
    days = (end - start).days
    return sum(1 for i in range(1, days + 1) if is_working_day(start + datetime.timedelta(days=i), overrides))
