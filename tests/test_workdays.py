"""Repair deadlines count working days: weekends and public holidays off, 调休 make-up days on,
an administrator's date wins over the library."""

from __future__ import annotations

import datetime as dt

import pytest

from repair.models import WorkdayOverride
from repair.workdays import add_working_days, is_working_day, working_days_between, year_is_known

pytestmark = pytest.mark.django_db

D = dt.date


def test_three_working_days_over_a_weekend():
    # Thursday 2026-11-26: Fri 27, (Sat, Sun), Mon 30, Tue 1 Dec
    assert add_working_days(D(2026, 11, 26), 3) == D(2026, 12, 1)
    # submitted on a Saturday: Mon, Tue, Wed
    assert add_working_days(D(2026, 11, 28), 3) == D(2026, 12, 2)


def test_national_day_2026_is_skipped():
    # 2026-10-01..10-07 off (State Council schedule); 10-09 Fri and 10-10 Sat (make-up) are working days
    for day in range(1, 8):
        assert not is_working_day(D(2026, 10, day)), day
    # accepted Wednesday 2026-09-30: 10-08 Thu, 10-09 Fri, 10-10 Sat (调休), 10-12 Mon ... 10-14 Wed
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_working_days(D(2026, 9, 30), 7) == D(2026, 10, 15)


def test_make_up_saturday_and_sunday_count():
    assert is_working_day(D(2026, 10, 10))  # Saturday, 调休
    assert is_working_day(D(2026, 9, 20))  # Sunday, 调休
    assert not is_working_day(D(2026, 9, 19))  # an ordinary Saturday
    # submitted Friday 2026-09-18: Sun 09-20 (调休), Mon 21, Tue 22
    assert add_working_days(D(2026, 9, 18), 3) == D(2026, 9, 22)
    # Spring Festival 2026: make-up Saturday 02-14 counts, 02-16..02-23 are off
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)


def test_administrator_override_wins_over_the_library():
    # 2027 is not in the library: only weekends count until an administrator enters the schedule
    assert not year_is_known(2027)
    assert is_working_day(D(2027, 2, 8))  # a Monday
    WorkdayOverride.objects.create(date=D(2027, 2, 8), is_working_day=False, note="春节")
    WorkdayOverride.objects.create(date=D(2027, 2, 6), is_working_day=True, note="春节调休上班")
    assert year_is_known(2027)
    assert not is_working_day(D(2027, 2, 8))
    assert is_working_day(D(2027, 2, 6))  # a Saturday
    # Friday 2027-02-05: Sat 06 (entered as working), Mon 08 off, Tue 09
    assert add_working_days(D(2027, 2, 5), 2) == D(2027, 2, 9)
    # and an override also beats the library for a known year
    WorkdayOverride.objects.create(date=D(2026, 12, 31), is_working_day=False, note="公司安排")
    # 2027-01-01 (a Friday) is New Year's Day by law even before the schedule is known
    assert add_working_days(D(2026, 12, 30), 1) == D(2027, 1, 4)


def test_working_days_between():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 15)) == 7
    assert working_days_between(D(2026, 10, 15), D(2026, 9, 30)) == -7


def test_into_2027_the_library_does_not_know():
    """Lodged Wednesday 2026-12-30: Thu 31 (2026, the library), then 2027 which it has no schedule
    for: 元旦 Friday and the weekend are off, so the 3rd working day is Tuesday 5 January; the
    pages are told the year is not known until an administrator enters a date of it."""
    assert not year_is_known(2027)
    assert add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 5)
    # National Day 2027 (Fri 1 – Sun 3 Oct, fixed by solar date) is skipped even unknown
    assert add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 4)
    WorkdayOverride.objects.create(date=D(2027, 1, 4), is_working_day=False, note="2027年元旦调休")
    assert year_is_known(2027)
    assert add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 6)
