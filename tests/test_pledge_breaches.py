"""履约践诺: a signed pledge is breached by a counting event after its signing date, and un-breached
when that event is voided; events before signing, force-majeure outages and voided events do not count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from customers.models import AuditEntry, Event
from customers.services import record_event, void_event
from pledges import services
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeState
from tests import factories
from tests.pledge_support import at

pytestmark = pytest.mark.django_db
SIGNED_ON = dt.date(2026, 3, 2)


@pytest.fixture
def pledge(city_customer, clerk_city) -> Pledge:
    with at(SIGNED_ON):  # generated and printed on the day it is signed
        p = services.prepare_pledge(city_customer, user=clerk_city)
        services.mark_printed([p])
    return services.sign_pledge(
        p, signed_on=SIGNED_ON, received_by=clerk_city, scan=ContentFile(tiny_scan_pdf(), "s.pdf"), user=clerk_city
    )


def test_event_after_signing_breaches_and_voiding_it_unbreaches(pledge, city_customer, clerk_city, supervisor, login):
    event = record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2026, 4, 1))
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED
    assert pledge.breach_event == event and pledge.breached_on == dt.date(2026, 4, 1)
    page = login(clerk_city).get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
    assert "未履行" in page and event.ref in page and f"#event-{event.pk}" in page
    assert AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk), after__state="breached").exists()

    void_event(event.pk, user=supervisor, reason="录入错误")
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.SIGNED and pledge.breach_event is None and pledge.breached_on is None


def test_earliest_counting_event_is_the_breach_and_the_next_one_takes_over(
    pledge, city_customer, clerk_city, supervisor
):
    later = record_event(
        city_customer, user=clerk_city, type="water_theft", amount="500.00", occurred_on=dt.date(2026, 5, 1)
    )
    earlier = record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2026, 4, 1))
    pledge.refresh_from_db()
    assert pledge.breach_event == earlier
    void_event(earlier.pk, user=supervisor, reason="重复录入")
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED and pledge.breach_event == later
    assert pledge.breached_on == dt.date(2026, 5, 1)


def test_events_on_or_before_signing_do_not_breach(pledge, city_customer, clerk_city):
    record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=SIGNED_ON)
    record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2026, 1, 5))
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.SIGNED


def test_force_majeure_outage_does_not_breach_but_an_ordinary_outage_does(pledge, city_customer, clerk_city):
    record_event(
        city_customer,
        user=clerk_city,
        type="pipe_outage",
        pipe_diameter_mm=200,
        force_majeure=True,
        occurred_on=dt.date(2026, 4, 1),
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.SIGNED
    record_event(
        city_customer, user=clerk_city, type="pipe_outage", pipe_diameter_mm=100, occurred_on=dt.date(2026, 4, 2)
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED and pledge.breached_on == dt.date(2026, 4, 2)


def test_a_repaired_event_no_longer_breaches(pledge, city_customer, clerk_city):
    from django.utils import timezone

    event = record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2026, 4, 1))
    Event.objects.filter(pk=event.pk).update(repaired_at=timezone.now())
    services.sync_breaches([city_customer.pk])
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.SIGNED


def test_signing_after_an_event_already_recorded_later_breaches_at_once(city_customer, clerk_city):
    factories.event(city_customer, occurred_on=dt.date(2026, 4, 1))
    with at(SIGNED_ON):
        p = services.prepare_pledge(city_customer, user=clerk_city)
        services.mark_printed([p])
    p = services.sign_pledge(
        p, signed_on=SIGNED_ON, received_by=clerk_city, scan=ContentFile(tiny_scan_pdf(), "s.pdf"), user=clerk_city
    )
    assert p.state == PledgeState.BREACHED


def test_other_customers_and_unsigned_pledges_are_untouched(pledge, clerk_city):
    other = factories.customer("city")
    prepared = services.prepare_pledge(other, user=clerk_city)
    record_event(other, user=clerk_city, type="contract_violation", occurred_on=dt.date(2026, 4, 1))
    pledge.refresh_from_db()
    prepared.refresh_from_db()
    assert pledge.state == PledgeState.SIGNED and prepared.state == PledgeState.PREPARED


def test_importer_created_events_breach(pledge, city_customer, tmp_path):
    from customers.importer.engine import run_import

    path = tmp_path / "events.csv"
    path.write_text(
        "ref,account_no,type,occurred_on\n"
        f"IMP-1,{city_customer.account_no},contract_violation,2026-04-03\n"
        f"IMP-0,{city_customer.account_no},contract_violation,2026-02-01\n",
        encoding="utf-8",
    )
    result = run_import("events", str(path))
    assert result.ok, result.errors
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED
    assert pledge.breach_event.ref == "IMP-1" and pledge.breached_on == dt.date(2026, 4, 3)


def test_sync_without_ids_looks_at_every_signed_pledge(pledge, city_customer):
    Event.objects.create(
        ref="RAW-1", customer=city_customer, type="contract_violation", occurred_on=dt.date(2026, 4, 9)
    )  # written behind the services' back: no signal
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.SIGNED
    assert services.sync_breaches(None) == 1
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED
    assert services.sync_breaches(None) == 0
