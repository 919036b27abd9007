"""Two runs for one date at once: serialised by the run row's lock, and only one attempt writes (PostgreSQL)."""

import datetime
import os
import threading

import pytest
from django.db import connection, transaction

from ratings import runs
from ratings.models import RatingResult, RatingRun
from tests import factories
from tests.conftest import require_service

D = datetime.date(2026, 11, 30)


def in_thread(fn):
    box = {}

    def target():
        try:
            box["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
        finally:
            connection.close()

    t = threading.Thread(target=target)
    t.start()
    return t, box


@pytest.mark.django_db(transaction=True)
def test_claim_waits_for_the_row_lock_and_concurrent_runs_never_both_write():
    require_service("PostgreSQL (DATABASE_URL)", os.environ.get("DATABASE_URL", "").startswith("postgres"))
    for _ in range(4):
        factories.customer()
    RatingRun.objects.create(as_of=D, status="succeeded", attempt=1)
    with transaction.atomic():
        RatingRun.objects.select_for_update().get(as_of=D)  # another claim holds the row
        t, box = in_thread(lambda: runs.claim_run(D, RatingRun.Trigger.MANUAL))
        t.join(timeout=1.0)
        assert t.is_alive(), "the second claim must wait for the row lock"
    t.join(timeout=10)
    assert box["value"].attempt == 2

    # Two full runs at once: one is refused (run in progress) or they run one after the other;
    # either way the date ends with one succeeded run and exactly one result per customer.
    RatingRun.objects.filter(as_of=D).update(status="failed")
    threads = [in_thread(lambda: runs.run_rating(D, RatingRun.Trigger.COMMAND)) for _ in range(2)]
    for t, _box in threads:
        t.join(timeout=30)
    outcomes = [box.get("error") or box.get("value") for _t, box in threads]
    assert any(isinstance(o, RatingRun) for o in outcomes)
    assert all(isinstance(o, (RatingRun, runs.RunInProgress)) for o in outcomes), outcomes
    run = RatingRun.objects.get(as_of=D)
    assert run.status == "succeeded"
    assert RatingResult.objects.filter(run=run).count() == 4


@pytest.mark.django_db(transaction=True)
def test_command_run_outside_a_transaction_gathers_the_next_chunk_while_writing(settings):
    """On PostgreSQL outside a transaction, run_rating pipelines chunks over two connections; same results."""
    require_service("PostgreSQL (DATABASE_URL)", os.environ.get("DATABASE_URL", "").startswith("postgres"))
    settings.RATING_CHUNK_SIZE = 2
    customers = [factories.customer(payment_mode="prepaid" if i % 2 else "postpaid") for i in range(7)]
    factories.bill(customers[2], "2026-04", due_on=datetime.date(2026, 5, 31))
    factories.event(customers[5], "dishonesty_general", occurred_on=datetime.date(2026, 1, 5))
    factories.event(customers[5], "dishonesty_general", occurred_on=datetime.date(2026, 1, 6))
    assert not connection.in_atomic_block
    run = runs.run_rating(D)
    assert (run.status, run.total, run.done, run.chunks_total, run.chunks_done) == ("succeeded", 7, 7, 4, 4)
    stored = dict(RatingResult.objects.filter(run=run).values_list("customer_id", "level"))
    from ratings.explain import explain_customer

    assert stored == {c.pk: explain_customer(c, D).level for c in customers}
    assert stored[customers[2].pk] == "red" and stored[customers[5].pk] == "yellow"
