"""The monthly task on a real Celery worker (Redis broker and results, PostgreSQL), in several chunks."""

import datetime
import os
import time

import pytest

from ratings.explain import explain_customer
from ratings.models import RatingResult, RatingRun
from ratings.tasks import monthly_rating
from suizhou_credit.celery import app
from tests import factories
from tests.conftest import require_service


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_monthly_rating_on_a_real_worker_in_chunks(settings):
    require_service("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    import celery.contrib.testing.tasks  # noqa: F401  (registers the ping task start_worker needs)
    from celery.contrib.testing.worker import start_worker

    settings.RATING_CHUNK_SIZE = 2
    customers = [factories.customer(payment_mode="prepaid" if i % 2 else "postpaid") for i in range(5)]
    factories.bill(customers[0], "2026-04", due_on=datetime.date(2026, 5, 31))
    factories.event(customers[3], "pipe_outage", pipe_diameter_mm=160, occurred_on=datetime.date(2026, 2, 1))
    app.conf.task_always_eager = False
    try:
        app.control.purge()  # messages left by other tests that queued work without a worker
        with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
            run_id = monthly_rating.delay("2026-12-01").get(timeout=30)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                run = RatingRun.objects.get(pk=run_id)
                if run.status in ("succeeded", "failed"):
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = not os.environ.get("REDIS_URL")
    assert (run.as_of, run.status, run.error) == (datetime.date(2026, 11, 30), "succeeded", "")
    assert (run.total, run.done, run.chunks_total, run.chunks_done) == (5, 5, 3, 3)
    stored = dict(RatingResult.objects.filter(run=run).values_list("customer_id", "level"))
    assert stored == {c.pk: explain_customer(c, run.as_of).level for c in customers}
    assert stored[customers[0].pk] == "red" and stored[customers[3].pk] == "yellow"
