"""Making pledges in tests as the product makes them.

A pledge generated in the system cannot be signed before the date it was generated, so a test that
needs a pledge signed on an old date either generates and prints it on that date (time travel) and
signs it then, or enters it as an old paper pledge (登记纸质承诺书, `register_paper_pledge`).
"""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.files.base import ContentFile

from pledges import services
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def scan(name: str = "scan.pdf") -> ContentFile:
    return ContentFile(tiny_scan_pdf(), name=name)


def at(day: dt.date, hour: int = 9):
    """Travel to `day` at `hour` o'clock in Asia/Shanghai (the clock stands still)."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI), tick=False)


def printed_on(customer, user, day: dt.date | None = None, **prepare) -> Pledge:
    """A pledge generated and printed on `day` (today when None)."""
    if day is None:
        pledge = services.prepare_pledge(customer, user=user, **prepare)
        services.mark_printed([pledge], user=user)
    else:
        with at(day):
            pledge = services.prepare_pledge(customer, user=user, **prepare)
            services.mark_printed([pledge], user=user)
    pledge.refresh_from_db()
    return pledge


def signed_on(customer, user, day: dt.date, *, received_by=None, **sign) -> Pledge:
    """A pledge generated and printed on `day` and recorded as signed on `day`."""
    pledge = printed_on(customer, user, day)
    return services.sign_pledge(
        pledge, signed_on=day, received_by=received_by or user, scan=sign.pop("scan", None) or scan(), user=user, **sign
    )
