"""Imports as jobs: every import (the page's, queued on Celery, and `import_records`'s, run in
place) is an `ImportJob` row — the import history — with its progress and its result.

- `submit()` (the page): the upload is already stored and hashed; the job is recorded as
  queued and the task is queued only after the commit. When the broker cannot take it, the job
  is marked failed at once with a Chinese reason (the broker's words stay in the log).
- `execute()` (the task): claims the job (queued, or running but silent for JOB_STALE_AFTER: a
  worker that died), runs the importer as the job's user and records the outcome in the same
  transaction as the import's writes, so a redelivered task finds the job finished and does
  nothing; an invalid file keeps its error list (`ImportJobError`) and writes nothing else.
- `run_command()` (the command): the same, synchronously, recorded as a command run.
- `sweep()` (beat, `customers.sweep`): a running job whose heartbeat stopped (its worker died,
  and its import rolled back with its connection) is queued again from the start, at most
  JOB_MAX_RESUMES times, then marked failed; a queued job no worker took within REQUEUE_AFTER
  (a lost message) is queued again. The shared rules are in `suizhou_credit/jobs.py`.

Progress is written through a second database connection (PostgreSQL), because the import's
own transaction stays open until the end; on SQLite (development) only the result shows.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import time
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from suizhou_credit import jobs

from . import audit
from .importer import ImportFileError, ImportResult, run_import
from .models import Company, ImportJob, ImportJobError, company_ids_for

log = logging.getLogger(__name__)

REQUEUE_AFTER = datetime.timedelta(minutes=10)  # a queued job no worker took: its message may be lost
PROGRESS_INTERVAL = 1.0  # seconds between two progress writes
ERROR_BATCH = 5000
HASH_BLOCK = 1 << 20
COMMAND_ACTOR = "command:import_records"


def broker_down_message() -> str:
    return _("后台任务服务（Redis）暂时无法连接，导入未能开始，没有写入任何数据。请稍后重新上传，或联系系统管理员。")


def internal_error_message() -> str:
    return _("导入时发生内部错误，没有写入任何数据。请重新上传；如仍失败，请联系系统管理员。")


def worker_lost_message() -> str:
    return _("导入中断（后台任务进程已停止），没有写入任何数据。请重新上传。")


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


# --- the page ------------------------------------------------------------------


def submit(*, kind: str, upload, user, sha256: str) -> ImportJob:
    """Record the import of `upload` (stored under MEDIA_ROOT/imports/) and queue it after commit."""
    name = os.path.basename(upload.name or "upload")
    ext = os.path.splitext(name)[1].lower()
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            source=ImportJob.Source.PAGE,
            file_name=name[:255],
            file_size=upload.size or 0,
            sha256=sha256,
            user=user,
            actor=user.get_username(),
        )
        job.file.save(f"{sha256[:16]}-{int(time.time() * 1000)}{ext}", upload, save=False)
        job.save()
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> bool:
    """Queue the import task; when the broker cannot take it, mark the job failed at once."""
    from .tasks import import_job_task

    if jobs.enqueue(import_job_task, job_id):
        return True
    ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.FAILED,
        phase=ImportJob.Phase.DONE,
        message=broker_down_message(),
        finished_at=timezone.now(),
    )
    _remove_file(job_id)
    return False


# --- the worker ----------------------------------------------------------------


def execute(job_id: int) -> None:
    """The task's body: claim the job and import its file (a no-op for a finished job)."""
    job = _claim(job_id)
    if job is None:
        return
    try:
        path = job.file.path
    except ValueError:  # no file stored
        _finish_failed(job, internal_error_message())
        return
    try:
        _perform(job, path, fmt=os.path.splitext(job.file.name)[1].lstrip(".").lower())
    except ImportFileError:
        pass  # recorded as the job's message
    finally:
        job.refresh_from_db(fields=["state"])
        if job.finished:
            _remove_file(job.pk)


def _claim(job_id: int) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return None
        now = timezone.now()
        if job.state == ImportJob.State.RUNNING and job.heartbeat_at and job.heartbeat_at >= jobs.stale_before():
            log.warning("import job %s is being run by another worker", job_id)
            return None
        job.state = ImportJob.State.RUNNING
        job.phase = ImportJob.Phase.WAITING
        job.started_at = job.heartbeat_at = now
        job.attempts += 1
        job.rows_read = job.rows_checked = job.rows_written = 0
        job.save(update_fields=["state", "phase", "started_at", "heartbeat_at", "attempts", *_COUNTERS])
    return job


_COUNTERS = ["rows_read", "rows_checked", "rows_written"]


# --- the command ---------------------------------------------------------------


def run_command(kind: str, path: str) -> ImportResult:
    """`import_records KIND FILE`: run in place, recorded in the history as a command run.

    Raises ImportFileError as the importer does (after recording the job as failed)."""
    try:
        sha256, size = file_sha256(path), os.path.getsize(path)
    except OSError:
        sha256, size = "", 0
    now = timezone.now()
    job = ImportJob.objects.create(
        kind=kind,
        source=ImportJob.Source.COMMAND,
        file_name=os.path.basename(path)[:255],
        file_size=size,
        sha256=sha256,
        actor=COMMAND_ACTOR,
        state=ImportJob.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=1,
    )
    return _perform(job, path)


# --- both ----------------------------------------------------------------------


def _perform(job: ImportJob, path: str, fmt: str | None = None) -> ImportResult:
    """Import the job's file as its user and record the outcome with the import's writes."""
    progress = _Progress(job.pk)
    actor = audit.Actor(job.user.get_username(), job.user_id) if job.user_id else audit.Actor(job.actor)
    try:
        with jobs.heartbeat(ImportJob, job.pk), audit.acting_as(actor):
            with transaction.atomic():
                result = run_import(
                    job.kind, path, user=job.user, fmt=fmt, filename=job.file_name, progress=progress, job_id=job.pk
                )  # a savepoint: an invalid file rolls back to here, and the errors are recorded
                progress.close()
                _record(job, result, progress.read)
                committing = time.perf_counter()
            log.info("import commit: %.2f s", time.perf_counter() - committing)
        return result
    except ImportFileError as e:
        _finish_failed(job, str(e))
        raise
    except Exception:
        log.exception("import job %s (%s, %s) failed", job.pk, job.kind, job.file_name)
        _finish_failed(job, internal_error_message())
        raise
    finally:
        progress.close()


def _record(job: ImportJob, result: ImportResult, read: int) -> None:
    job.rows_read = read
    job.finished_at = job.heartbeat_at = timezone.now()
    job.phase = ImportJob.Phase.DONE
    job.error_count = len(result.errors)
    if result.ok:
        job.state = ImportJob.State.SUCCEEDED
        job.created, job.updated, job.unchanged = result.created, result.updated, result.unchanged
        job.rows_written = result.created + result.updated
        job.rows_checked = result.created + result.updated + result.unchanged
    else:
        job.state = ImportJob.State.INVALID
        for start in range(0, len(result.errors), ERROR_BATCH):
            ImportJobError.objects.bulk_create(
                ImportJobError(job=job, row=e.row, column=e.column[:255], reason=e.reason)
                for e in result.errors[start : start + ERROR_BATCH]
            )
    job.save()


def _finish_failed(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.FAILED, phase=ImportJob.Phase.DONE, message=message, finished_at=timezone.now()
    )


def _remove_file(job_id: int) -> None:
    """Keep the stored upload only while the job may still run: the history keeps its name and SHA-256."""
    job = ImportJob.objects.filter(pk=job_id).only("file").first()
    if job is not None and job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job_id).update(file="")


class _Progress:
    """The importer's progress reports, written at most every PROGRESS_INTERVAL seconds (and at each
    phase) through a connection of their own, so the job's page sees them while the import runs."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.read = 0  # the rows read so far, for the result
        self.last = 0.0
        self.side = connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None

    def __call__(self, phase: str, *, read=0, checked=0, errors=0, written=0, force=False) -> None:
        self.read = read
        if self.side is None:
            return
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        try:
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET phase = %s, rows_read = %s, rows_checked = %s,"
                    " error_count = %s, rows_written = %s, heartbeat_at = %s WHERE id = %s",
                    [phase, read, checked, errors, written, timezone.now(), self.job_id],
                )
        except Exception:  # progress is for the page only: never fail the import for it
            log.warning("import job %s: progress not written", self.job_id, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


# --- the sweeper ---------------------------------------------------------------


def sweep() -> tuple[int, int]:
    """Queue again (or, after JOB_MAX_RESUMES, fail) running jobs whose heartbeat stopped, and queue
    again jobs still queued after REQUEUE_AFTER. Returns (running jobs touched, queued jobs re-sent)."""
    cutoff = jobs.stale_before()
    touched = 0
    for pk in ImportJob.objects.filter(state=ImportJob.State.RUNNING, heartbeat_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if job is None or job.state != ImportJob.State.RUNNING or job.heartbeat_at >= cutoff:
                continue
            give_up = job.source != ImportJob.Source.PAGE or not job.file or job.attempts > jobs.max_resumes()
            if give_up:
                _finish_failed(job, worker_lost_message())
            else:  # the next claim takes it (its heartbeat is stale)
                job.phase = ImportJob.Phase.WAITING
                job.save(update_fields=["phase"])
        touched += 1
        if give_up:
            _remove_file(pk)
            continue
        log.warning("import job %s lost its worker: queued again", pk)
        enqueue(pk)
    requeued = 0
    for pk in ImportJob.objects.filter(
        state=ImportJob.State.QUEUED, created_at__lt=timezone.now() - REQUEUE_AFTER
    ).values_list("pk", flat=True):
        requeued += enqueue(pk)
    return touched, requeued


# --- who sees what -------------------------------------------------------------


def visible_jobs(user):
    """The history a user may read: superusers every import; others the imports of users of their
    companies, and the command's runs when they belong to every company (a command file may hold both)."""
    jobs = ImportJob.objects.select_related("user")
    if user.is_superuser:
        return jobs
    mine = company_ids_for(user)
    scope = Q(user=user) | Q(user__companies__in=mine)
    if set(mine) >= set(Company.objects.values_list("id", flat=True)):
        scope |= Q(user__isnull=True)
    return jobs.filter(scope).distinct()


def iter_errors(job: ImportJob) -> Iterator[tuple[int, str, str]]:
    yield from job.errors.order_by("id").values_list("row", "column", "reason").iterator(chunk_size=5000)


def created_by_imports(customer) -> list[dict]:
    """The records of `customer` that imports created, by import (oldest first): the audit trail of
    a created record is its import — the file, its SHA-256, who and when. Three queries."""
    from django.db.models import Count, Max, Min

    from .models import Bill, Event

    groups: dict[int, dict] = {}

    def group(job_id: int) -> dict:
        return groups.setdefault(job_id, {"customer": False, "bills": None, "events": None})

    if customer.import_job_id:
        group(customer.import_job_id)["customer"] = True
    for row in (
        Bill.objects.filter(customer=customer, import_job__isnull=False)
        .values("import_job")
        .annotate(n=Count("id"), first=Min("period"), last=Max("period"))
    ):
        group(row["import_job"])["bills"] = row
    for row in (
        Event.objects.filter(customer=customer, import_job__isnull=False)
        .values("import_job")
        .annotate(n=Count("id"), first=Min("ref"), last=Max("ref"))
    ):
        group(row["import_job"])["events"] = row
    if not groups:
        return []
    jobs = ImportJob.objects.select_related("user").in_bulk(list(groups))
    rows = [{"job": jobs[pk], **what} for pk, what in groups.items() if pk in jobs]
    return sorted(rows, key=lambda r: (r["job"].created_at, r["job"].pk))
