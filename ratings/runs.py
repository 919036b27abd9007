"""Rating runs: one per date, claimed under a row lock, rated in chunks of customer id ranges.

Life of a run (`RatingRun`, unique per `as_of`):

- **claim** (`claim_run`): inside a transaction the run row for the date is created if missing
  and locked (`select_for_update`). If another attempt is pending or running and its heartbeat
  (else its start) is less than `RATING_RUN_STALE_AFTER` seconds old (default `JOB_STALE_AFTER`,
  two minutes), the claim is **refused** with `RunInProgress` (clear message, nothing written).
  Otherwise — no run yet, a finished run (a rerun replaces it), a failed one, or one whose worker
  vanished — `attempt` is bumped and the run starts again from nothing. `restart=True` (the
  command's `--restart`) takes over a running attempt at once.
- **plan** (`plan_run`): the rated customers are split into id ranges of `RATING_CHUNK_SIZE`
  customers (default 250,000), stored as `RunChunk` rows; `total` and `chunks_total` are set. Each chunk's facts query
  reads the events of its customers, which lie all over the events table: fewer, larger
  chunks read it fewer times (a million customers: 11.1–12.0 s of database CPU in chunks of
  50,000, 9.6–9.7 s in chunks of 250,000), and four chunks still keep two workers busy.
- **chunks** (`rate_chunk`): each range in one transaction: delete this run's results in the
  range, write the new ones (`ratings.batch`), then add to `done`/`chunks_done` with a
  conditional `UPDATE … WHERE attempt = <mine>`. If a newer attempt has claimed the run since,
  that UPDATE touches no row and the chunk rolls back: two attempts can never both write.
  (The row lock taken by that UPDATE also makes a claim wait for chunks about to commit.)
  The chunk's `RunChunk` row is locked and marked done in the same transaction: a chunk delivered
  twice (a worker killed after the commit, before the acknowledgement; or queued again by the
  sweeper) finds it done and writes and counts nothing.
- **finish** (`finish_run` / `fail_run`): the chunk that completes the run finishes it (succeeded,
  once: the update is conditional on 'running'); an error marks it failed with a short reason for
  users (`error`) and the traceback for administrators (`error_detail`) and the log.
- **recovery** (`sweep`, every minute on beat): a pending or running run whose heartbeat stopped
  for `JOB_STALE_AFTER` is dispatched again — the chunks not done are queued again, the run
  finished if they are all done — at most `JOB_MAX_RESUMES` times in a row without progress, then
  failed. A failure to queue (broker down) fails the run at once with a Chinese reason.

Summary (`ratings.summary`): each chunk adds its counts per (company, level) to `RunLevelCount`
in its transaction; a claim resets them; finishing computes the run's movers (`RunMove`)
against the previous succeeded run, and finishing or failing recomputes the movers of the
next succeeded run after it. The run pages read only these small tables.

Chunks run as Celery tasks (`ratings.tasks`) that several workers can share; with eager
Celery (no REDIS_URL) or `inline=True` (the command) the same functions run in this process,
one chunk after the other (on PostgreSQL, outside a transaction, the next chunk's facts are
gathered on a second connection while the current chunk is written).
"""

from __future__ import annotations

import datetime
import logging
import traceback
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from suizhou_credit import jobs

from . import signals, summary
from .batch import rated_rows, write_rows
from .models import LEVEL_ORDER, RatingResult, RatingRun, RunChunk, RunLevelCount

logger = logging.getLogger(__name__)

LAST_ID = 2**62  # the last chunk reaches past any id, so the ranges cover every customer


class RunInProgress(Exception):
    """Another attempt for the same date is still pending or running."""


def chunk_size() -> int:
    return int(getattr(settings, "RATING_CHUNK_SIZE", 250_000))


def stale_after() -> datetime.timedelta:
    seconds = getattr(settings, "RATING_RUN_STALE_AFTER", None)
    return datetime.timedelta(seconds=float(seconds)) if seconds is not None else jobs.stale_after()


def last_sign_of_life(run: RatingRun) -> datetime.datetime:
    return run.heartbeat_at or run.started_at or run.created_at


def claim_run(
    as_of: datetime.date, trigger: str, user=None, *, restart: bool = False, now: datetime.datetime | None = None
) -> RatingRun:
    """Lock (creating if needed) the run for `as_of` and start a new attempt; raises RunInProgress (see module doc)."""
    now = now or timezone.now()
    for _try in range(2):
        try:
            with transaction.atomic():
                RatingRun.objects.get_or_create(as_of=as_of, defaults={"trigger": trigger})
                break
        except IntegrityError:  # created by a concurrent claim between our get and create
            continue
    with transaction.atomic():
        run = RatingRun.objects.select_for_update().get(as_of=as_of)
        busy = run.status in (RatingRun.Status.PENDING, RatingRun.Status.RUNNING) and run.attempt > 0
        since = run.started_at or run.created_at
        if busy and not restart and now - last_sign_of_life(run) < stale_after():
            raise RunInProgress(
                _("%(date)s 的评级正在进行（第 %(attempt)s 次执行，开始于 %(since)s），请等待其完成。")
                % {
                    "date": as_of.isoformat(),
                    "attempt": run.attempt,
                    "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M"),
                }
            )
        run.attempt += 1
        run.status = RatingRun.Status.PENDING
        run.trigger = trigger
        run.started_by = user if user is not None and getattr(user, "pk", None) else None
        run.started_at = now
        run.finished_at = None
        run.error = run.error_detail = ""
        run.heartbeat_at = None
        run.resumes = 0
        run.total = run.done = run.chunks_total = run.chunks_done = 0
        run.save()
        summary.reset(run.pk)
    return run


def rated_customers_filter(as_of: datetime.date) -> tuple[str, list]:
    """SQL WHERE clause and parameters for "rated as of `as_of`": a USCC, opened on or before the date."""
    return "uscc <> '' AND opened_on <= %s", [as_of]


def plan_chunks(as_of: datetime.date, size: int) -> tuple[int, list[tuple[int, int]]]:
    """(number of rated customers, id ranges of about `size` rated customers each, covering all ids)."""
    where, params = rated_customers_filter(as_of)
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM {table} WHERE {where}) t "
            f"WHERE (rn - 1) %% %s = 0 ORDER BY id",
            [*params, size],
        )
        starts = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
        total = cursor.fetchone()[0]
    if not starts:
        return 0, [(0, LAST_ID)]
    bounds = [0, *starts[1:]]
    ranges = [(lo, hi - 1) for lo, hi in zip(bounds, bounds[1:], strict=False)] + [(bounds[-1], LAST_ID)]
    return total, ranges


def plan_run(run: RatingRun, attempt: int) -> list[tuple[int, int]]:
    """Split the run's customers into chunks (stored as RunChunk rows) and mark the run running;
    [] if `attempt` is no longer current or already planned (a redelivered dispatch)."""
    total, ranges = plan_chunks(run.as_of, chunk_size())
    with transaction.atomic():
        updated = RatingRun.objects.filter(pk=run.pk, attempt=attempt, status=RatingRun.Status.PENDING).update(
            status=RatingRun.Status.RUNNING, total=total, chunks_total=len(ranges), done=0, chunks_done=0
        )
        if not updated:
            return []
        RunChunk.objects.filter(run_id=run.pk).exclude(attempt=attempt).delete()
        RunChunk.objects.bulk_create(
            [RunChunk(run_id=run.pk, attempt=attempt, first_id=lo, last_id=hi) for lo, hi in ranges]
        )
    return ranges


class Superseded(Exception):
    """A newer attempt has claimed the run; this chunk's writes were rolled back."""


def rate_chunk(run_id: int, attempt: int, first_id: int, last_id: int, rows=None) -> int:
    """Rate one id range for the run's attempt `attempt` in one transaction; returns customers written.

    `rows` are the range's rated rows when already gathered (`batch.rated_rows`, see execute_inline).
    Raises Superseded (and writes nothing) when the run has been claimed again meanwhile.
    """
    run = RatingRun.objects.only("as_of", "attempt").get(pk=run_id)
    if run.attempt != attempt:
        raise Superseded(run_id, attempt)
    chunk = RunChunk.objects.filter(run_id=run_id, attempt=attempt, first_id=first_id).first()
    if chunk is not None:
        if chunk.done:  # delivered again: already written and counted
            return chunk.written
        RunChunk.objects.filter(pk=chunk.pk).update(started_at=timezone.now())
    if rows is None:
        rows = rated_rows(run_id, run.as_of, first_id, last_id)
    with transaction.atomic():
        if chunk is not None:
            chunk = RunChunk.objects.select_for_update().get(pk=chunk.pk)
            if chunk.done:  # a second delivery committed while this one computed
                return chunk.written
        RatingResult.objects.filter(run_id=run_id, customer_id__gte=first_id, customer_id__lte=last_id).delete()
        written = write_rows(rows)
        summary.add_counts(run_id, rows.counts)
        updated = RatingRun.objects.filter(pk=run_id, attempt=attempt).update(
            done=F("done") + written, chunks_done=F("chunks_done") + 1, resumes=0
        )
        if not updated:
            raise Superseded(run_id, attempt)
        if chunk is not None:
            RunChunk.objects.filter(pk=chunk.pk).update(done=True, written=written)
    return written


def finish_run(run_id: int, attempt: int) -> bool:
    """Mark the attempt succeeded if it is current and every chunk is done, then compute its movers
    and those of the next succeeded run (`ratings.summary`)."""
    finished = bool(
        RatingRun.objects.filter(
            pk=run_id, attempt=attempt, status=RatingRun.Status.RUNNING, chunks_done=F("chunks_total")
        ).update(status=RatingRun.Status.SUCCEEDED, finished_at=timezone.now(), error="", error_detail="")
    )
    if finished:
        run = RatingRun.objects.get(pk=run_id)
        summary.compute_moves(run)
        summary.refresh_next(run)
        signals.run_succeeded.send(sender=RatingRun, run=run)
    return finished


def fail_run(run_id: int, attempt: int, error: str, detail: str = "") -> bool:
    """Mark the attempt failed (if it is still the current, unfinished attempt): `error` is the short
    reason users read, `detail` (a traceback) is logged and shown to administrators only. The next
    succeeded run's movers are then computed against the run before this one."""
    logger.error("rating run %s attempt %s failed: %s\n%s", run_id, attempt, error, detail)
    failed = bool(
        RatingRun.objects.filter(
            pk=run_id, attempt=attempt, status__in=(RatingRun.Status.PENDING, RatingRun.Status.RUNNING)
        ).update(
            status=RatingRun.Status.FAILED,
            finished_at=timezone.now(),
            error=str(error)[:1000],
            error_detail=detail[:20000],
        )
    )
    if failed:
        try:
            summary.refresh_next(RatingRun.objects.get(pk=run_id))
        except Exception:  # the failure is recorded; a broken connection must not hide it
            logger.exception("recomputing the movers after run %s failed", run_id)
    return failed


def execute_inline(run: RatingRun) -> RatingRun:
    """Plan and rate every chunk in this process, then finish; on error mark the run failed and re-raise."""
    attempt = run.attempt
    try:
        with jobs.heartbeat(RatingRun, run.pk):
            ranges = plan_run(run, attempt)
            if connection.vendor == "postgresql" and not connection.in_atomic_block and len(ranges) > 1:
                _pipelined(run, attempt, ranges)
            else:
                for first_id, last_id in ranges:
                    rate_chunk(run.pk, attempt, first_id, last_id)
            finish_run(run.pk, attempt)
    except Exception:
        fail_run(run.pk, attempt, str(jobs.FAILED), traceback.format_exc())
        raise
    run.refresh_from_db()
    return run


def _pipelined(run: RatingRun, attempt: int, ranges: list[tuple[int, int]]) -> None:
    """Chunks one after the other, but the next chunk's facts are gathered (on a second connection,
    in a helper thread) while this one is written: PostgreSQL aggregates and writes at the same time.

    Only outside a transaction: the helper's connection must see what this one has committed.
    """

    def gather(first_id: int, last_id: int) -> list[tuple]:
        try:
            return rated_rows(run.pk, run.as_of, first_id, last_id)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rating-gather") as pool:
        future = pool.submit(gather, *ranges[0])
        for index, (first_id, last_id) in enumerate(ranges):
            rows = future.result()
            if index + 1 < len(ranges):
                future = pool.submit(gather, *ranges[index + 1])
            rate_chunk(run.pk, attempt, first_id, last_id, rows=rows)


def dispatch(run_id: int, attempt: int) -> None:
    """Plan the run (once) and queue every chunk of the attempt not yet done, one task each; the
    chunk that completes the run finishes it. Safe to call again (a redelivery, the sweeper): done
    chunks are not queued, a run whose chunks are all done is finished."""
    from . import tasks

    run = RatingRun.objects.get(pk=run_id)
    if run.attempt != attempt or run.status not in (RatingRun.Status.PENDING, RatingRun.Status.RUNNING):
        return
    RatingRun.objects.filter(pk=run_id, attempt=attempt).update(heartbeat_at=timezone.now())
    if run.status == RatingRun.Status.PENDING:
        try:
            plan_run(run, attempt)
        except Exception:
            fail_run(run_id, attempt, str(jobs.FAILED), traceback.format_exc())
            raise
    undone = list(
        RunChunk.objects.filter(run_id=run_id, attempt=attempt, done=False)
        .order_by("first_id")
        .values_list("first_id", "last_id")
    )
    if not undone:
        finish_run(run_id, attempt)
        return
    for first_id, last_id in undone:
        # eager Celery runs the chunk right here (its error propagates, the run is failed by the task)
        if not jobs.enqueue(tasks.rate_chunk_task, run_id, attempt, first_id, last_id):
            fail_run(run_id, attempt, str(jobs.QUEUE_FAILED))
            return


def run_chunk_task_body(run_id: int, attempt: int, first_id: int, last_id: int) -> int:
    """A chunk on a worker: rate it (keeping the run's heartbeat), finish the run if it was the last;
    an error fails the run with a short reason (the traceback to the log and administrators)."""
    try:
        with jobs.heartbeat(RatingRun, run_id):
            written = rate_chunk(run_id, attempt, first_id, last_id)
    except Superseded:
        logger.info("chunk %s-%s of run %s attempt %s superseded", first_id, last_id, run_id, attempt)
        return 0
    except RatingRun.DoesNotExist:
        logger.warning("chunk %s-%s of a deleted run %s", first_id, last_id, run_id)
        return 0
    except Exception:
        fail_run(run_id, attempt, str(jobs.FAILED), traceback.format_exc())
        raise
    finish_run(run_id, attempt)
    return written


def sweep() -> list[int]:
    """Dispatch again every pending or running run whose heartbeat stopped (see the module doc);
    returns the ids of the runs queued again or failed."""
    from . import tasks

    cutoff = timezone.now() - stale_after()
    touched = []
    for run in RatingRun.objects.filter(
        status__in=(RatingRun.Status.PENDING, RatingRun.Status.RUNNING), attempt__gt=0
    ).only("id", "attempt", "status", "heartbeat_at", "started_at", "created_at"):
        if last_sign_of_life(run) >= cutoff:
            continue
        with transaction.atomic():
            run = RatingRun.objects.select_for_update().get(pk=run.pk)
            if (
                run.status not in (RatingRun.Status.PENDING, RatingRun.Status.RUNNING)
                or last_sign_of_life(run) >= cutoff
            ):
                continue
            # A chunk taken up by a worker that then fell silent: the worker died. Chunks never
            # taken up are only waiting in the queue: queued again, not counted.
            crashed = RunChunk.objects.filter(
                run_id=run.pk, attempt=run.attempt, done=False, started_at__isnull=False
            ).exists()
            if crashed and run.resumes >= jobs.max_resumes():
                give_up = True
            else:
                give_up = False
                RunChunk.objects.filter(run_id=run.pk, attempt=run.attempt, done=False).update(started_at=None)
                RatingRun.objects.filter(pk=run.pk).update(
                    heartbeat_at=timezone.now(), resumes=F("resumes") + (1 if crashed else 0)
                )
        touched.append(run.pk)
        if give_up:
            fail_run(run.pk, run.attempt, str(jobs.INTERRUPTED))
            continue
        logger.warning("rating run %s attempt %s lost its worker: queued again", run.pk, run.attempt)
        if not jobs.enqueue(tasks.execute_run_task, run.pk, run.attempt):
            fail_run(run.pk, run.attempt, str(jobs.QUEUE_FAILED))
    return touched


def run_rating(
    as_of: datetime.date, trigger: str = RatingRun.Trigger.COMMAND, user=None, *, restart: bool = False, inline=True
) -> RatingRun:
    """Claim the run for `as_of` and rate every customer: in this process (`inline`, the command) or via Celery.

    Returns the run (finished when inline or when Celery is eager). Raises RunInProgress.
    """
    run = claim_run(as_of, trigger, user, restart=restart)
    if inline:
        return execute_inline(run)
    dispatch(run.pk, run.attempt)
    run.refresh_from_db()
    return run


def start_run(as_of: datetime.date, user=None) -> RatingRun:
    """From the app: claim the run (RunInProgress if one is going) and queue its work; returns at once."""
    from . import tasks

    run = claim_run(as_of, RatingRun.Trigger.MANUAL, user)

    def queue() -> None:
        if not jobs.enqueue(tasks.execute_run_task, run.pk, run.attempt):
            fail_run(run.pk, run.attempt, str(jobs.QUEUE_FAILED))

    transaction.on_commit(queue)
    return run


def level_counts(run: RatingRun) -> dict[str, int]:
    """Results per level for a run (from its summary), every level present (0 when none)."""
    counts = dict.fromkeys(LEVEL_ORDER, 0)
    for level, n in RunLevelCount.objects.filter(run=run).values_list("level", "n"):
        counts[level] += n
    return counts
