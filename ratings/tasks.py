"""Celery tasks of the monthly rating run (see `ratings.runs` for how a run is claimed and chunked).

Beat calls `monthly_rating` on the 1st of each month at 02:00 Asia/Shanghai
(`CELERY_BEAT_SCHEDULE` in settings); it rates as of the last day of the previous month.
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from . import runs
from .models import RatingRun

logger = logging.getLogger(__name__)


def previous_month_end(today: datetime.date) -> datetime.date:
    """The last day of the month before `today`'s month."""
    return today.replace(day=1) - datetime.timedelta(days=1)


@shared_task(name="ratings.monthly_rating")
def monthly_rating(today: str | None = None) -> int | None:
    """Rate as of the last day of the previous month (Asia/Shanghai); returns the run id, None if one is going."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    as_of = previous_month_end(day)
    try:
        run = runs.claim_run(as_of, RatingRun.Trigger.SCHEDULE)
    except runs.RunInProgress as exc:
        logger.warning("monthly rating as of %s not started: %s", as_of, exc)
        return None
    runs.dispatch(run.pk, run.attempt)
    return run.pk


@shared_task(name="ratings.execute_run")
def execute_run_task(run_id: int, attempt: int) -> None:
    """Plan a claimed run (once) and queue its chunks not yet done (`runs.start_run`, the sweeper)."""
    runs.dispatch(run_id, attempt)


@shared_task(name="ratings.rate_chunk")
def rate_chunk_task(run_id: int, attempt: int, first_id: int, last_id: int) -> int:
    """Rate one id range of a run (idempotent: a redelivered chunk writes nothing); the last one finishes the run."""
    return runs.run_chunk_task_body(run_id, attempt, first_id, last_id)


@shared_task(name="ratings.sweep", ignore_result=True)
def sweep_task() -> list[int]:
    """Beat, every minute: resume or fail runs whose worker vanished."""
    return runs.sweep()
