"""Small builders for test data: real model instances, valid USCCs, Chinese names."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, User

from customers.models import Bill, Company, Customer, Event
from customers.uscc import make_uscc

_seq = itertools.count(1)


def uscc(n: int | None = None, prefix: str = "91") -> str:
    """A valid USCC: prefix + Suizhou region code 421300 + 9-character organisation code."""
    n = next(_seq) if n is None else n
    return make_uscc(f"{prefix}421300{n:09d}")


def company(code: str) -> Company:
    return Company.objects.get(code=code)


def customer(company_code: str = "city", **kw) -> Customer:
    n = next(_seq)
    defaults = dict(
        account_no=f"T{n:06d}",
        name=f"随州测试{n}号有限公司",
        uscc=uscc(n),
        company=company(company_code),
        opened_on=datetime.date(2019, 1, 1),
        payment_mode=Customer.PREPAID,
    )
    defaults.update(kw)
    return Customer.objects.create(**defaults)


def bill(customer: Customer, period: str, *, amount="100.00", due_on=None, paid_on=None) -> Bill:
    y, m = map(int, period.split("-"))
    due_on = due_on or datetime.date(y, m, 25)
    return Bill.objects.create(customer=customer, period=period, amount=Decimal(amount), due_on=due_on, paid_on=paid_on)


def event(customer: Customer, type: str = "contract_violation", **kw) -> Event:
    n = next(_seq)
    defaults = dict(ref=f"EV{n:08d}", occurred_on=datetime.date(2026, 1, 15))
    defaults.update(kw)
    return Event.objects.create(customer=customer, type=type, **defaults)


def user(username: str, roles: tuple[str, ...] = ("clerk",), companies: tuple[str, ...] = ("city",), **kw) -> User:
    u = User.objects.create_user(username=username, password="pw-" + username, **kw)
    u.groups.set(Group.objects.filter(name__in=roles))
    for code in companies:
        company(code).members.add(u)
    return u
