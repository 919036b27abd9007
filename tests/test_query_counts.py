"""Main pages make as many queries with many records as with few (no query per row shown).

Each test renders a page with few records, adds many of the kind the page lists (by different
users, in different states and companies, so a per-row lookup of any of them would show), renders it
again and compares the two query counts. The pages with such tests elsewhere: the customer list
(test_pages_list), credit file (test_pages_detail), change history (test_history_chinese), dashboard
(test_dashboard, test_batch_pages), runs, run page and level lists (test_run_summary,
test_rating_effective), repair queue and request page (test_repair_pages), notices (test_notices), a
platform batch (test_batch_pages).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.audit import acting_as, record
from customers.models import AuditEntry, Company, ImportJob
from pledges import services as pledge_services
from pledges.models import PledgeBatch
from tests import factories
from tests.pledge_support import printed_on, signed_on


def queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx), response.content.decode()


def assert_fixed(client, url: str, add_many) -> tuple[str, str]:
    """The page's query count with few records == with many (after `add_many()`); returns both pages."""
    client.get(url)  # warm up (sessions, caches)
    few, before = queries(client, url)
    add_many()
    many, after = queries(client, url)
    assert many == few, f"{url}: {few} queries with few records, {many} with many"
    return before, after


def clerks(n: int):
    return [
        factories.user(f"qc_clerk{i}", roles=("clerk",), companies=("city", "county"), first_name=f"客服{i}")
        for i in range(n)
    ]


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def test_pledge_list(login, supervisor):
    people = clerks(3)
    printed_on(factories.customer("city"), people[0])
    client = login(supervisor)

    def many():
        for i in range(30):
            customer = factories.customer("city" if i % 2 else "county")
            if i % 3:
                signed_on(customer, people[i % 3], days_ago(10 + i))
            else:
                printed_on(customer, people[i % 3])

    before, after = assert_fixed(client, reverse("pledges:list"), many)
    assert after.count("客服2") > before.count("客服2") or after.count("已签署") > before.count("已签署")


def test_pledge_page_with_its_history(login, supervisor):
    people = clerks(4)
    customer = factories.customer("city")
    pledge = pledge_services.prepare_pledge(customer, user=people[0])
    client = login(supervisor)

    def many():
        pledge_services.mark_printed([pledge], user=people[1])
        for i, person in enumerate(people):  # history entries by different users
            with acting_as(user=person):
                record("update", pledge, before={"state": "printed"}, after={"state": "printed", "note": f"补充{i}"})

    before, after = assert_fixed(client, reverse("pledges:detail", args=[pledge.pk]), many)
    assert after.count('data-testid="history-entry"') == before.count('data-testid="history-entry"') + 5


def test_coverage_page_with_customers_and_batches(login, supervisor):
    people = clerks(3)
    factories.customer("city")
    client = login(supervisor)
    city = Company.objects.get(code="city")

    def many():
        for _ in range(55):  # more than a page of customers without a pledge
            factories.customer("city")
        for i in range(5):
            PledgeBatch.objects.create(company=city, status="succeeded", total=1, done=1, created_by=people[i % 3])
        signed_on(factories.customer("city"), people[0], days_ago(3))

    before, after = assert_fixed(client, f"{reverse('pledges:coverage')}?company={city.pk}", many)
    assert after.count("/pledges/batches/") >= before.count("/pledges/batches/") + 5


def test_platform_batch_list(login, supervisor):
    from reporting import services as reporting_services

    factories.customer("city")
    reporting_services.build_now(dt.date(2026, 1, 1))
    client = login(supervisor)

    def many():
        for month in range(2, 9):
            batch = reporting_services.build_now(dt.date(2026, month, 1))
            if month % 2:
                reporting_services.export_batch(batch, user=supervisor)

    before, after = assert_fixed(client, reverse("reporting:batches"), many)
    assert after.count('data-testid="batch-row"') == 8


def test_import_history(login, supervisor):
    people = clerks(3)
    ImportJob.objects.create(kind="bills", file_name="first.csv", actor="qc_clerk0", user=people[0])
    client = login(supervisor)

    def many():
        for i in range(30):
            ImportJob.objects.create(
                kind=("customers", "bills", "events")[i % 3],
                file_name=f"file{i}.xlsx",
                actor=people[i % 3].username,
                user=people[i % 3],
                state=(ImportJob.State.SUCCEEDED, ImportJob.State.INVALID, ImportJob.State.QUEUED)[i % 3],
            )

    before, after = assert_fixed(client, reverse("customers:import_history"), many)
    assert "file29.xlsx" in after


@pytest.mark.django_db
def test_audit_log_admin(client):
    admin = factories.user("qc_admin", roles=("admin",), companies=("city", "county"), is_staff=True, is_superuser=True)
    people = clerks(3)
    customer = factories.customer("city")
    with acting_as(user=people[0]):  # few: one entry by a user (their names are read once for all rows)
        record("update", customer, before={"phone": "1"}, after={"phone": "2"})
    client.force_login(admin)

    def many():
        for i in range(40):
            with acting_as(user=people[i % 3]):
                record("update", customer, before={"phone": str(i)}, after={"phone": str(i + 1)})

    assert_fixed(client, reverse("admin:customers_auditentry_changelist"), many)
    assert AuditEntry.objects.count() >= 40
