"""Celery tasks of the pledges app (they take primary keys; queued after the commit)."""

from __future__ import annotations

from celery import shared_task

from . import batches


@shared_task(name="pledges.build_batch")
def build_batch(batch_id: int) -> int | None:
    """Render a batch's pledges into one PDF; returns how many pages, None if it was not queued."""
    batch = batches.run_batch(batch_id)
    return batch.done if batch is not None else None


@shared_task(name="pledges.sweep", ignore_result=True)
def sweep_task() -> list[int]:
    """Beat, every minute: resume or fail batches whose worker vanished."""
    return batches.sweep()


@shared_task(name="pledges.fold_coverage", ignore_result=True)
def fold_coverage_task() -> int:
    """Beat, hourly: sum the stored coverage rows into one per company (pledges/coverage.py)."""
    from . import coverage

    return coverage.fold()
