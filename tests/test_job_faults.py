"""Faults as an operator meets them, with real processes: Redis (the test's own) stopped while gunicorn
serves and a supervisor starts a run, a pledge batch and a platform batch; a Celery worker killed with
SIGKILL in the middle of a run, a pledge batch and a build, then a new worker and beat's sweeper
resume the job by themselves. And a chunk delivered twice adds nothing."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from contextlib import contextmanager

import psycopg
import pytest
from django.utils import timezone

from customers.models import AuditEntry, Company
from pledges import services as pledge_services
from pledges.batches import customers_without_pledge
from pledges.models import Pledge, PledgeBatch, PledgeState
from ratings import runs
from ratings.models import RatingResult, RatingRun, RunChunk, RunLevelCount
from reporting.models import Batch, BatchRow, BuildState, Sheet
from tests import factories
from tests.process_support import BIN, ROOT, Browser, RedisServer, beat, database_url, environment, gunicorn, worker

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

LAST_MONTH_END = timezone.localdate().replace(day=1) - dt.timedelta(days=1)


def _world(n: int = 9):
    for code, name in (("city", "随州市城市供水有限公司"), ("county", "随县供水有限公司")):
        company = Company.objects.get(code=code)
        company.registered_name, company.uscc = name, factories.uscc(910000000 + company.pk)
        company.save()
    customers = [factories.customer(opened_on=dt.date(2020, 1, 1)) for _ in range(n)]
    supervisor = factories.user("sup_ops", roles=("supervisor",), companies=("city", "county"), first_name="陈静")
    return customers, supervisor


def _wait(predicate, timeout: float = 90, every: float = 0.3, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not reached within {timeout} s: {what}")


def _ready(service) -> bool:
    return "ready." in service.text()


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def services(tmp_path):
    started = []

    def start(kind, *args, **kwargs):
        service = kind(*args, **kwargs)
        started.append(service[0] if isinstance(service, tuple) else service)
        return service

    yield start
    for service in reversed(started):
        service.stop()


def test_redis_down_when_jobs_are_started_fails_them_at_once_and_the_next_click_works(redis, services, tmp_path):
    customers, supervisor = _world()
    env = environment(redis.url, MEDIA_ROOT=str(tmp_path / "media"))
    _web, port = services(gunicorn, env, tmp_path)
    browser = Browser(port)
    browser.login("sup_ops", "pw-sup_ops")
    city = Company.objects.get(code="city")
    period = LAST_MONTH_END.strftime("%Y-%m")

    redis.stop()
    started = time.monotonic()
    status, page, _ = browser.follow(browser.post("/ratings/runs/start/", {"as_of": LAST_MONTH_END.isoformat()}))
    assert time.monotonic() - started < 8  # the broker's connect timeout (2 s), not Celery's 19 s of retries
    run = RatingRun.objects.get(as_of=LAST_MONTH_END)
    assert status == 200 and run.status == RatingRun.Status.FAILED
    assert "后台任务服务暂时无法连接" in page and "后台任务服务暂时无法连接" in run.error
    for leak in (str(redis.port), "redis://", "Celery", "Retry", "Traceback"):
        assert leak not in page

    status, page, _ = browser.follow(browser.post("/pledges/batches/start/", {"company": city.pk}))
    batch = PledgeBatch.objects.get()
    assert batch.status == PledgeBatch.Status.FAILED and "后台任务服务暂时无法连接" in page
    assert str(redis.port) not in page

    status, page, _ = browser.follow(browser.post("/reporting/batches/build/", {"period": period}))
    build = Batch.objects.get()
    assert build.build_state == BuildState.FAILED and "Redis" in build.build_error and str(redis.port) not in page
    assert "暂时无法连接" in page and "已开始生成" not in page  # no "started" beside the failure

    # Redis is back, a worker runs: the same gunicorn (not restarted) queues the next clicks.
    redis.start()
    celery = services(worker, env, tmp_path)
    _wait(lambda: _ready(celery), what="worker ready")
    status, page, _ = browser.follow(browser.post("/ratings/runs/start/", {"as_of": LAST_MONTH_END.isoformat()}))
    assert "正在进行" not in page and "无法连接" not in page
    run = _wait(lambda: RatingRun.objects.filter(pk=run.pk, status__in=("succeeded", "failed")).first(), what="run")
    assert (run.status, run.done, run.attempt) == ("succeeded", 9, 2)

    browser.follow(browser.post("/pledges/batches/start/", {"company": city.pk}))
    again = PledgeBatch.objects.exclude(pk=batch.pk).get()
    again = _wait(lambda: PledgeBatch.objects.filter(pk=again.pk, status__in=("succeeded", "failed")).first())
    assert again.status == PledgeBatch.Status.SUCCEEDED and again.done == customers_total(city)

    browser.follow(browser.post("/reporting/batches/build/", {"period": period}))
    build = _wait(lambda: Batch.objects.filter(pk=build.pk, build_state__in=("done", "failed")).first())
    assert build.build_state == BuildState.DONE, build.build_error


def customers_total(company) -> int:
    return Pledge.objects.filter(customer__company=company, state=PledgeState.PRINTED).count()


@contextmanager
def table_locked(table: str):
    """Hold an EXCLUSIVE lock on a table from another connection: reads pass, the job's writes wait."""
    with psycopg.connect(database_url()) as conn:
        conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield conn
        conn.rollback()


def _someone_waits_on(table: str) -> bool:
    with psycopg.connect(database_url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = %s AND NOT l.granted",
            [table],
        ).fetchone()
    return row[0] > 0


def _shell(env, code: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=60)


def _start_run(env, _world_data):
    _shell(
        env,
        f"import datetime; from ratings import runs; runs.start_run(datetime.date.fromisoformat('{LAST_MONTH_END}'))",
    )


def _check_run(_world_data):
    run = RatingRun.objects.get(as_of=LAST_MONTH_END)
    assert run.status == "succeeded", (run.status, run.error, run.error_detail)
    assert (run.total, run.done, run.chunks_total, run.chunks_done) == (9, 9, 3, 3)  # nothing counted twice
    assert RatingResult.objects.filter(run=run).count() == 9
    assert sum(RunLevelCount.objects.filter(run=run).values_list("n", flat=True)) == 9
    assert RunChunk.objects.filter(run=run, attempt=run.attempt, done=True).count() == 3
    assert run.attempt == 1  # resumed, not started again


def _prepare_pledges(world_data):
    """Prepared on the credit files beforehand: the batch then only reads them until it marks them printed."""
    _customers, supervisor = world_data
    city = Company.objects.get(code="city")
    pledge_services.prepare_missing(list(customers_without_pledge(city)), user=supervisor)


def _start_pledge_batch(env, _world_data):
    _shell(
        env,
        "from customers.models import Company; from django.contrib.auth.models import User; "
        "from pledges.batches import start_batch; "
        "start_batch(Company.objects.get(code='city'), user=User.objects.get(username='sup_ops'))",
    )


def _check_pledge_batch(world_data):
    batch = PledgeBatch.objects.get()
    assert batch.status == "succeeded", (batch.status, batch.error, batch.error_detail)
    pledges = list(batch.pledges.all())
    assert pledges and batch.done == batch.total == len(pledges) and batch.output
    assert all(p.state == PledgeState.PRINTED for p in pledges)
    for pledge in pledges:  # printed exactly once
        printed = AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk), after__state="printed")
        assert printed.count() == 1


def _start_build(env, _world_data):
    _shell(
        env,
        "import datetime; from reporting import services; "
        f"services.start_build(datetime.date.fromisoformat('{LAST_MONTH_END.replace(day=1)}'), label='test')",
    )


def _check_build(_world_data):
    batch = Batch.objects.get()
    assert batch.build_state == BuildState.DONE, (batch.build_state, batch.build_error)
    rows = BatchRow.objects.filter(batch=batch)
    assert rows.exclude(generation=batch.generation).count() == 0
    assert batch.generation == 2  # the lost build's generation 1 was never switched to
    # one rating row per customer (each has its own USCC), none written twice by the two builds
    assert sum(batch.counts[Sheet.RATING].values()) == 9 and rows.filter(sheet=Sheet.RATING).count() == 9


KILLS = {
    "rating run": (_start_run, "ratings_ratingresult", _check_run),
    "pledge batch": (_start_pledge_batch, "pledges_pledge", _check_pledge_batch),
    "platform batch build": (_start_build, "reporting_batchrow", _check_build),
}


@pytest.mark.parametrize("kind", list(KILLS))
def test_a_worker_killed_mid_job_is_resumed_by_the_sweeper(kind, redis, services, tmp_path):
    start, table, check = KILLS[kind]
    world_data = _world()
    if kind == "platform batch build":
        runs.run_rating(LAST_MONTH_END)  # the month's run, so the build has rating rows to write
    if kind == "pledge batch":
        _prepare_pledges(world_data)
    env = environment(
        redis.url,
        MEDIA_ROOT=str(tmp_path / "media"),
        RATING_CHUNK_SIZE="3",
        JOB_HEARTBEAT_EVERY="0.5",
        JOB_STALE_AFTER="4",
        JOB_SWEEP_EVERY="1",
    )
    first = services(worker, env, tmp_path, "first")
    _wait(lambda: _ready(first), what="first worker ready")
    with table_locked(table):
        start(env, world_data)
        _wait(lambda: _someone_waits_on(table), timeout=60, every=0.1, what=f"the job writing {table}")
        first.kill()  # kill -9 in the middle of the job: nothing acknowledged, nothing committed
    started = time.monotonic()
    second = services(worker, env, tmp_path, "second")
    services(beat, env, tmp_path)
    _wait(lambda: _ready(second), what="second worker ready")

    def finished():
        if kind == "rating run":
            return RatingRun.objects.filter(status__in=("succeeded", "failed")).exists()
        if kind == "pledge batch":
            return PledgeBatch.objects.filter(status__in=("succeeded", "failed")).exists()
        return Batch.objects.filter(build_state__in=("done", "failed")).exists()

    _wait(finished, timeout=90, what=f"the {kind} resumed")
    print(f"{kind}: resumed and finished {time.monotonic() - started:.1f} s after the kill")
    check(world_data)
    assert "queued again" in second.text()  # the sweeper did it, not a person


@pytest.mark.django_db(transaction=False)
def test_a_chunk_delivered_twice_counts_once(settings):
    from ratings.tasks import rate_chunk_task

    settings.RATING_CHUNK_SIZE = 2
    for _ in range(5):
        factories.customer(opened_on=dt.date(2020, 1, 1))
    run = runs.run_rating(LAST_MONTH_END)
    before = (run.done, run.chunks_done, sorted(RunLevelCount.objects.filter(run=run).values_list("level", "n")))
    chunk = RunChunk.objects.filter(run=run).order_by("first_id").first()
    # The broker hands the chunk to a worker again (killed after its commit, before the acknowledgement).
    assert rate_chunk_task.apply(args=(run.pk, run.attempt, chunk.first_id, chunk.last_id)).get() == 2
    run.refresh_from_db()
    after = (run.done, run.chunks_done, sorted(RunLevelCount.objects.filter(run=run).values_list("level", "n")))
    assert after == before == (5, 3, after[2]) and sum(n for _lv, n in after[2]) == 5
    assert RatingResult.objects.filter(run=run).count() == 5
    assert runs.finish_run(run.pk, run.attempt) is False  # finished once: movers and the build not redone
