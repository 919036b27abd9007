"""What the next platform batch reads from the repair app: sheet 信用修复 (reporting-batch.md).

A decided repair (准予修复 / 不予修复) is queued (`queued_for_report`) by its decision. The batch
builder (reporting app, to come) takes `queued_rows()`, and after export calls `mark_reported`
with the batch number; a row the platform returns is queued again with `requeue`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from customers import audit
from customers.models import AuditEntry

from .models import RepairRequest

SHEET = "信用修复"
COLUMNS = (
    "编号",
    "企业名称",
    "统一社会信用代码",
    "修复事项",
    "申请日期",
    "决定日期",
    "决定",
    "决定单位",
    "决定单位代码",
)
DECISIONS = {RepairRequest.Status.APPROVED: "准予修复", RepairRequest.Status.REJECTED: "不予修复"}


def matters(req: RepairRequest) -> str:
    """修复事项: the records concerned, in words (C512)."""
    parts = [f"{e.get_type_display()}({e.occurred_on:%Y-%m-%d},{e.ref})" for e in req.events.all()]
    parts += [f"逾期缴纳水费({b.period} 账单,缴费期限 {b.due_on:%Y-%m-%d})" for b in req.bills.all()]
    return ";".join(parts)[:512]


def queued_requests():
    return (
        RepairRequest.objects.filter(
            queued_for_report=True, reported_batch="", kind=RepairRequest.Kind.REPAIR, status__in=list(DECISIONS)
        )
        .select_related("customer", "company")
        .prefetch_related("events", "bills")
        .order_by("decided_at", "id")
    )


def row(req: RepairRequest) -> dict[str, str]:
    company = req.company
    return {
        "编号": req.number,
        "企业名称": req.customer.name,
        "统一社会信用代码": req.customer.uscc,
        "修复事项": matters(req),
        "申请日期": f"{timezone.localdate(req.submitted_at):%Y-%m-%d}",
        "决定日期": f"{timezone.localdate(req.decided_at):%Y-%m-%d}",
        "决定": DECISIONS[req.status],
        "决定单位": company.registered_name or company.name,
        "决定单位代码": company.uscc,
    }


def queued_rows() -> list[dict[str, str]]:
    """The sheet's rows for every decided repair not yet in a batch, oldest decision first."""
    return [row(req) for req in queued_requests()]


@transaction.atomic
def mark_reported(numbers: Iterable[str], batch_number: str) -> int:
    """The batch `batch_number` carries these requests: they leave the queue (logged per request)."""
    count = 0
    for req in RepairRequest.objects.select_for_update().filter(number__in=list(numbers), queued_for_report=True):
        before = audit.snapshot(req, ["queued_for_report", "reported_batch"])
        req.queued_for_report = False
        req.reported_batch = batch_number
        req.save(update_fields=["queued_for_report", "reported_batch"])
        audit.record(AuditEntry.UPDATE, req, before, audit.snapshot(req, ["queued_for_report", "reported_batch"]))
        count += 1
    return count


@transaction.atomic
def requeue(number: str, reason: str) -> RepairRequest:
    """The platform returned the row: it goes into the next batch again."""
    req = RepairRequest.objects.select_for_update().get(number=number)
    before = audit.snapshot(req, ["queued_for_report", "reported_batch"])
    req.queued_for_report = True
    req.reported_batch = ""
    req.save(update_fields=["queued_for_report", "reported_batch"])
    audit.record(
        AuditEntry.UPDATE, req, before, audit.snapshot(req, ["queued_for_report", "reported_batch"]), note=reason
    )
    return req
