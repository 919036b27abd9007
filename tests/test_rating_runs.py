"""Runs: rerun replaces, a run in progress refuses a second one, a killed run is run again, the beat schedule."""

import datetime
import io
import zoneinfo

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from ratings import runs
from ratings.explain import explain_customer
from ratings.models import RatingResult, RatingRun
from ratings.tasks import monthly_rating, previous_month_end
from tests import factories

D = datetime.date(2026, 11, 30)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def customers():
    return [factories.customer(payment_mode="prepaid" if i % 2 else "postpaid") for i in range(5)]


def results(run):
    return dict(RatingResult.objects.filter(run=run).values_list("customer_id", "level"))


def test_run_rates_everyone_in_chunks_and_prints_counts(customers, settings):
    settings.RATING_CHUNK_SIZE = 2
    out = io.StringIO()
    call_command("run_rating", "--as-of", "2026-11-30", stdout=out)
    run = RatingRun.objects.get(as_of=D)
    assert (run.status, run.total, run.done, run.chunks_total, run.chunks_done) == ("succeeded", 5, 5, 3, 3)
    assert "green 绿色 2" in out.getvalue() and "blue 蓝色 3" in out.getvalue()
    assert len(results(run)) == 5


def test_rerun_replaces_results(customers):
    call_command("run_rating", "--as-of", "2026-10-31", stdout=io.StringIO())
    factories.event(customers[0], "order_disruption", occurred_on=datetime.date(2026, 10, 1))
    call_command("run_rating", "--as-of", "2026-10-31", stdout=io.StringIO())
    run = RatingRun.objects.get(as_of=datetime.date(2026, 10, 31))
    assert run.attempt == 2
    assert RatingResult.objects.filter(run=run).count() == 5
    assert results(run)[customers[0].pk] == "red"


def test_bad_and_missing_dates():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_rating", "--as-of", "2026-02-30")
    with pytest.raises(CommandError, match="没有已保存的评级结果"):
        call_command("export_ratings", "--as-of", "2026-11-30")


def test_future_date_is_a_forecast(customers, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI))
    out = io.StringIO()
    call_command("run_rating", "--as-of", "2026-11-30", stdout=out)
    assert out.getvalue().startswith("预测")
    out = io.StringIO()
    call_command("run_rating", stdout=out)
    assert "预测" not in out.getvalue() and RatingRun.objects.filter(as_of=datetime.date(2026, 11, 28)).exists()


def test_second_run_for_the_same_date_is_refused_while_one_is_going(customers):
    run = runs.claim_run(D, RatingRun.Trigger.SCHEDULE)
    with pytest.raises(runs.RunInProgress):
        runs.claim_run(D, RatingRun.Trigger.MANUAL)
    with pytest.raises(CommandError, match="正在进行"):
        call_command("run_rating", "--as-of", "2026-11-30", stdout=io.StringIO())
    assert RatingRun.objects.get(pk=run.pk).attempt == 1


def test_an_older_attempt_cannot_write(customers, settings):
    settings.RATING_CHUNK_SIZE = 2
    old = runs.claim_run(D, RatingRun.Trigger.SCHEDULE)
    ranges = runs.plan_run(old, old.attempt)
    new = runs.claim_run(D, RatingRun.Trigger.COMMAND, restart=True)
    with pytest.raises(runs.Superseded):
        runs.rate_chunk(old.pk, old.attempt, *ranges[0])
    assert not RatingResult.objects.filter(run=old).exists()
    runs.execute_inline(new)
    assert RatingRun.objects.get(pk=old.pk).status == "succeeded"


def killed_run(settings):
    """A run that rated its first chunk and then died, left 'running' with partial results."""
    settings.RATING_CHUNK_SIZE = 2
    run = runs.claim_run(D, RatingRun.Trigger.SCHEDULE)
    ranges = runs.plan_run(run, run.attempt)
    runs.rate_chunk(run.pk, run.attempt, *ranges[0])
    run.refresh_from_db()
    assert run.status == "running" and run.done == 2
    return run


def test_killed_run_restarted_from_the_command(customers, settings):
    run = killed_run(settings)
    with pytest.raises(CommandError, match="--restart"):
        call_command("run_rating", "--as-of", "2026-11-30", stdout=io.StringIO())
    call_command("run_rating", "--as-of", "2026-11-30", "--restart", stdout=io.StringIO())
    run.refresh_from_db()
    assert (run.status, run.done, run.attempt) == ("succeeded", 5, 2)
    assert RatingResult.objects.filter(run=run).count() == 5


def test_killed_run_taken_over_after_the_timeout(customers, settings):
    run = killed_run(settings)
    RatingRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - datetime.timedelta(hours=2))
    done = runs.run_rating(D, RatingRun.Trigger.MANUAL)
    assert (done.status, done.done) == ("succeeded", 5)
    assert RatingResult.objects.filter(run=run).count() == 5


def test_stored_results_equal_explanations(customers):
    factories.bill(customers[1], "2026-04", due_on=datetime.date(2026, 5, 31))
    factories.event(customers[2], "water_theft", amount="10.00", occurred_on=datetime.date(2026, 6, 1))
    run = runs.run_rating(D)
    for c in customers:
        r = RatingResult.objects.get(run=run, customer=c)
        e = explain_customer(c, D)
        assert (r.level, r.criteria) == (e.level, ";".join(e.criteria))


def test_start_run_returns_at_once_and_runs_on_commit(
    customers, supervisor, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = runs.start_run(D, supervisor)
        assert run.status == "pending" and run.trigger == "manual" and run.started_by == supervisor
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == "succeeded" and run.done == 5
    with django_capture_on_commit_callbacks(execute=False):
        runs.start_run(D, supervisor)  # a finished run may be started again (rerun)
        with pytest.raises(runs.RunInProgress):
            runs.start_run(D, supervisor)


def test_beat_schedule_next_run_and_as_of():
    entry = django_settings.CELERY_BEAT_SCHEDULE["monthly-rating"]
    assert entry["task"] == "ratings.monthly_rating"
    assert 20 * 3600 <= entry["options"]["expires"] < 24 * 3600
    now = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    schedule = entry["schedule"]
    schedule.nowfun = lambda: now
    try:
        due, _ = schedule.is_due(now)
        remaining = schedule.remaining_estimate(now)
    finally:
        schedule.nowfun = None
    assert not due
    next_run = (now + remaining).astimezone(SHANGHAI)
    assert next_run == datetime.datetime(2026, 12, 1, 2, 0, tzinfo=SHANGHAI)
    assert previous_month_end(next_run.date()) == D
    assert previous_month_end(datetime.date(2028, 3, 1)) == datetime.date(2028, 2, 29)


def test_monthly_task_rates_the_previous_month_end(customers, eager_celery):
    run_id = monthly_rating.apply(kwargs={"today": "2026-12-01"}).get()
    run = RatingRun.objects.get(pk=run_id)
    assert (run.as_of, run.trigger, run.status, run.done) == (D, "schedule", "succeeded", 5)


def test_a_failing_chunk_marks_the_run_failed_with_the_error(customers, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(runs, "rated_rows", broken)
    with pytest.raises(RuntimeError):
        runs.run_rating(D)
    run = RatingRun.objects.get(as_of=D)
    assert run.status == "failed" and run.finished_at is not None
    # Users read a short Chinese reason; the traceback is kept for administrators (and the log).
    assert "database went away" not in run.error and "系统日志" in run.error
    assert "database went away" in run.error_detail and "Traceback" in run.error_detail
    monkeypatch.undo()
    assert runs.run_rating(D).status == "succeeded"  # a failed run may be run again at once
