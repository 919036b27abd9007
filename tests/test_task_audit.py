"""Writes made by a Celery task are audited under the task's name."""

import pytest

from customers import audit
from customers.models import AuditEntry, Event
from customers.services import record_event
from suizhou_credit.celery import app
from tests import factories


@app.task(name="tests.record_demo_event")
def record_demo_event(customer_id: int) -> int:
    from customers.models import Customer

    customer = Customer.objects.get(pk=customer_id)
    return record_event(customer, user=None, type="order_disruption", occurred_on=customer.opened_on).pk


@pytest.mark.django_db
def test_task_writes_are_attributed_to_the_task():
    customer = factories.customer("city")
    event_id = record_demo_event.apply(args=[customer.pk]).get()
    entry = AuditEntry.objects.get(model="event", object_id=Event.objects.get(pk=event_id).ref)
    assert entry.actor == "task:tests.record_demo_event"
    assert entry.user_id is None
    assert audit.current_actor() == audit.SYSTEM


@pytest.mark.django_db
def test_task_queued_by_a_user_keeps_the_user(clerk_city):
    customer = factories.customer("city")
    with audit.acting_as(user=clerk_city):
        event_id = record_demo_event.apply(args=[customer.pk]).get()
    entry = AuditEntry.objects.get(model="event", object_id=Event.objects.get(pk=event_id).ref)
    assert entry.actor == "task:tests.record_demo_event"
    assert entry.user_id == clerk_city.pk


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_real_worker_on_redis_audits_under_the_task_name():
    """The same task through Redis and a real (in-process, solo-pool) Celery worker."""
    import os

    from tests.conftest import require_service

    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    import celery.contrib.testing.tasks  # noqa: F401  (registers the ping task start_worker needs)
    from celery.contrib.testing.worker import start_worker

    customer = factories.customer("city")
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
            event_id = record_demo_event.delay(customer.pk).get(timeout=30)
    finally:
        app.conf.task_always_eager = not os.environ.get("REDIS_URL")
    entry = AuditEntry.objects.get(model="event", object_id=Event.objects.get(pk=event_id).ref)
    assert entry.actor == "task:tests.record_demo_event"
