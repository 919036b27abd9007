"""`manage.py seed_demo`: a realistic data set over both companies, valid records, audited,
demo users with the right roles, and idempotent."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from customers import demo
from customers.models import (
    EVENT_ALLOWED_FIELDS,
    EVENT_REQUIRED_FIELDS,
    EVENT_TYPE_FIELDS,
    AuditEntry,
    Bill,
    Company,
    Customer,
    Event,
    EventType,
)
from customers.uscc import uscc_error, uscc_kind
from pledges.models import Pledge
from repair.models import RepairRequest
from reporting.models import Batch, Notice
from reporting.models_cases import CreditCase
from reporting.models_checks import CreditCheck
from reporting.models_publicity import PublicityItem
from reporting.models_tracker import ProgressReport
from tests import factories

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_seed_demo_builds_a_realistic_audited_data_set():
    output = seed()
    today = timezone.localdate()
    customers = list(Customer.objects.select_related("company"))

    # Customers: about 300, city ~60 %, both payment modes, valid and unique USCCs, several kinds.
    assert 250 <= len(customers) <= 350
    by_company = Counter(c.company.code for c in customers)
    assert 0.5 <= by_company[Company.CITY] / len(customers) <= 0.7
    assert by_company[Company.COUNTY] > 0
    prepaid = sum(c.payment_mode == Customer.PREPAID for c in customers)
    assert 0.3 <= prepaid / len(customers) <= 0.5
    assert all(uscc_error(c.uscc) is None for c in customers), [c.uscc for c in customers if uscc_error(c.uscc)]
    assert len({c.uscc for c in customers}) == len(customers)
    assert all(c.kind == uscc_kind(c.uscc) for c in customers)
    assert {c.uscc[:2] for c in customers} >= {"91", "92", "93", "12"}
    assert {c.uscc[2:8] for c in customers} >= {"421302", "421321", "421381", "421300"}
    assert all(datetime.date(2010, 1, 1) <= c.opened_on <= min(today, datetime.date(2025, 12, 31)) for c in customers)
    assert all(c.name and c.address and c.legal_representative and c.phone for c in customers)
    assert any("有限公司" in c.name for c in customers) and any("合作社" in c.name for c in customers)

    # Bills: monthly, up to last month, due after the period, never paid in the future.
    bills = Bill.objects.all()
    assert bills.count() > 20 * len(customers)
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    assert max(bills.values_list("period", flat=True)) == last_month
    assert not bills.filter(paid_on__gt=today).exists()
    assert all(b.due_on > datetime.date.fromisoformat(b.period + "-01") for b in bills.only("period", "due_on"))
    late = bills.filter(paid_on__gt=F("due_on")).count()
    assert 0 < late < bills.count() * 0.1  # mostly on time, some late
    overdue = Counter(bills.filter(paid_on__isnull=True, due_on__lt=today).values_list("customer_id", flat=True))
    assert overdue and max(overdue.values()) <= 8
    assert {n for n in overdue.values() if n >= 6}, "some customers owe six months or more"

    # Events: every type, type-specific fields valid, dated in the last three years and after opening.
    events = list(Event.objects.select_related("customer"))
    assert {e.type for e in events} == set(EventType.values)
    for e in events:
        given = {f for f in EVENT_TYPE_FIELDS if getattr(e, f) not in (None, "", False)}
        assert set(EVENT_REQUIRED_FIELDS.get(e.type, ())) <= given, e.ref
        assert given <= set(EVENT_ALLOWED_FIELDS.get(e.type, ())), e.ref
        assert e.customer.opened_on <= e.occurred_on <= today
        assert e.occurred_on > today - datetime.timedelta(days=3 * 366)
    thefts = [e.amount for e in events if e.type == EventType.WATER_THEFT]
    assert min(thefts) < 10000 <= max(thefts)
    outages = [(e.pipe_diameter_mm, e.force_majeure) for e in events if e.type == EventType.PIPE_OUTAGE]
    assert {160, 200} <= {d for d, _ in outages}
    assert any(fm for _, fm in outages) and not all(fm for _, fm in outages)
    assert {e.severity for e in events if e.type == EventType.FACILITY_DAMAGE} == {"minor", "serious"}
    voided = [e for e in events if e.voided_at]
    assert 1 <= len(voided) <= 10
    assert all(e.void_reason and e.voided_by and e.voided_by.username == "supervisor" for e in voided)
    assert len({e.ref for e in events}) == len(events)

    # Audit: one create entry per record, plus one per voided event, all by the command.
    entries = AuditEntry.objects.all()
    # the demo's writes, and the breaches its events cause, which are the system's finding
    assert set(entries.values_list("actor", flat=True)) <= {demo.DEMO_ACTOR, "system:pledge_breach"}
    counts = dict(entries.filter(action=AuditEntry.CREATE).values_list("model").annotate(n=Count("id")))
    pledges = Pledge.objects.all()
    assert counts == {
        "customer": len(customers),
        "bill": bills.count(),
        "event": len(events),
        "pledge": pledges.count(),
        "repair": RepairRequest.objects.count(),
        "notice": Notice.objects.count(),
        "batch": Batch.objects.count(),
        "creditcheck": CreditCheck.objects.count(),
        "creditcase": CreditCase.objects.count(),
        "publicity": PublicityItem.objects.count(),
        "progressreport": ProgressReport.objects.count(),
    }
    # Last month's draft batch: the yellow and red customers not yet told in writing are held back.
    batch = Batch.objects.get()
    assert batch.status == "draft" and batch.build_state == "done" and batch.counts["rating"]["included"] > 0
    assert Notice.objects.filter(given_on__isnull=False).count() == Notice.objects.count() > 0
    assert 0 < batch.counts["rating"]["held"] < batch.counts["rating"]["included"]
    assert entries.filter(action=AuditEntry.VOID, model="event").count() == len(voided)

    # Pledges: some signed with a scan, some printed or prepared, one breached, one revoked.
    states = Counter(pledges.values_list("state", flat=True))
    assert states["signed"] >= 20 and states["printed"] >= 1 and states["prepared"] >= 1
    assert states["breached"] == 1 and states["revoked"] == 1
    assert all(p.scan and len(p.scan_sha256) == 64 for p in pledges.filter(state__in=["signed", "breached"]))
    sample = entries.filter(model="customer").first()
    assert sample.customer.account_no == sample.object_id
    assert "***" in sample.after["phone"]  # masked

    # The login table is printed.
    for username in ("clerk_city", "clerk_county", "supervisor", "admin", "service_center"):
        assert username in output
    assert demo.DEMO_PASSWORD in output

    # A second run creates nothing and still prints the logins.
    before = (Customer.objects.count(), Bill.objects.count(), Event.objects.count(), entries.count())
    again = seed()
    assert "已存在" in again and "clerk_city" in again
    assert (Customer.objects.count(), Bill.objects.count(), Event.objects.count(), entries.count()) == before
    assert User.objects.count() == 5


DEMO_ROLES = {
    # username: (groups, companies, superuser and staff)
    "clerk_city": ({"clerk"}, {Company.CITY}, False),
    "clerk_county": ({"clerk"}, {Company.COUNTY}, False),
    "supervisor": ({"supervisor"}, {Company.CITY, Company.COUNTY}, False),
    "admin": ({"admin"}, {Company.CITY, Company.COUNTY}, True),
    "service_center": ({"service_center"}, {Company.CITY, Company.COUNTY}, False),
}


def test_demo_users_have_their_role_and_companies():
    seed("--customers", "60")
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_ROLES)
    for username, (groups, companies, superuser) in DEMO_ROLES.items():
        user = User.objects.get(username=username)
        assert set(user.groups.values_list("name", flat=True)) == groups, username
        assert set(user.companies.values_list("code", flat=True)) == companies, username
        assert (user.is_superuser, user.is_staff) == (superuser, superuser), username
        assert user.check_password(demo.DEMO_PASSWORD)
        assert user.first_name and all("\u4e00" <= ch <= "\u9fff" for ch in user.first_name)
        visible = Customer.objects.for_user(user)
        assert set(visible.values_list("company__code", flat=True)) == companies, username


def test_demo_password_passes_the_validators():
    user = User(username="clerk_city", first_name="王敏", email="clerk_city@demo.invalid")
    validate_password(demo.DEMO_PASSWORD, user)


def test_refuses_a_database_with_real_customers():
    real = factories.customer("city")
    output = seed()
    assert "不写入演示数据" in output
    assert list(Customer.objects.all()) == [real]
    assert not User.objects.exists()
    assert not AuditEntry.objects.exists()


def test_existing_user_is_left_alone():
    User.objects.create_user("admin", password="the-real-one", first_name="管理员")
    seed("--customers", "60")
    admin = User.objects.get(username="admin")
    assert admin.check_password("the-real-one")
    assert not admin.is_superuser
    assert [row[0] for row in demo.login_rows()] == [
        "clerk_city",
        "clerk_county",
        "supervisor",
        "service_center",
    ]  # no password shown


def test_same_seed_same_customers():
    companies = {Company.CITY: Company(pk=1, code=Company.CITY), Company.COUNTY: Company(pk=2, code=Company.COUNTY)}
    today = datetime.date(2026, 11, 28)

    def build(seed_value):
        plans = demo.build_customers(random.Random(seed_value), 80, today, companies)
        return [(p.customer.account_no, p.customer.name, p.customer.uscc, p.behaviour) for p in plans]

    assert build(7) == build(7)
    assert build(7) != build(8)


def test_as_of_date_bounds_bills_and_events():
    seed("--customers", "60", "--today", "2025-06-15")
    assert max(Bill.objects.values_list("period", flat=True)) == "2025-05"
    assert not Event.objects.filter(occurred_on__gte=datetime.date(2025, 6, 15)).exists()
    assert not Bill.objects.filter(Q(paid_on__gte=datetime.date(2025, 6, 15))).exists()
