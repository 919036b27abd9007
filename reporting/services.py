"""The batch's transitions: one function each, atomic, row-locked, state-checked and audited.

    start_build ─(task: run_build)─> 草稿 ─export_batch─> 已导出 ─mark_submitted─> 已报送 ─mark_accepted─> 已接收
        ^ (rebuild in place while 草稿)            \\______________ import_return (reporting.returns) ____> 部分退回

A build writes the rows of a new generation in chunks, then the workbook and the CSV zip from them, and
switches the batch to that generation in one transaction at the end: until then the page shows the
previous rows (or none), and a failed build leaves them as they were.
"""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import re
import tempfile
import traceback
from collections.abc import Iterable

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Company, company_ids_for
from customers.roles import require_supervisor
from customers.services import TransitionError
from ratings.models import RatingRun
from repair import reporting as repair_reporting
from suizhou_credit import jobs

from . import builder
from .models import (
    SHEET_ORDER,
    Batch,
    BatchNumberCounter,
    BatchRow,
    BatchStatus,
    BuildState,
    Sheet,
)

log = logging.getLogger(__name__)

__all__ = [
    "BatchError",
    "parse_period",
    "start_build",
    "run_build",
    "build_now",
    "export_batch",
    "mark_submitted",
    "mark_accepted",
]

WRITE_CHUNK = 5000


class BatchError(TransitionError):
    """The batch cannot be built or moved on; str() is the reason in Chinese."""


def parse_period(text: str, *, today: datetime.date | None = None) -> datetime.date:
    """`YYYY-MM` -> the month's first day; BatchError when malformed or not yet over."""
    today = today or timezone.localdate()
    found = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise BatchError(_("报送期间“%(text)s”格式不正确，应为 YYYY-MM，如 2026-11") % {"text": text})
    period = datetime.date(int(found.group(1)), int(found.group(2)), 1)
    end = builder.period_end(period)
    if end >= today:
        raise BatchError(
            _("报送期间 %(period)s 尚未结束（截至 %(end)s），月末之后才能生成该月的批次")
            % {"period": f"{period:%Y-%m}", "end": end.isoformat()}
        )
    return period


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _log(
    action: str,
    batch: Batch,
    before: dict | None,
    fields: Iterable[str],
    note: str = "",
    user=None,
) -> None:
    after = audit.snapshot(batch, list(fields))
    if _user(user) is not None and audit.current_actor() == audit.SYSTEM:
        with audit.acting_as(user=user):
            audit.record(action, batch, before, after, note=note)
    else:
        audit.record(action, batch, before, after, note=note)


def require_all_companies(user) -> None:
    """Batch actions cover both companies' rows: only a user who sees every company may take them."""
    if user is None:
        return  # a command or a task
    require_supervisor(user)
    if set(Company.objects.values_list("pk", flat=True)) - set(company_ids_for(user)):
        raise BatchError(_("报送批次包含两家公司的数据，只有可查看两家公司的审核主管才能执行此操作"))


def _locked(batch: Batch | int) -> Batch:
    return Batch.objects.select_for_update().get(pk=batch.pk if isinstance(batch, Batch) else batch)


def build_stale_after() -> datetime.timedelta:
    """A build whose heartbeat (else its start) is older than this has lost its worker (JOB_STALE_AFTER)."""
    seconds = getattr(settings, "REPORTING_BUILD_STALE_AFTER", None)
    return datetime.timedelta(seconds=float(seconds)) if seconds is not None else jobs.stale_after()


def _is_stale(batch: Batch) -> bool:
    since = batch.build_heartbeat_at or batch.build_started_at or batch.created_at
    return since < timezone.now() - build_stale_after()


# --- building --------------------------------------------------------------------------------------


@transaction.atomic
def start_build(period: datetime.date, *, user=None, label: str = "", enqueue: bool = True) -> Batch:
    """Queue the build of the period's batch: the period's draft rebuilt in place, or a new number.

    Refused while a build of that draft is queued or running (unless it has been lost for
    its worker vanished: build_stale_after()). `enqueue`: run the Celery task after the commit (the page, the schedule);
    the command runs `run_build` itself.
    """
    if user is not None:
        require_all_companies(user)
    period = period.replace(day=1)
    BatchNumberCounter.objects.bulk_create([BatchNumberCounter(period=period, last=0)], ignore_conflicts=True)
    counter = BatchNumberCounter.objects.select_for_update().get(period=period)
    draft = Batch.objects.select_for_update().filter(period=period, status=BatchStatus.DRAFT).first()
    if draft is not None:
        if draft.build_state in (
            BuildState.QUEUED,
            BuildState.RUNNING,
        ) and not _is_stale(draft):
            raise BatchError(
                _("批次 %(no)s 正在生成（%(done)d / %(total)d 行），请等它完成后再重新生成")
                % {
                    "no": draft.number,
                    "done": draft.build_done,
                    "total": draft.build_total,
                }
            )
        before = audit.snapshot(draft, ["build_state"])
        draft.build_state = BuildState.QUEUED
        draft.build_error = draft.build_error_detail = ""
        draft.build_done = draft.build_total = 0
        draft.build_started_at = timezone.now()
        draft.build_heartbeat_at = None
        draft.build_resumes = 0
        draft.built_by = _user(user)
        draft.built_by_label = "" if _user(user) else (label or audit.current_actor().label)
        draft.save(
            update_fields=[
                "build_state",
                "build_error",
                "build_error_detail",
                "build_done",
                "build_total",
                "build_started_at",
                "build_heartbeat_at",
                "build_resumes",
                "built_by",
                "built_by_label",
            ]
        )
        _log(
            AuditEntry.UPDATE,
            draft,
            before,
            ["build_state"],
            note=_("重新生成"),
            user=user,
        )
        batch = draft
    else:
        counter.last += 1
        counter.save(update_fields=["last"])
        batch = Batch.objects.create(
            number=f"{period:%Y%m}-{counter.last:02d}",
            period=period,
            build_started_at=timezone.now(),
            built_by=_user(user),
            built_by_label="" if _user(user) else (label or audit.current_actor().label),
        )
        _log(
            AuditEntry.CREATE,
            batch,
            None,
            ["number", "period", "status", "build_state"],
            user=user,
        )
    if enqueue:
        transaction.on_commit(lambda: enqueue_build(batch.pk))
    return batch


def enqueue_build(batch_id: int) -> bool:
    """Queue the build task; when the broker cannot take it, the build is marked failed at once with a
    reason a user can act on (it can be started again right away), instead of waiting as queued forever."""
    from .tasks import build_batch_task

    if jobs.enqueue(build_batch_task, batch_id):
        return True
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.build_state != BuildState.QUEUED:
            return False
        before = audit.snapshot(batch, ["build_state", "build_error"])
        batch.build_state = BuildState.FAILED
        batch.build_error = _(
            "后台任务服务（Redis）暂时无法连接，批次未能开始生成。请稍后点击“重新生成”，或联系系统管理员。"
        )
        batch.save(update_fields=["build_state", "build_error"])
        _log(AuditEntry.UPDATE, batch, before, ["build_state", "build_error"])
    return False


def _claim(batch_id: int) -> tuple[Batch, int] | None:
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status != BatchStatus.DRAFT or batch.build_state not in (
            BuildState.QUEUED,
            BuildState.RUNNING,
        ):
            log.warning(
                "batch %s is %s/%s: not built",
                batch.number,
                batch.status,
                batch.build_state,
            )
            return None
        if batch.build_state == BuildState.RUNNING and not _is_stale(batch):
            log.warning("batch %s is being built by another worker", batch.number)
            return None
        generation = max(batch.generation, batch.building_generation) + 1
        batch.build_state = BuildState.RUNNING
        batch.building_generation = generation
        batch.build_started_at = batch.build_heartbeat_at = timezone.now()
        batch.save(update_fields=["build_state", "building_generation", "build_started_at", "build_heartbeat_at"])
    return batch, generation


def _progress(batch: Batch, done: int, total: int | None = None) -> None:
    fields = {"build_done": done}
    if total is not None:
        fields["build_total"] = total
    Batch.objects.filter(pk=batch.pk).update(**fields)


def _estimate(end: datetime.date, run: RatingRun | None) -> int:
    from pledges.models import SIGNED_STATES, Pledge

    n = Pledge.objects.filter(state__in=SIGNED_STATES, signed_on__lte=end).count()
    if run is not None:
        n += sum(run.level_counts.values_list("n", flat=True))
    return n + repair_reporting.queued_requests().count()


_COPY_COLUMNS = (
    "batch_id",
    "generation",
    "sheet",
    "position",
    "key",
    "company_id",
    "customer_id",
    "source_id",
    "ref_date",
    "values",
    "held",
    "reasons",
    "note",
    "return_reason",
)


def _write(batch: Batch, generation: int, rows: list[tuple[builder.Row, int]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = BatchRow._meta.db_table
        columns = ", ".join(f'"{c}"' for c in _COPY_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row, position in rows:
                copy.write_row(
                    (
                        batch.pk,
                        generation,
                        row.sheet,
                        position,
                        row.key[:32],
                        row.company_id,
                        row.customer_id,
                        row.source_id,
                        row.ref_date,
                        json.dumps(row.values, ensure_ascii=False),
                        bool(row.reasons),
                        json.dumps(row.reasons, ensure_ascii=False),
                        row.note[:200],
                        "",
                    )
                )
        return
    BatchRow.objects.bulk_create(
        [
            BatchRow(
                batch_id=batch.pk,
                generation=generation,
                sheet=row.sheet,
                position=position,
                key=row.key[:32],
                company_id=row.company_id,
                customer_id=row.customer_id,
                source_id=row.source_id,
                ref_date=row.ref_date,
                values=row.values,
                held=bool(row.reasons),
                reasons=row.reasons,
                note=row.note[:200],
            )
            for row, position in rows
        ],
        batch_size=1000,
    )


def _fill(batch: Batch, generation: int) -> tuple[dict, RatingRun | None, str]:
    """Collect and write every sheet's rows of `generation`; returns the counts, the run and its note."""
    end = builder.period_end(batch.period)
    unit_of = builder.units()
    run, note = builder.rating_run(end)
    # Progress counts each row three times: written to the batch, to the workbook, to the CSV zip.
    _progress(batch, 0, 3 * _estimate(end, run))
    counts: dict = {s: {"included": 0, "held": 0} for s in SHEET_ORDER}
    by_company: dict[str, dict] = {}
    done = 0
    pending: list[tuple[builder.Row, int]] = []
    held_pledges: set[int] = set()

    def add(rows, sheet: str) -> None:
        nonlocal done, pending
        for position, row in enumerate(rows, start=1):
            pending.append((row, position))
            held = bool(row.reasons)
            counts[sheet]["held" if held else "included"] += 1
            company = by_company.setdefault(
                str(row.company_id),
                {s: {"included": 0, "held": 0} for s in SHEET_ORDER},
            )
            company[sheet]["held" if held else "included"] += 1
            if sheet == Sheet.PLEDGE and held:
                held_pledges.add(row.source_id)
            if len(pending) >= WRITE_CHUNK:
                with transaction.atomic():
                    _write(batch, generation, pending)
                done += len(pending)
                pending = []
                _progress(batch, done)

    add(builder.pledge_rows(end, unit_of), Sheet.PLEDGE)
    level_run = (
        run or RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED, as_of__lte=end).order_by("-as_of").first()
    )
    from pledges.models import Pledge, PledgeState

    breached = Pledge.objects.filter(state=PledgeState.BREACHED, breached_on__lte=end).values_list(
        "customer_id", flat=True
    )
    levels = builder.effective_levels(level_run, breached) if level_run else {}
    add(builder.fulfilment_rows(end, unit_of, held_pledges, levels), Sheet.FULFILMENT)
    earlier = builder.returned_rating_rows(end, unit_of)
    add(itertools.chain(builder.rating_rows(run, unit_of), earlier) if run else earlier, Sheet.RATING)
    add(builder.repair_rows(end, unit_of), Sheet.REPAIR)
    with transaction.atomic():
        _write(batch, generation, pending)
    done += len(pending)
    _progress(batch, done, 3 * done)
    counts["by_company"] = by_company
    return counts, run, note


def _ticking(sheets, batch: Batch, start: int, every: int = 20_000):
    """The sheets with their rows counted into the batch's progress as the writer takes them."""
    done = start

    def rows(source):
        nonlocal done
        pending = 0
        for row in source:
            yield row
            pending += 1
            if pending == every:
                done, pending = done + pending, 0
                _progress(batch, done)
        done += pending

    return [(name, columns, rows(source)) for name, columns, source in sheets], lambda: done


def _write_files(batch: Batch, generation: int, xlsx, csv_zip) -> tuple[File, File]:
    """The workbook and the CSV zip of the generation's included rows, into two open temporary files."""
    from . import exporters

    written = Batch.objects.values_list("build_done", flat=True).get(pk=batch.pk)
    sheets, done = _ticking(builder.export_sheets(batch, generation), batch, written)
    exporters.write_xlsx(xlsx, sheets)
    sheets, done = _ticking(builder.export_sheets(batch, generation), batch, done())
    exporters.write_csv_zip(csv_zip, batch.number, sheets)
    xlsx.seek(0)
    csv_zip.seek(0)
    return File(xlsx, name=f"{batch.number}.xlsx"), File(csv_zip, name=f"{batch.number}-csv.zip")


def _fail(batch: Batch, generation: int, exc: BaseException) -> None:
    log.exception("building batch %s failed", batch.number)
    BatchRow.objects.filter(batch=batch, generation=generation).delete()
    with transaction.atomic():
        locked = _locked(batch)
        if locked.building_generation != generation:
            return
        before = audit.snapshot(locked, ["build_state"])
        locked.build_state = BuildState.FAILED
        # Users read a short reason; the traceback is in the log.
        locked.build_error = _("生成失败，详细信息已写入系统日志，请联系系统管理员。")
        locked.build_error_detail = "".join(traceback.format_exception(exc))[:20000]
        locked.save(update_fields=["build_state", "build_error", "build_error_detail"])
        _log(AuditEntry.UPDATE, locked, before, ["build_state", "build_error"])


def run_build(batch_id: int) -> Batch | None:
    """Build the batch's rows and files (the task's body); None if it was not waiting to be built."""
    claimed = _claim(batch_id)
    if claimed is None:
        return None
    batch, generation = claimed
    try:
        with jobs.heartbeat(Batch, batch.pk, "build_heartbeat_at"):
            counts, run, note = _fill(batch, generation)
            with tempfile.TemporaryFile() as xlsx_tmp, tempfile.TemporaryFile() as zip_tmp:
                xlsx, csv_zip = _write_files(batch, generation, xlsx_tmp, zip_tmp)
                return _finish(batch, generation, counts, run, note, xlsx, csv_zip)
    except Exception as exc:
        _fail(batch, generation, exc)
        raise


def sweep() -> list[int]:
    """Queue again every build whose worker vanished (running, heartbeat stopped: counted, at most
    JOB_MAX_RESUMES times, then failed) or that waits queued with no sign of life (not counted: the
    claim takes a build once); returns the batches touched. A resumed build starts a new generation;
    the rows of the lost one are never switched to."""
    touched = []
    for batch in Batch.objects.filter(
        status=BatchStatus.DRAFT, build_state__in=(BuildState.QUEUED, BuildState.RUNNING)
    ).only("id", "build_state", "build_heartbeat_at", "build_started_at", "created_at"):
        if not _is_stale(batch):
            continue
        with transaction.atomic():
            batch = _locked(batch)
            if batch.build_state not in (BuildState.QUEUED, BuildState.RUNNING) or not _is_stale(batch):
                continue
            crashed = batch.build_state == BuildState.RUNNING
            give_up = crashed and batch.build_resumes >= jobs.max_resumes()
            before = audit.snapshot(batch, ["build_state", "build_error"])
            if give_up:
                batch.build_state = BuildState.FAILED
                batch.build_error = str(jobs.INTERRUPTED)
                batch.save(update_fields=["build_state", "build_error"])
                _log(AuditEntry.UPDATE, batch, before, ["build_state", "build_error"])
            else:
                batch.build_state = BuildState.QUEUED
                batch.build_heartbeat_at = timezone.now()
                batch.build_resumes += 1 if crashed else 0
                batch.save(update_fields=["build_state", "build_heartbeat_at", "build_resumes"])
        touched.append(batch.pk)
        if not give_up:
            log.warning("batch %s lost its worker or its task: queued again", batch.number)
            enqueue_build(batch.pk)
    return touched


@transaction.atomic
def _finish(batch: Batch, generation: int, counts: dict, run, note: str, xlsx: File, csv_zip: File) -> Batch | None:
    """Switch the batch to the new generation with its files and counts; drop the older rows."""
    locked = _locked(batch)
    if locked.building_generation != generation or locked.status != BatchStatus.DRAFT:
        BatchRow.objects.filter(batch=batch, generation=generation).delete()  # superseded by a newer build
        return None
    before = audit.snapshot(locked, ["build_state", "generation", "counts"])
    old_files = [f.name for f in (locked.xlsx, locked.csv_zip) if f]
    locked.xlsx.save(xlsx.name, xlsx, save=False)
    locked.csv_zip.save(csv_zip.name, csv_zip, save=False)
    locked.generation = generation
    locked.build_state = BuildState.DONE
    locked.counts = counts
    locked.rating_run = run
    locked.rating_note = note
    locked.built_at = timezone.now()
    locked.build_done = locked.build_total  # held rows are in no file: the progress ends full
    locked.save(
        update_fields=[
            "build_done",
            "xlsx",
            "csv_zip",
            "generation",
            "build_state",
            "counts",
            "rating_run",
            "rating_note",
            "built_at",
        ]
    )
    BatchRow.objects.filter(batch=locked).exclude(generation=generation).delete()
    _log(AuditEntry.UPDATE, locked, before, ["build_state", "generation", "counts"], note=_("生成完成"))
    storage = locked.xlsx.storage
    for name in old_files:
        transaction.on_commit(lambda name=name: storage.delete(name))
    return locked


def build_now(period: datetime.date, *, user=None, label: str = "") -> Batch:
    """Build the period's batch in this process (the command): start_build without the task, then run_build."""
    batch = start_build(period, user=user, label=label, enqueue=False)
    built = run_build(batch.pk)
    return built or Batch.objects.get(pk=batch.pk)


def build_after_run(as_of: datetime.date) -> str | None:
    """After the scheduled month-end run: build the month's draft (a new batch, or the draft rebuilt).

    Nothing when `as_of` is not a month's last day, or the month was already handed over (a supervisor
    builds the next number by hand then), or a build of it is going on. Returns the batch number.
    """
    period = as_of.replace(day=1)
    if builder.period_end(period) != as_of:
        return None
    latest = Batch.objects.filter(period=period).order_by("-number").first()
    if latest is not None and latest.status != BatchStatus.DRAFT:
        log.info(
            "period %s already has batch %s (%s): not rebuilt after the run",
            period,
            latest.number,
            latest.status,
        )
        return None
    try:
        with audit.acting_as("task:reporting.build_after_run"):
            batch = build_now(period, label="task:reporting.build_after_run")
    except BatchError as exc:
        log.warning("batch of %s not built after the run: %s", period, exc)
        return None
    return batch.number


# --- moving on -------------------------------------------------------------------------------------


def refusal(batch: Batch, action: str) -> str | None:
    """Why `action` (export, submit, accept) cannot be done now; None if it can. Pages ask before showing
    a button; the transitions check again under the lock."""
    if action == "export":
        if batch.status != BatchStatus.DRAFT:
            return _("批次 %(no)s 已%(status)s，不能再次导出") % {
                "no": batch.number,
                "status": batch.get_status_display(),
            }
        if batch.build_state != BuildState.DONE:
            return _("批次 %(no)s %(state)s，完成后才能导出") % {
                "no": batch.number,
                "state": batch.get_build_state_display(),
            }
        later = (
            Batch.objects.exclude(pk=batch.pk).filter(exported_at__isnull=False).aggregate(at=Max("exported_at"))["at"]
        )
        if later is not None and batch.built_at is not None and later > batch.built_at:
            return _("批次 %(no)s 生成之后又有其他批次导出，其中的行可能已经报送，请重新生成后再导出") % {
                "no": batch.number
            }
        return None
    expected = {"submit": BatchStatus.EXPORTED, "accept": BatchStatus.SUBMITTED}[action]
    if batch.status != expected:
        label = {"submit": _("标记为已报送"), "accept": _("标记为已接收")}[action]
        return _("批次 %(no)s 当前状态为“%(status)s”，不能%(action)s") % {
            "no": batch.number,
            "status": batch.get_status_display(),
            "action": label,
        }
    return None


@transaction.atomic
def export_batch(batch: Batch | int, *, user=None) -> Batch:
    """草稿 → 已导出: its rows count as reported from now on; the repair decisions leave the queue."""
    require_all_companies(user)
    batch = _locked(batch)
    reason = refusal(batch, "export")
    if reason:
        raise BatchError(reason)
    fields = ["status", "exported_at", "exported_by"]
    before = audit.snapshot(batch, fields)
    batch.status = BatchStatus.EXPORTED
    batch.exported_at = timezone.now()
    batch.exported_by = _user(user)
    batch.save(update_fields=fields)
    numbers = BatchRow.objects.filter(
        batch=batch, generation=batch.generation, sheet=Sheet.REPAIR, held=False
    ).values_list("key", flat=True)
    repair_reporting.mark_reported(list(numbers), batch.number)
    _log(AuditEntry.UPDATE, batch, before, fields, user=user, note=_("导出"))
    return batch


def _move(batch: Batch | int, action: str, status: str, at: str, by: str, note: str, user) -> Batch:
    require_all_companies(user)
    batch = _locked(batch)
    reason = refusal(batch, action)
    if reason:
        raise BatchError(reason)
    fields = ["status", at, by]
    before = audit.snapshot(batch, fields)
    batch.status = status
    setattr(batch, at, timezone.now())
    setattr(batch, by, _user(user))
    batch.save(update_fields=fields)
    _log(AuditEntry.UPDATE, batch, before, fields, user=user, note=note)
    return batch


@transaction.atomic
def mark_submitted(batch: Batch | int, *, user=None) -> Batch:
    """已导出 → 已报送: the files were uploaded to the platform."""
    return _move(
        batch,
        "submit",
        BatchStatus.SUBMITTED,
        "submitted_at",
        "submitted_by",
        _("标记为已报送"),
        user,
    )


@transaction.atomic
def mark_accepted(batch: Batch | int, *, user=None) -> Batch:
    """已报送 → 已接收: the platform accepted every row."""
    return _move(
        batch,
        "accept",
        BatchStatus.ACCEPTED,
        "accepted_at",
        "accepted_by",
        _("标记为已接收"),
        user,
    )


def held_rows(batch: Batch, company_ids: Iterable[int] | None = None):
    qs = BatchRow.objects.filter(batch=batch, generation=batch.generation, held=True).select_related("customer")
    if company_ids is not None:
        qs = qs.filter(company_id__in=list(company_ids))
    return qs.order_by("sheet", "position")
