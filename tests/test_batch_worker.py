"""The batch is built by a real Celery worker (through Redis when REDIS_URL is set), with progress; a lost
build is taken over; the scheduled month-end run builds the month's draft by itself."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from customers.models import Company, Customer
from ratings.models import RatingResult, RatingRun
from reporting import services
from reporting.models import Batch, BatchRow, BuildState, Sheet
from tests import factories


def _world(n: int = 300) -> None:
    for code, name in (("city", "随州市城市供水有限公司"), ("county", "随县供水有限公司")):
        company = Company.objects.get(code=code)
        company.registered_name, company.uscc = name, factories.uscc(910000000 + company.pk)
        company.save()
    city = Company.objects.get(code="city")
    customers = Customer.objects.bulk_create(
        [
            Customer(
                account_no=f"W{i:06d}",
                name=f"随州报送测试{i}号有限公司",
                uscc=factories.uscc(),
                company=city,
                opened_on=dt.date(2020, 1, 1),
                payment_mode=Customer.POSTPAID,
            )
            for i in range(n)
        ]
    )
    run = RatingRun.objects.create(as_of=dt.date(2026, 11, 30), status=RatingRun.Status.SUCCEEDED)
    RatingResult.objects.bulk_create([RatingResult(run=run, customer=c, level="green") for c in customers])


def _wait(batch_id: int, timeout: float = 120) -> Batch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = Batch.objects.get(pk=batch_id)
        if batch.build_state in (BuildState.DONE, BuildState.FAILED):
            return batch
        time.sleep(0.3)
    raise AssertionError(f"batch {batch_id} not built: {Batch.objects.get(pk=batch_id).build_state}")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_builds_the_batch_with_progress(celery_worker_or_eager):
    _world()
    supervisor = factories.user("sup_worker", roles=("supervisor",), companies=("city", "county"))
    batch = services.start_build(dt.date(2026, 11, 1), user=supervisor)
    assert batch.build_state == BuildState.QUEUED
    batch = _wait(batch.pk)
    assert batch.build_state == BuildState.DONE, batch.build_error
    assert (batch.build_done, batch.build_total) == (900, 900)  # each row: the batch, the workbook, the zip
    assert batch.counts[Sheet.RATING] == {"included": 300, "held": 0}
    assert batch.xlsx and batch.csv_zip and batch.built_by == supervisor


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_the_scheduled_month_end_run_builds_the_month_draft(celery_worker_or_eager):
    from ratings.tasks import monthly_rating

    _world(20)
    RatingRun.objects.all().delete()
    monthly_rating.delay("2026-12-01")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not Batch.objects.filter(build_state=BuildState.DONE).exists():
        time.sleep(0.3)
    batch = Batch.objects.get()
    assert batch.number == "202611-01" and batch.build_state == BuildState.DONE
    assert batch.built_by_label == "task:reporting.build_after_run"
    assert BatchRow.objects.filter(batch=batch, sheet=Sheet.RATING).count() == 20


@pytest.mark.django_db
def test_a_lost_build_is_taken_over_and_a_running_one_is_not_doubled(settings):
    _world(5)
    batch = services.start_build(dt.date(2026, 11, 1), enqueue=False)
    Batch.objects.filter(pk=batch.pk).update(build_state=BuildState.RUNNING, build_started_at=timezone.now())
    with pytest.raises(services.BatchError, match="正在生成"):
        services.start_build(dt.date(2026, 11, 1), enqueue=False)
    assert services.run_build(batch.pk) is None  # another worker holds it
    # The worker died an hour ago: the build can be started again and completes.
    Batch.objects.filter(pk=batch.pk).update(build_started_at=timezone.now() - dt.timedelta(hours=1))
    again = services.start_build(dt.date(2026, 11, 1), enqueue=False)
    assert again.pk == batch.pk
    built = services.run_build(batch.pk)
    assert built.build_state == BuildState.DONE and built.counts[Sheet.RATING]["included"] == 5


@pytest.mark.django_db
def test_a_failed_build_keeps_the_previous_rows_and_says_why_briefly(monkeypatch):
    _world(5)
    first = services.build_now(dt.date(2026, 11, 1))
    rows_before = BatchRow.objects.filter(batch=first).count()

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/app/secret/path.py line 3: boom")

    monkeypatch.setattr("reporting.builder.repair_rows", broken)
    with pytest.raises(RuntimeError):
        services.build_now(dt.date(2026, 11, 1))
    batch = Batch.objects.get(pk=first.pk)
    assert (
        batch.build_state == BuildState.FAILED and "/srv" not in batch.build_error and "系统日志" in batch.build_error
    )
    assert batch.generation == first.generation
    assert BatchRow.objects.filter(batch=batch).count() == rows_before


@pytest.mark.django_db(transaction=True)
def test_a_build_that_cannot_be_queued_fails_at_once_with_a_reason(monkeypatch):
    """Redis down when a supervisor starts a build: no batch left 'queued' with no task behind it."""
    from kombu.exceptions import OperationalError

    from reporting.tasks import build_batch_task

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(build_batch_task, "apply_async", broker_down)
    _world(3)
    supervisor = factories.user("sup_down", roles=("supervisor",), companies=("city", "county"))
    batch = services.start_build(dt.date(2026, 11, 1), user=supervisor)
    batch.refresh_from_db()
    assert batch.build_state == BuildState.FAILED
    assert "Redis" in batch.build_error and "6379" not in batch.build_error and "重新生成" in batch.build_error
    # It can be started again at once (no half-hour wait), and builds when the broker is back.
    monkeypatch.undo()
    again = services.start_build(dt.date(2026, 11, 1), user=supervisor, enqueue=False)
    assert again.pk == batch.pk and services.run_build(batch.pk).build_state == BuildState.DONE
