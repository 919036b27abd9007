"""Demo data of the reporting app (seed_demo): the companies' registered names, some notices given, and
last month's draft batch, so that a new user finds a batch with rows sent and rows held back."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.utils import timezone

from customers import audit
from customers.demo import DEMO_ACTOR
from customers.models import Company
from customers.services import TransitionError
from customers.uscc import make_uscc

from . import notices, services
from .demo_work import seed_credit_work
from .models import Batch

# The two companies as an administrator would enter them (made-up codes with valid check characters).
REGISTERED = {
    Company.CITY: ("随州市城市供水有限公司", "91421300" + "MA49D3MX1"),
    Company.COUNTY: ("随县供水有限责任公司", "91421321" + "MA49D3MX2"),
}


def seed_reporting(today: datetime.date | None = None) -> str | None:
    """Fill in what the batch needs and build last month's draft; returns its number (None if one exists)."""
    import time_machine

    today = today or timezone.localdate()
    moment = datetime.datetime(today.year, today.month, today.day, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with audit.acting_as(DEMO_ACTOR), time_machine.travel(moment, tick=False):
        return _seed(today)


def _seed(today: datetime.date | None) -> str | None:
    today = today or timezone.localdate()
    for code, (name, body) in REGISTERED.items():
        company = Company.objects.get(code=code)
        if not company.registered_name and not company.uscc:
            company.registered_name, company.uscc = name, make_uscc(body)
            company.save(update_fields=["registered_name", "uscc"])
    clerks = {c: User.objects.filter(username=f"clerk_{c}").first() for c in (Company.CITY, Company.COUNTY)}
    # Half of the yellow and red customers have been told in writing; the rest are held back and listed.
    for code, clerk in clerks.items():
        if clerk is None:
            continue
        company = Company.objects.get(code=code)
        needing = notices.needing_notice(clerk, company=company)
        for i, item in enumerate(needing.levels[::2]):
            customer = getattr(item, "customer", item)
            try:
                notice = notices.prepare_level_notice(customer, user=clerk)
                notices.record_given(notice, given_on=today, method=("in_person", "post")[i % 2], user=clerk)
            except TransitionError:
                continue
    seed_credit_work(today)
    period = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    if Batch.objects.filter(period=period).exclude(status="draft").exists():
        return None
    return services.build_now(period, label="seed_demo").number
