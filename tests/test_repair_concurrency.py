"""Two users at once (PostgreSQL): numbers from the locked counter are never issued twice, and two
supervisors deciding the same request are serialised by its row lock — the second is refused."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from customers.services import TransitionError
from repair import services
from repair.models import NumberCounter, RepairRequest
from tests import factories
from tests.conftest import require_service
from tests.repair_support import lodge

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(*fns):
    boxes = [{} for _ in fns]
    barrier = threading.Barrier(len(fns))

    def target(fn, box):
        try:
            barrier.wait(timeout=10)
            box["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(fn, box)) for fn, box in zip(fns, boxes, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return boxes


def test_concurrent_lodgings_get_distinct_numbers():
    require_service("PostgreSQL (DATABASE_URL)", os.environ.get("DATABASE_URL", "").startswith("postgres"))
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",))
    customers = [factories.customer("city") for _ in range(4)]
    events = [factories.event(c) for c in customers]
    boxes = in_threads(*(lambda c=c, e=e: lodge(c, clerk, events=[e]) for c, e in zip(customers, events, strict=True)))
    assert not [b["error"] for b in boxes if "error" in b]
    numbers = sorted(b["value"].number for b in boxes)
    assert len(set(numbers)) == 4 and [n[-4:] for n in numbers] == ["0001", "0002", "0003", "0004"]
    assert NumberCounter.objects.get().last == 4


def test_two_supervisors_deciding_at_once_one_is_refused():
    require_service("PostgreSQL (DATABASE_URL)", os.environ.get("DATABASE_URL", "").startswith("postgres"))
    clerk = factories.user("clerk_city", roles=("clerk",), companies=("city",))
    first = factories.user("supervisor", roles=("supervisor",), companies=("city",))
    second = factories.user("supervisor_city", roles=("supervisor",), companies=("city",))
    customer = factories.customer("city")
    req = lodge(customer, clerk, events=[factories.event(customer)])
    services.accept(req.pk, user=first)
    boxes = in_threads(
        lambda: services.reject(req.pk, user=first, reason="未整改"),
        lambda: services.reject(req.pk, user=second, reason="材料不全"),
    )
    outcomes = [b.get("error") or b.get("value") for b in boxes]
    assert sum(isinstance(o, RepairRequest) for o in outcomes) == 1
    assert sum(isinstance(o, TransitionError) for o in outcomes) == 1, outcomes
    req.refresh_from_db()
    assert req.status == RepairRequest.Status.REJECTED and req.decision_reason in ("未整改", "材料不全")
