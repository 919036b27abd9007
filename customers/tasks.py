"""Celery tasks of the ground floor: an import job, and the sweeper of import jobs whose worker died."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="customers.import_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def import_job_task(job_id: int) -> None:
    """Run one queued import (customers.import_jobs.execute; idempotent: a finished job is left alone)."""
    from .import_jobs import execute

    execute(job_id)


@shared_task(name="customers.sweep", ignore_result=True)
def sweep_import_jobs_task() -> None:
    from .import_jobs import sweep

    sweep()
