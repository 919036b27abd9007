"""Batch printing: many pledges of one company as ONE PDF, one pledge per page, built by a Celery task.

`start_batch` creates the batch row and queues `pledges.build_batch` after the commit. A batch
either names its pledges (chosen on a page) or, when it has none, prints every rateable customer
of its company without a signed pledge: the task prepares the missing pledges first. The task
renders CHUNK pledges at a time, writes `done` after each chunk (the batch page polls it), then
combines the pages into one PDF, stores it and marks the pledges printed.

Recovery (`suizhou_credit.jobs`): the broker refusing the task fails the batch at once with a Chinese
reason; while it runs the batch's heartbeat is kept fresh, and `sweep` (every minute on beat) queues
again a batch whose heartbeat stopped (its worker died) or that waited queued with no task behind it,
at most `JOB_MAX_RESUMES` times, then fails it. Running it again is safe: preparing the missing pledges
finds those already prepared, the PDF is rendered again from the start, and the pledges are marked
printed in the same transaction that marks the batch succeeded (a batch already succeeded is not run).
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Company, Customer
from customers.services import TransitionError
from suizhou_credit import jobs

from . import pdf, services
from .models import SIGNED_STATES, BatchStatus, Pledge, PledgeBatch, PledgeKind, PledgeState

log = logging.getLogger(__name__)

CHUNK = 25
# Pages of every chunk stay in memory until they are combined (~0.15 MB a page): cap a batch.
MAX_BATCH = 2000
# Last resort when beat (and so the sweeper) is not running: a batch silent for this long no longer
# keeps the company from starting the next batch. The sweeper resumes or fails it within minutes.
STALE_AFTER = datetime.timedelta(hours=1)


def last_sign_of_life(batch: PledgeBatch) -> datetime.datetime:
    return batch.heartbeat_at or batch.created_at


def rateable_customers(company: Company | int) -> QuerySet[Customer]:
    """Customers who can pledge: with a USCC and already opened."""
    company_id = company.pk if isinstance(company, Company) else company
    return Customer.objects.filter(company_id=company_id, opened_on__lte=timezone.localdate()).exclude(uscc="")


def signed_pledge_exists() -> Exists:
    return Exists(Pledge.objects.filter(customer_id=OuterRef("pk"), kind=PledgeKind.VOLUNTARY, state__in=SIGNED_STATES))


def signed_pledge_relation() -> FilteredRelation:
    """The customer's signed (and unrevoked) voluntary pledge as a joinable relation (at most one)."""
    return FilteredRelation(
        "pledges", condition=Q(pledges__kind=PledgeKind.VOLUNTARY, pledges__state__in=SIGNED_STATES)
    )


def customers_without_pledge(company: Company | int) -> QuerySet[Customer]:
    """Rateable customers of the company without a signed (and unrevoked) voluntary pledge."""
    return rateable_customers(company).filter(~signed_pledge_exists()).order_by("account_no")


def next_to_print(company: Company | int) -> QuerySet[Customer]:
    """What a company-wide batch prints: customers without a signed pledge, those whose pledge was
    never printed first (so batch after batch works through a large company), at most MAX_BATCH."""
    printed = Exists(
        Pledge.objects.filter(customer_id=OuterRef("pk"), kind=PledgeKind.VOLUNTARY, state=PledgeState.PRINTED)
    )
    return customers_without_pledge(company).annotate(_printed=printed).order_by("_printed", "account_no")[:MAX_BATCH]


class BatchPending(TransitionError):
    """A company-wide batch was asked for while another batch of the company is still being built."""

    def __init__(self, message: str, batch: PledgeBatch) -> None:
        super().__init__(message)
        self.batch = batch


@transaction.atomic
def start_batch(company: Company, *, user, pledges: Iterable[Pledge] | None = None) -> PledgeBatch:
    """Queue a batch for `company`: the given pledges, or the customers without a signed pledge
    (`next_to_print`: at most MAX_BATCH, those never printed first)."""
    chosen = list(pledges) if pledges is not None else None
    if chosen is not None:
        if not chosen:
            raise TransitionError(_("没有选择要打印的承诺书"))
        if any(p.company_id != company.pk for p in chosen):
            raise TransitionError(_("批量打印只能包含同一公司的承诺书"))
        if any(p.state == PledgeState.REVOKED for p in chosen):
            raise TransitionError(_("已撤销的承诺书不能打印"))
        total = len(chosen)
    else:
        # Locking the company serialises two clicks of the button: the second finds the first's batch.
        Company.objects.select_for_update().filter(pk=company.pk).first()
        pending = next(
            (
                b
                for b in PledgeBatch.objects.filter(
                    company=company, status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]
                ).order_by("-created_at", "-id")
                if last_sign_of_life(b) >= timezone.now() - STALE_AFTER
            ),
            None,
        )
        if pending is not None:
            raise BatchPending(
                _("%(company)s 已有一批承诺书正在生成（%(done)d / %(total)d 份），请等它完成后再打印下一批")
                % {"company": company.name, "done": pending.done, "total": pending.total},
                pending,
            )
        total = min(customers_without_pledge(company)[: MAX_BATCH + 1].count(), MAX_BATCH)
        if not total:
            raise TransitionError(_("%(company)s 的客户都已签署承诺书，没有需要打印的") % {"company": company.name})
    if total > MAX_BATCH:
        raise TransitionError(
            _("一次最多打印 %(max)d 份，本次有 %(n)d 份，请分批打印") % {"max": MAX_BATCH, "n": total}
        )
    batch = PledgeBatch.objects.create(
        company=company,
        total=total,
        prepared=chosen is not None,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    if chosen is not None:
        batch.pledges.set(chosen)
    audit.record(AuditEntry.CREATE, batch, None, audit.snapshot(batch, ["company", "status", "total"]))
    transaction.on_commit(lambda: queue(batch.pk))
    return batch


def queue(batch_id: int) -> bool:
    """Hand the batch to the workers; when the broker cannot take it, fail it at once with a reason."""
    from .tasks import build_batch

    if jobs.enqueue(build_batch, batch_id):
        return True
    _mark_failed(batch_id, str(jobs.QUEUE_FAILED), statuses=(BatchStatus.QUEUED,))
    return False


def _mark_failed(batch_id: int, error: str, detail: str = "", statuses=(BatchStatus.QUEUED, BatchStatus.RUNNING)):
    """Fail the batch (if still in one of `statuses`) with a short reason for users; `detail` (the
    traceback) is for the log and administrators."""
    with transaction.atomic():
        failed = PledgeBatch.objects.select_for_update().get(pk=batch_id)
        if failed.status not in statuses:
            return
        before = audit.snapshot(failed, ["status", "done"])
        failed.status = BatchStatus.FAILED
        failed.error = error[:1000]
        failed.error_detail = detail[:20000]
        failed.finished_at = timezone.now()
        failed.save(update_fields=["status", "error", "error_detail", "finished_at"])
        audit.record(AuditEntry.UPDATE, failed, before, audit.snapshot(failed, ["status", "done"]), note=error[:500])


def _claim(batch_id: int) -> PledgeBatch | None:
    """Take the batch up: a queued one, or a running one whose worker fell silent (a redelivery)."""
    with transaction.atomic():
        batch = PledgeBatch.objects.select_for_update().get(pk=batch_id)
        lost = batch.status == BatchStatus.RUNNING and last_sign_of_life(batch) < jobs.stale_before()
        if batch.status != BatchStatus.QUEUED and not lost:
            log.warning("batch %s is %s, not started again", batch_id, batch.status)
            return None
        batch.status = BatchStatus.RUNNING
        batch.heartbeat_at = timezone.now()
        batch.done = 0
        batch.save(update_fields=["status", "heartbeat_at", "done"])
    return batch


@transaction.atomic
def start_selected_batch(company: Company, account_nos: Iterable[str], *, user) -> PledgeBatch:
    """批量打印 the pledges of the customers a clerk ticked on the list of customers without a pledge:
    each one's pledge prepared (`services.prepare_missing`: an existing unsigned one is reused), then
    one batch of exactly those pledges (`start_batch`). All or nothing: an account that is not one of
    the company's customers without a signed pledge (another company's, unknown, signed meanwhile)
    is named and nothing is prepared."""
    wanted = list(dict.fromkeys(a.strip() for a in account_nos if a and a.strip()))
    if not wanted:
        raise TransitionError(_("请先勾选要打印承诺书的客户"))
    if len(wanted) > MAX_BATCH:
        raise TransitionError(_("一次最多打印 %(max)d 份，本次选了 %(n)d 户") % {"max": MAX_BATCH, "n": len(wanted)})
    customers = list(customers_without_pledge(company).filter(account_no__in=wanted))
    found = {c.account_no for c in customers}
    missing = [a for a in wanted if a not in found]
    if missing:
        raise TransitionError(
            _("户号 %(accounts)s 不存在或已签署承诺书，未打印任何承诺书") % {"accounts": "、".join(missing[:10])}
        )
    pledges = services.prepare_missing(customers, user=user)
    return start_batch(company, user=user, pledges=pledges)


def _prepare(batch: PledgeBatch) -> list[int]:
    """The ids of the batch's pledges in print order (account number), preparing missing ones
    (again after a lost worker: prepare_missing returns the pledges already prepared)."""
    if not batch.prepared:
        customers = list(next_to_print(batch.company_id))
        for start in range(0, len(customers), 200):
            with transaction.atomic():
                pledges = services.prepare_missing(customers[start : start + 200], user=batch.created_by)
                batch.pledges.add(*pledges)
        PledgeBatch.objects.filter(pk=batch.pk).update(prepared=True)
    ids = list(
        batch.pledges.exclude(state=PledgeState.REVOKED)
        .order_by("customer__account_no", "pk")
        .values_list("pk", flat=True)
    )
    PledgeBatch.objects.filter(pk=batch.pk).update(total=len(ids))
    return ids


def run_batch(batch_id: int) -> PledgeBatch | None:
    """Build the batch's PDF (the task's body); a failure marks the batch failed with the error."""
    batch = _claim(batch_id)
    if batch is None:
        return None
    with jobs.heartbeat(PledgeBatch, batch_id):
        return _build(batch)


def _build(batch: PledgeBatch) -> PledgeBatch:
    batch_id, claimed = batch.pk, batch.resumes
    try:
        ids = _prepare(batch)
        documents = []
        for start in range(0, len(ids), CHUNK):
            chunk_ids = ids[start : start + CHUNK]
            by_id = Pledge.objects.select_related("template", "customer").in_bulk(chunk_ids)
            chunk = [by_id[pk] for pk in chunk_ids]
            documents.append(pdf.render_document("pdf/pledge.html", {"pledges": chunk}))
            PledgeBatch.objects.filter(pk=batch.pk).update(done=start + len(chunk))
        data = pdf.combine(documents)
        del documents
        with transaction.atomic():
            batch = PledgeBatch.objects.select_for_update().get(pk=batch.pk)
            if batch.status != BatchStatus.RUNNING or batch.resumes != claimed:
                # failed by the sweeper meanwhile, or taken over by another worker: print nothing
                return batch
            batch.output.save(f"batch-{batch.pk}.pdf", ContentFile(data), save=False)
            services.mark_printed(ids, user=batch.created_by, skip_revoked=True)
            before = audit.snapshot(batch, ["status", "done"])
            batch.status = BatchStatus.SUCCEEDED
            batch.done = len(ids)
            batch.total = len(ids)
            batch.finished_at = timezone.now()
            batch.save(update_fields=["output", "status", "done", "total", "finished_at"])
            after = {**audit.snapshot(batch, ["status", "done"]), "output": batch.output.name}
            audit.record(AuditEntry.UPDATE, batch, before, after)
        return batch
    except Exception:
        log.exception("pledge batch %s failed", batch_id)
        _mark_failed(batch_id, str(jobs.FAILED), traceback.format_exc())
        raise


def sweep() -> list[int]:
    """Queue again every batch whose worker vanished (running, heartbeat stopped: counted, at most
    JOB_MAX_RESUMES times, then failed) or that waits queued with no sign of life (not counted: a
    duplicate message is harmless, the claim takes a batch once); returns the batches touched."""
    cutoff = jobs.stale_before()
    touched = []
    for batch in PledgeBatch.objects.filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING]):
        if last_sign_of_life(batch) >= cutoff:
            continue
        with transaction.atomic():
            batch = PledgeBatch.objects.select_for_update().get(pk=batch.pk)
            if batch.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING) or last_sign_of_life(batch) >= cutoff:
                continue
            crashed = batch.status == BatchStatus.RUNNING
            give_up = crashed and batch.resumes >= jobs.max_resumes()
            if not give_up:
                batch.status = BatchStatus.QUEUED
                batch.heartbeat_at = timezone.now()
                batch.resumes += 1 if crashed else 0
                batch.save(update_fields=["status", "heartbeat_at", "resumes"])
        touched.append(batch.pk)
        if give_up:
            _mark_failed(batch.pk, str(jobs.INTERRUPTED))
        else:
            log.warning("pledge batch %s lost its worker or its task: queued again", batch.pk)
            queue(batch.pk)
    return touched
