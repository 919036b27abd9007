"""A failed job tells users a short Chinese reason; its traceback (server paths, data rows that may
belong to the other company) is shown to administrators only, never to clerks or supervisors, and
never in progress.json. The sweepers' rules for a job whose worker vanished."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pledges.models import PledgeBatch
from ratings import runs
from ratings.models import RatingRun, RunChunk
from reporting import services as reporting_services
from reporting.models import Batch, BuildState
from suizhou_credit import jobs
from tests import factories

TRACE = (
    'Traceback (most recent call last):\n  File "/srv/suizhou/ratings/batch.py", line 88\nValueError: X05 随县某公司'
)


@pytest.fixture
def administrator(db):
    return factories.user("adm", roles=("admin",), companies=("city", "county"), first_name="张伟")


def failed_run() -> RatingRun:
    return RatingRun.objects.create(
        as_of=dt.date(2026, 10, 31),
        status=RatingRun.Status.FAILED,
        attempt=1,
        started_at=timezone.now(),
        error=str(jobs.FAILED),
        error_detail=TRACE,
    )


@pytest.mark.django_db
def test_a_failed_run_shows_clerks_the_reason_and_administrators_the_traceback(login, clerk_city, administrator):
    run = failed_run()
    page = login(clerk_city).get(reverse("ratings:run", args=[run.pk])).content.decode()
    assert "失败原因" in page and "系统日志" in page
    assert "Traceback" not in page and "/srv/" not in page and "随县某公司" not in page
    progress = login(clerk_city).get(reverse("ratings:run_progress", args=[run.pk])).json()
    assert progress["error"] == str(jobs.FAILED) and "Traceback" not in str(progress)

    page = login(administrator).get(reverse("ratings:run", args=[run.pk])).content.decode()
    assert "技术详情（仅系统管理员可见）" in page and "/srv/suizhou/ratings/batch.py" in page
    assert "Traceback" not in str(login(administrator).get(reverse("ratings:run_progress", args=[run.pk])).json())


@pytest.mark.django_db
def test_a_failed_pledge_batch_and_build_hide_the_traceback_from_all_but_administrators(
    login, clerk_city, supervisor, administrator
):
    from customers.models import Company

    batch = PledgeBatch.objects.create(
        company=Company.objects.get(code="city"), status="failed", error=str(jobs.FAILED), error_detail=TRACE
    )
    url = reverse("pledges:batch", args=[batch.pk])
    for user in (clerk_city, supervisor):
        page = login(user).get(url).content.decode()
        assert "生成失败" in page and "系统日志" in page and "Traceback" not in page and "/srv/" not in page
    assert "/srv/suizhou/ratings/batch.py" in login(administrator).get(url).content.decode()

    build = reporting_services.start_build(dt.date(2026, 10, 1), enqueue=False)
    Batch.objects.filter(pk=build.pk).update(
        build_state=BuildState.FAILED,
        build_error="生成失败，详细信息已写入系统日志，请联系系统管理员。",
        build_error_detail=TRACE,
    )
    url = reverse("reporting:batch", args=[build.number])
    page = login(supervisor).get(url).content.decode()
    assert "系统日志" in page and "Traceback" not in page and "/srv/" not in page
    assert "/srv/suizhou/ratings/batch.py" in login(administrator).get(url).content.decode()


def _silent(model, pk, **fields):
    """The job's worker went quiet long ago."""
    model.objects.filter(pk=pk).update(**fields)


@pytest.mark.django_db
def test_the_run_sweeper_resumes_a_run_whose_worker_died_then_gives_up(settings, eager_celery):
    settings.RATING_CHUNK_SIZE = 2
    settings.JOB_MAX_RESUMES = 1
    for _ in range(3):
        factories.customer(opened_on=dt.date(2020, 1, 1))
    run = runs.claim_run(dt.date(2026, 10, 31), RatingRun.Trigger.SCHEDULE)
    ranges = runs.plan_run(run, run.attempt)
    runs.rate_chunk(run.pk, run.attempt, *ranges[0])
    RunChunk.objects.filter(run=run, first_id=ranges[1][0]).update(started_at=timezone.now())  # then killed
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    _silent(RatingRun, run.pk, heartbeat_at=long_ago)
    assert runs.sweep() == [run.pk]  # queued again (eagerly here): the remaining chunk is rated
    run.refresh_from_db()
    assert (run.status, run.done, run.chunks_done, run.attempt) == ("succeeded", 3, 2, 1)

    # A run that dies again and again is failed with a reason after JOB_MAX_RESUMES, not retried forever.
    again = runs.claim_run(dt.date(2026, 10, 31), RatingRun.Trigger.SCHEDULE)
    ranges = runs.plan_run(again, again.attempt)
    RunChunk.objects.filter(run=again).update(started_at=timezone.now())
    _silent(RatingRun, again.pk, heartbeat_at=long_ago, resumes=1)
    runs.sweep()
    again.refresh_from_db()
    assert again.status == "failed" and again.error == str(jobs.INTERRUPTED)


@pytest.mark.django_db
def test_a_fresh_or_only_queued_job_is_not_counted_as_crashed(settings, django_capture_on_commit_callbacks):
    settings.JOB_MAX_RESUMES = 0
    run = runs.claim_run(dt.date(2026, 10, 31), RatingRun.Trigger.SCHEDULE)
    assert runs.sweep() == []  # just claimed: alive
    _silent(RatingRun, run.pk, started_at=timezone.now() - dt.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=False):
        # pending, never picked up: queued again (a duplicate message is harmless), not failed
        from unittest import mock

        with mock.patch.object(jobs, "enqueue", return_value=True) as enqueue:
            assert runs.sweep() == [run.pk]
    assert enqueue.call_count == 1
    run.refresh_from_db()
    assert (run.status, run.resumes) == ("pending", 0)
