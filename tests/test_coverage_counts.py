"""Stored pledge coverage (pledges/coverage.py) agrees with a recount after every kind of change.

The dashboard and the coverage page read the stored figures; PostgreSQL triggers keep them. Each
test changes customers or pledges the way the product does (ORM, bulk writes, the importer, the
pledge services) and compares the stored figures with a count over the tables (`live_counts`).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from customers.audit import acting_as
from customers.importer import run_import
from customers.models import Company, Customer
from pledges import coverage, services
from pledges.models import CoverageCount, Pledge, PledgeState
from tests import factories
from tests.pledge_support import scan, signed_on

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="stored by PostgreSQL triggers")


def companies() -> list[Company]:
    return [factories.company("city"), factories.company("county")]


def assert_agrees() -> dict[str, tuple[int, int]]:
    """Stored figures == a recount; returns them by company code for the test's own expectations."""
    scope = companies()
    stored, live = coverage.coverage_counts(scope), coverage.live_counts(scope)
    assert stored == live
    return {c.code: stored[c.pk] for c in scope}


@pytest.fixture
def signer(db):
    return factories.user("cov_clerk", roles=("clerk",), companies=("city", "county"), first_name="覆盖客服")


@pytest.fixture
def boss(db):
    return factories.user("cov_boss", roles=("supervisor",), companies=("city", "county"), first_name="主管")


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def test_customers_created_one_by_one_and_in_bulk(db):
    factories.customer("city")
    factories.customer("county", uscc="")  # no USCC: not rateable
    assert assert_agrees() == {"city": (1, 0), "county": (0, 0)}
    city = factories.company("city")
    Customer.objects.bulk_create(
        Customer(
            account_no=f"B{i:04d}",
            name=f"随州批量{i}号商行",
            uscc=factories.uscc(70000 + i),
            company=city,
            opened_on=dt.date(2020, 1, 1),
            payment_mode=Customer.POSTPAID,
        )
        for i in range(30)
    )
    assert assert_agrees() == {"city": (31, 0), "county": (0, 0)}


def test_customer_not_yet_opened_counts_from_its_opening_day(db):
    factories.customer("city", opened_on=timezone.localdate() + dt.timedelta(days=3))
    factories.customer("city")
    assert assert_agrees() == {"city": (1, 0), "county": (0, 0)}
    in_three_days = timezone.localdate() + dt.timedelta(days=3)
    scope = companies()
    assert coverage.coverage_counts(scope, in_three_days) == coverage.live_counts(scope, in_three_days)
    assert coverage.coverage_counts(scope, in_three_days)[scope[0].pk] == (2, 0)
    a_month_ago = timezone.localdate() - dt.timedelta(days=30)  # older than the stored dates tell apart: live
    assert coverage.coverage_counts(scope, a_month_ago) == coverage.live_counts(scope, a_month_ago)


def test_opening_date_moved_into_the_future_and_back(db, signer):
    a = factories.customer("city")
    signed_on(a, signer, days_ago(5))
    a.opened_on = timezone.localdate() + dt.timedelta(days=10)  # corrected: opens later
    a.save()
    assert assert_agrees()["city"] == (0, 0)
    a.opened_on = timezone.localdate() - dt.timedelta(days=2)
    a.save()
    assert assert_agrees()["city"] == (1, 1)


def test_customer_edits_moves_and_deletes(db, signer):
    a = factories.customer("city")
    b = factories.customer("city")
    signed_on(a, signer, days_ago(5))
    assert assert_agrees() == {"city": (2, 1), "county": (0, 0)}
    a.company = factories.company("county")  # moved, with its signed pledge
    a.save()
    assert assert_agrees() == {"city": (1, 0), "county": (1, 1)}
    a.uscc = ""
    a.save()
    assert assert_agrees() == {"city": (1, 0), "county": (0, 0)}
    a.uscc = factories.uscc(99123)
    a.address = "随州市曾都区新址"
    a.save()
    assert assert_agrees() == {"city": (1, 0), "county": (1, 1)}
    Customer.objects.filter(pk=a.pk).update(phone="0722-1234567")  # nothing that counts
    Customer.objects.filter(company__code="county").update(company=factories.company("city"))
    assert assert_agrees() == {"city": (2, 1), "county": (0, 0)}
    b.delete()
    assert assert_agrees() == {"city": (1, 1), "county": (0, 0)}


def test_customers_imported_from_a_file(db, tmp_path):
    from tests.test_importer import CUSTOMER_HEADER, customer_row, write_csv

    rows = [customer_row(f"I{n:03d}", n, company="city" if n % 3 else "county") for n in range(12)]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    with acting_as("command:import_records"):
        assert not run_import("customers", str(path)).errors
    first = assert_agrees()
    assert first["city"][0] + first["county"][0] == 12
    # The same file with two customers moved to the other company: an import of updates.
    rows[1] = customer_row("I001", 1, company="county")
    rows[2] = customer_row("I002", 2, company="county")
    write_csv(path, CUSTOMER_HEADER, rows)
    with acting_as("command:import_records"):
        assert not run_import("customers", str(path)).errors
    second = assert_agrees()
    assert second["county"][0] == first["county"][0] + 2


def test_pledges_through_their_life(db, signer, boss):
    a, b, c = (factories.customer("city") for _ in range(3))
    prepared = services.prepare_pledge(a, user=signer)
    assert assert_agrees()["city"] == (3, 0)  # prepared and printed do not count
    services.mark_printed([prepared], user=signer)
    assert assert_agrees()["city"] == (3, 0)
    services.sign_pledge(prepared, signed_on=timezone.localdate(), received_by=signer, scan=scan(), user=signer)
    assert assert_agrees()["city"] == (3, 1)
    second = signed_on(b, signer, days_ago(20))
    assert assert_agrees()["city"] == (3, 2)
    services.fulfil_pledge(second, on=timezone.localdate(), user=boss)
    assert assert_agrees()["city"] == (3, 2)  # fulfilled still counts
    services.revoke_pledge(prepared, reason="客户申请撤回", user=boss)
    assert assert_agrees()["city"] == (3, 1)
    services.register_paper_pledge(c, signed_on=days_ago(400), received_by=signer, scan=scan(), user=signer)
    assert assert_agrees()["city"] == (3, 2)


def test_breach_and_bulk_updates_and_deletes_of_pledges(db, signer):
    a, b = factories.customer("city"), factories.customer("county")
    pa, pb = signed_on(a, signer, days_ago(30)), signed_on(b, signer, days_ago(30))
    factories.event(a, "water_theft", occurred_on=days_ago(2))
    services.sync_breaches([a.pk])
    assert Pledge.objects.get(pk=pa.pk).state == PledgeState.BREACHED
    assert assert_agrees() == {"city": (1, 1), "county": (1, 1)}  # breached: signed all the same
    Pledge.objects.filter(pk__in=[pa.pk, pb.pk]).update(state=PledgeState.REVOKED)
    assert assert_agrees() == {"city": (1, 0), "county": (1, 0)}
    Pledge.objects.filter(pk=pb.pk).update(state=PledgeState.SIGNED)
    assert assert_agrees() == {"city": (1, 0), "county": (1, 1)}
    Pledge.objects.filter(pk=pb.pk).delete()
    assert assert_agrees() == {"city": (1, 0), "county": (1, 0)}


def test_a_rolled_back_change_leaves_the_figures(db, signer):
    a = factories.customer("city")
    with pytest.raises(RuntimeError), transaction.atomic():
        signed_on(a, signer, days_ago(3))
        factories.customer("city")
        raise RuntimeError("undo")
    assert assert_agrees()["city"] == (1, 0)


def test_fold_keeps_the_figures_in_one_row_per_company(db, signer):
    for _ in range(4):
        signed_on(factories.customer("county"), signer, days_ago(3))
    before = assert_agrees()
    assert CoverageCount.objects.count() > 2
    coverage.fold()
    assert CoverageCount.objects.count() == Company.objects.count()
    assert assert_agrees() == before


def test_recount_command_repairs_drifted_figures(db, signer):
    signed_on(factories.customer("city"), signer, days_ago(3))
    expected = assert_agrees()
    CoverageCount.objects.all().delete()  # as if the triggers had been off
    assert coverage.coverage_counts(companies()) != coverage.live_counts(companies())
    out = io.StringIO()
    call_command("recount", stdout=out)
    assert assert_agrees() == expected
    text = out.getvalue()
    assert "城市供水公司" in text and "已签署 1" in text and "已更正" in text


def test_dashboard_shows_the_stored_coverage(db, login, supervisor, signer):
    signed_on(factories.customer("city"), signer, days_ago(3))
    factories.customer("city")
    html = login(supervisor).get("/dashboard/").content.decode()
    assert "已签署 50.0%" in html
