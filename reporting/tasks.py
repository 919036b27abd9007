"""Celery tasks of the reporting app (they take primary keys; queued after the commit)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task

from . import services

log = logging.getLogger(__name__)


# Acknowledged when done: a worker killed mid-build leaves the message to be delivered again, and the
# claim takes the build over once its heartbeat is stale (services.build_stale_after); the sweeper
# queues it again long before the broker's visibility timeout.
@shared_task(name="reporting.build_batch", acks_late=True, reject_on_worker_lost=True)
def build_batch_task(batch_id: int) -> str | None:
    """Build a batch's rows and files; returns its number, None if it was not waiting to be built."""
    batch = services.run_build(batch_id)
    return batch.number if batch is not None else None


@shared_task(name="reporting.build_after_run")
def build_after_run_task(as_of: str) -> str | None:
    """After a month-end run succeeded: build (or rebuild) that month's draft batch."""
    return services.build_after_run(datetime.date.fromisoformat(as_of))


@shared_task(name="reporting.sweep", ignore_result=True)
def sweep_task() -> list[int]:
    """Beat, every minute: resume or fail builds whose worker vanished."""
    return services.sweep()
