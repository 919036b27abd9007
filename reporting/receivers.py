"""What the reporting app does when other apps tell it something (connected in ReportingConfig.ready)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from ratings.models import RatingRun
from ratings.signals import run_succeeded


@receiver(run_succeeded, sender=RatingRun)
def build_month_after_scheduled_run(sender, run: RatingRun, **kwargs) -> None:
    """The scheduled month-end run succeeded: build that month's draft batch (Celery, after the commit)."""
    if run.trigger != RatingRun.Trigger.SCHEDULE:
        return
    from .tasks import build_after_run_task

    as_of = run.as_of.isoformat()
    transaction.on_commit(lambda: build_after_run_task.delay(as_of))
