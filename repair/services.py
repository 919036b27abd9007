"""Repair and objection requests: one function per transition, atomic, locked, checked and logged.

    已提交 --accept--> 已受理 --approve/reject--> 准予修复 / 不予修复        (repair)
       |                  \\--uphold/dismiss--> 异议成立 / 异议不成立      (objection)
       \\--refuse--> 不予受理                     (extend: once, while 已受理)

Deadlines (working days, `repair.workdays`): accept or refuse by the 3rd working day after the
day of submission; decide by the 7th working day after the day of acceptance; one extension of
7 more working days, by a supervisor, with a reason, before the deadline has passed (an overdue
request stays overdue until it is decided: an extension may not erase a missed deadline).

Four eyes: only a supervisor accepts, refuses, extends or decides, and never one who lodged or
edited the request, added evidence to it or recorded its signed repair pledge (`editors`); the functions check it themselves, so no page or command can
bypass it. Every transition writes an audit entry keyed to the request (model "repair"), with
the status before and after and the reason: that is the request's history.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Bill, Customer, Event
from customers.roles import is_supervisor, require_supervisor
from customers.services import TransitionError, void_event

from . import effect
from .models import Evidence, NumberCounter, RepairRequest, RestrictionRelease
from .workdays import add_working_days

ACCEPT_WORKING_DAYS = 3
DECIDE_WORKING_DAYS = 7
EXTENSION_WORKING_DAYS = 7
PREFIXES = {RepairRequest.Kind.REPAIR: "XF", RepairRequest.Kind.OBJECTION: "YY"}
RESTRICTED_LEVELS = ("yellow", "red")
LEVEL_RANK = {"green": 0, "blue": 1, "yellow": 2, "red": 3}

Status = RepairRequest.Status

__all__ = [
    "TransitionError",
    "accept",
    "add_evidence",
    "approve",
    "dismiss",
    "edit_request",
    "extend",
    "lodge_request",
    "refuse",
    "reject",
    "uphold",
]


# --- helpers ------------------------------------------------------------------------------


def _check_visible(customer_id: int, user) -> None:
    """The user must be able to see the customer (same rule as every page)."""
    if not Customer.objects.for_user(user).filter(pk=customer_id).exists():
        raise PermissionDenied(_("您无权处理该客户的申请"))


def _reason(reason: str | None, label: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError(_("必须填写%(label)s") % {"label": label})
    return reason


def _locked(request_id: int) -> RepairRequest:
    return RepairRequest.objects.select_for_update().select_related("customer", "company").get(pk=request_id)


def _require_status(req: RepairRequest, allowed: Sequence[str], doing: str) -> None:
    if req.status not in allowed:
        raise TransitionError(
            _("申请 %(number)s 当前状态为“%(status)s”，不能%(doing)s")
            % {"number": req.number, "status": req.get_status_display(), "doing": doing}
        )


def _require_kind(req: RepairRequest, kind: str, doing: str) -> None:
    if req.kind != kind:
        raise TransitionError(
            _("申请 %(number)s 是%(kind)s申请，不能%(doing)s")
            % {"number": req.number, "kind": req.get_kind_display(), "doing": doing}
        )


def may_decide(req: RepairRequest, user, editor_ids: Iterable[int] | None = None) -> bool:
    """A supervisor who neither lodged nor edited the request, nor received its signed repair pledge
    (which the pledges app's own page can record too)."""
    if not is_supervisor(user):
        return False
    ids = set(editor_ids) if editor_ids is not None else set(req.editors.values_list("pk", flat=True))
    if req.pledge_id is not None and req.pledge.received_by_id == user.pk:
        return False
    return user.pk not in ids


def _require_decider(req: RepairRequest, user) -> None:
    require_supervisor(user)
    _check_visible(req.customer_id, user)
    if not may_decide(req, user):
        raise TransitionError(
            _(
                "您提交、修改过申请 %(number)s 或为其补充过材料、登记过承诺书，"
                "按“双人审核”规定不能由您受理或决定，请由其他审核主管处理"
            )
            % {"number": req.number}
        )


SNAPSHOT_FIELDS = (
    "status",
    "reason",
    "accept_by",
    "accepted_at",
    "accepted_by",
    "decide_by",
    "extended_at",
    "extended_by",
    "extension_reason",
    "decided_at",
    "decided_by",
    "decision_reason",
    "level_before",
    "level_unrepaired",
    "level_after",
    "level_as_of",
    "queued_for_report",
    "pledge",
)


def _snapshot(req: RepairRequest) -> dict:
    return audit.snapshot(req, SNAPSHOT_FIELDS)


def _acting(user):
    """Entries are the deciding user's, unless a page, command or task has already named the actor."""
    if audit.current_actor() == audit.SYSTEM:
        return audit.acting_as(user=user)
    return contextlib.nullcontext()


def _log(action: str, req: RepairRequest, before: dict | None, user, note: str = "", extra: dict | None = None):
    after = _snapshot(req)
    if extra:
        after.update(extra)
    with _acting(user):
        audit.record(action, req, before, after, note=note)


def next_number(kind: str, company_code: str, day: datetime.date) -> str:
    """XF-CITY-20261128-0001 (repair) / YY-… (objection): a locked counter per prefix, company and day.

    Must run inside the caller's transaction; a number is never issued twice, and requests are
    never deleted, so a number is never reused.
    """
    key = f"{PREFIXES[kind]}-{company_code.upper()}-{day:%Y%m%d}"
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(key=key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{key}-{counter.last:04d}"


# --- records a request may concern ------------------------------------------------------------


def eligible_events(customer: Customer):
    """Events that still stand (neither voided nor repaired): what a request may concern."""
    return Event.objects.active().filter(customer=customer).order_by("-occurred_on", "-id")


def eligible_bills(customer: Customer):
    """Bills paid late or still overdue, not repaired: the late-payment records."""
    from django.db.models import F, Q

    today = timezone.localdate()
    return (
        Bill.objects.filter(customer=customer, repaired_at__isnull=True, due_on__lt=today)
        .filter(Q(paid_on__isnull=True) | Q(paid_on__gt=F("due_on")))
        .order_by("-period")
    )


def records_in_open_requests(customer: Customer, exclude_id: int | None = None) -> tuple[set[int], set[int]]:
    """Ids of the customer's events and bills already concerned by an open request (not offered again)."""
    qs = RepairRequest.objects.filter(customer=customer, status__in=RepairRequest.OPEN_STATUSES)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    events = set(RepairRequest.events.through.objects.filter(repairrequest__in=qs).values_list("event_id", flat=True))
    bills = set(RepairRequest.bills.through.objects.filter(repairrequest__in=qs).values_list("bill_id", flat=True))
    return events, bills


def _check_records(
    customer: Customer,
    events: Sequence[Event],
    bills: Sequence[Bill],
    kept_events: Iterable[int] = (),
    kept_bills: Iterable[int] = (),
) -> None:
    """The records must be the customer's standing ones (or already in the request being edited)."""
    if not events and not bills:
        raise ValidationError({"events": _("请至少选择一条涉及的信用事件或逾期账单")})
    event_ids = {e.pk for e in events} - set(kept_events)
    bill_ids = {b.pk for b in bills} - set(kept_bills)
    if event_ids - set(eligible_events(customer).filter(pk__in=event_ids).values_list("pk", flat=True)):
        raise ValidationError({"events": _("所选事件不属于该客户，或已作废/已修复")})
    if bill_ids - set(eligible_bills(customer).filter(pk__in=bill_ids).values_list("pk", flat=True)):
        raise ValidationError({"bills": _("所选账单不属于该客户，或不是逾期账单/已修复")})


def _open_conflicts(customer: Customer, events: Sequence[Event], bills: Sequence[Bill], exclude_id=None) -> list[str]:
    """Numbers of other open requests that already concern one of these records."""
    return open_conflicts(customer, [e.pk for e in events], [b.pk for b in bills], exclude_id)


def open_conflicts(customer: Customer, event_ids: Iterable[int], bill_ids: Iterable[int], exclude_id=None) -> list[str]:
    """Numbers of the customer's open requests (other than `exclude_id`) concerning one of these record ids."""
    from django.db.models import Q

    qs = RepairRequest.objects.filter(customer=customer, status__in=RepairRequest.OPEN_STATUSES).filter(
        Q(events__in=list(event_ids)) | Q(bills__in=list(bill_ids))
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return sorted(set(qs.values_list("number", flat=True)))


# --- transitions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceFile:
    """A checked upload ready to store (see pledges.uploads.check_upload)."""

    file: object
    name: str
    content_type: str
    sha256: str
    size: int
    purpose: str = Evidence.Purpose.EVIDENCE


# Files kept for one request, all uploads together (each upload is bounded by repair.forms.EvidenceField).
MAX_EVIDENCE_PER_REQUEST = 30


def _check_evidence_room(req: RepairRequest | None, adding: int) -> None:
    have = req.evidence.count() if req is not None else 0
    if have + adding > MAX_EVIDENCE_PER_REQUEST:
        raise ValidationError(
            {
                "files": _("每份申请最多 %(max)d 个材料文件，已有 %(have)d 个，本次 %(n)d 个")
                % {"max": MAX_EVIDENCE_PER_REQUEST, "have": have, "n": adding}
            }
        )


def _store_evidence(req: RepairRequest, item: EvidenceFile, user) -> Evidence:
    evidence = Evidence(
        request=req,
        purpose=item.purpose,
        original_name=item.name[:200],
        content_type=item.content_type,
        sha256=item.sha256,
        size=item.size,
        uploaded_by=user,
    )
    item.file.seek(0)
    evidence.file.save(item.name, item.file, save=False)
    evidence.save()
    return evidence


@transaction.atomic
def lodge_request(
    customer: Customer,
    *,
    kind: str,
    events: Sequence[Event] = (),
    bills: Sequence[Bill] = (),
    reason: str,
    evidence: Sequence[EvidenceFile] = (),
    user,
) -> RepairRequest:
    """A clerk (or supervisor) lodges a request for a customer they can see; it gets its number and deadline."""
    _check_visible(customer.pk, user)
    if kind not in PREFIXES:
        raise ValidationError({"kind": _("申请类型无效")})
    _check_evidence_room(None, len(evidence))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写申请理由")})
    Customer.objects.select_for_update().only("pk").get(pk=customer.pk)  # one lodging per customer at a time
    _check_records(customer, events, bills)
    conflicts = _open_conflicts(customer, events, bills)
    if conflicts:
        raise ValidationError(
            {"events": _("所选记录已在办理中的申请 %(numbers)s 中，请勿重复提交") % {"numbers": "、".join(conflicts)}}
        )
    now = timezone.now()
    today = timezone.localdate(now)
    req = RepairRequest.objects.create(
        number=next_number(kind, customer.company.code, today),
        kind=kind,
        customer=customer,
        company_id=customer.company_id,
        reason=reason,
        submitted_at=now,
        submitted_by=user,
        accept_by=add_working_days(today, ACCEPT_WORKING_DAYS),
    )
    req.events.set(events)
    req.bills.set(bills)
    req.editors.add(user)
    stored = [_store_evidence(req, item, user) for item in evidence]
    _log(
        AuditEntry.CREATE,
        req,
        None,
        user,
        note=reason,
        extra={
            "kind": kind,
            "events": [e.ref for e in events],
            "bills": [b.period for b in bills],
            "evidence": [f"{e.original_name} ({e.sha256[:12]})" for e in stored],
        },
    )
    return req


@transaction.atomic
def edit_request(
    request_id: int, *, events: Sequence[Event], bills: Sequence[Bill], reason: str, user
) -> RepairRequest:
    """Change the records and the reason while the request is still 已提交; the editor can no longer decide it."""
    req = _locked(request_id)
    _check_visible(req.customer_id, user)
    _require_status(req, [Status.SUBMITTED], _("修改"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写申请理由")})
    _check_records(
        req.customer,
        events,
        bills,
        kept_events=req.events.values_list("pk", flat=True),
        kept_bills=req.bills.values_list("pk", flat=True),
    )
    conflicts = _open_conflicts(req.customer, events, bills, exclude_id=req.pk)
    if conflicts:
        raise ValidationError(
            {"events": _("所选记录已在办理中的申请 %(numbers)s 中，请勿重复提交") % {"numbers": "、".join(conflicts)}}
        )
    before = _snapshot(req)
    before.update(
        events=list(req.events.values_list("ref", flat=True)), bills=list(req.bills.values_list("period", flat=True))
    )
    req.reason = reason
    req.save(update_fields=["reason"])
    req.events.set(events)
    req.bills.set(bills)
    req.editors.add(user)
    _log(
        AuditEntry.UPDATE,
        req,
        before,
        user,
        note=_("修改申请"),
        extra={"events": [e.ref for e in events], "bills": [b.period for b in bills]},
    )
    return req


@transaction.atomic
def add_evidence(request_id: int, files: Sequence[EvidenceFile], *, user) -> list[Evidence]:
    """Add evidence (or the signed repair pledge's scan) to an open request."""
    req = _locked(request_id)
    _check_visible(req.customer_id, user)
    _require_status(req, RepairRequest.OPEN_STATUSES, _("补充材料"))
    if not files:
        raise ValidationError({"files": _("请选择要上传的文件")})
    _check_evidence_room(req, len(files))
    stored = [_store_evidence(req, item, user) for item in files]
    req.editors.add(user)  # supplying evidence is editing: four eyes
    before = _snapshot(req)
    _log(
        AuditEntry.UPDATE,
        req,
        before,
        user,
        note=_("补充材料"),
        extra={"evidence": [f"{e.original_name} ({e.sha256[:12]})" for e in stored]},
    )
    return stored


@transaction.atomic
def accept(request_id: int, *, user, note: str = "") -> RepairRequest:
    """受理: the decision deadline is the 7th working day after today."""
    req = _locked(request_id)
    _require_decider(req, user)
    _require_status(req, [Status.SUBMITTED], _("受理"))
    before = _snapshot(req)
    now = timezone.now()
    req.status = Status.ACCEPTED
    req.accepted_at = now
    req.accepted_by = user
    req.decide_by = add_working_days(timezone.localdate(now), DECIDE_WORKING_DAYS)
    req.save(update_fields=["status", "accepted_at", "accepted_by", "decide_by"])
    _log(AuditEntry.UPDATE, req, before, user, note=(note or "").strip() or _("受理"))
    return req


def _decide(req: RepairRequest, status: str, reason: str, user) -> dict:
    before = _snapshot(req)
    req.status = status
    req.decided_at = timezone.now()
    req.decided_by = user
    req.decision_reason = reason
    return before


DECISION_FIELDS = ["status", "decided_at", "decided_by", "decision_reason"]


@transaction.atomic
def refuse(request_id: int, *, user, reason: str) -> RepairRequest:
    """不予受理, with the reason; nothing else changes."""
    reason = _reason(reason, _("不予受理的理由"))
    req = _locked(request_id)
    _require_decider(req, user)
    _require_status(req, [Status.SUBMITTED], _("不予受理"))
    before = _decide(req, Status.REFUSED, reason, user)
    req.save(update_fields=DECISION_FIELDS)
    _log(AuditEntry.UPDATE, req, before, user, note=reason)
    return req


def extension_refused_overdue(req: RepairRequest, today: datetime.date) -> bool:
    """An accepted request past its decision deadline can no longer be extended (the page says so)."""
    return req.status == Status.ACCEPTED and req.decide_by is not None and today > req.decide_by


@transaction.atomic
def extend(request_id: int, *, user, reason: str) -> RepairRequest:
    """Extend the decision deadline by 7 working days, once, with a reason, while it has not passed."""
    reason = _reason(reason, _("延期原因"))
    req = _locked(request_id)
    _require_decider(req, user)
    _require_status(req, [Status.ACCEPTED], _("延期"))
    if req.extended_at is not None:
        raise TransitionError(_("申请 %(number)s 已延期过一次，不能再次延期") % {"number": req.number})
    if extension_refused_overdue(req, timezone.localdate()):
        # An extension is granted before the time limit runs out; afterwards it would erase a missed
        # deadline. The request stays 超期 (and shown so) until it is decided.
        raise TransitionError(
            _(
                "申请 %(number)s 已超过办结期限 %(day)s，不能再延期：延期须在期限届满前办理。"
                "请尽快作出决定，超期情况保留在记录中"
            )
            % {"number": req.number, "day": f"{req.decide_by:%Y-%m-%d}"}
        )
    before = _snapshot(req)
    req.extended_at = timezone.now()
    req.extended_by = user
    req.extension_reason = reason
    req.decide_by = add_working_days(req.decide_by, EXTENSION_WORKING_DAYS)
    req.save(update_fields=["extended_at", "extended_by", "extension_reason", "decide_by"])
    _log(AuditEntry.UPDATE, req, before, user, note=reason)
    return req


@transaction.atomic
def prepare_repair_pledge(request_id: int, *, user):
    """Prepare the customer's 信用修复型 pledge (the pledges app's template) and tie it to the request."""
    from pledges.models import Pledge, PledgeState
    from pledges.services import prepare_pledge

    req = _locked(request_id)
    _check_visible(req.customer_id, user)
    _require_kind(req, RepairRequest.Kind.REPAIR, _("生成信用修复承诺书"))
    _require_status(req, RepairRequest.OPEN_STATUSES, _("生成信用修复承诺书"))
    if req.pledge_id is not None and req.pledge.state != PledgeState.REVOKED:
        raise TransitionError(_("申请 %(number)s 已有信用修复承诺书") % {"number": req.number})
    pledge = prepare_pledge(req.customer, kind=Pledge.Kind.REPAIR, user=user)
    before = _snapshot(req)
    req.pledge = pledge
    req.save(update_fields=["pledge"])
    _log(AuditEntry.UPDATE, req, before, user, note=_("生成信用修复承诺书"), extra={"pledge_step": _("已生成承诺书")})
    return pledge


@transaction.atomic
def sign_repair_pledge(request_id: int, *, signed_on: datetime.date, scan, checked, user):
    """Record the customer's signed repair pledge with its scan (the pledges app's signing)."""
    from pledges.services import sign_pledge

    req = _locked(request_id)
    _check_visible(req.customer_id, user)
    _require_kind(req, RepairRequest.Kind.REPAIR, _("登记承诺书签署"))
    _require_status(req, RepairRequest.OPEN_STATUSES, _("登记承诺书签署"))
    if req.pledge_id is None:
        raise TransitionError(_("申请 %(number)s 尚未生成信用修复承诺书") % {"number": req.number})
    pledge = sign_pledge(req.pledge_id, signed_on=signed_on, received_by=user, scan=scan, checked=checked, user=user)
    req.editors.add(user)  # recording the signed pledge is editing: four eyes
    before = _snapshot(req)
    _log(
        AuditEntry.UPDATE,
        req,
        before,
        user,
        note=_("登记签署信用修复承诺书"),
        extra={
            "pledge_step": _("承诺书已签署：承诺编码 %(no)s，签署日期 %(day)s")
            % {"no": pledge.number, "day": pledge.signed_on.isoformat()}
        },
    )
    return pledge


def _rerate(req: RepairRequest, user, reason: str) -> tuple[str | None, str | None]:
    """Re-rate at once in the latest stored run (the ratings app): (computed level before, after).

    While a rating run is going the customer cannot be re-rated: the decision is refused as a
    whole (the caller's transaction rolls back the records it marked), and the message says so."""
    from ratings.services import RerateBlocked, rerate_customer

    try:
        return rerate_customer(req.customer, user=user, reason=reason)
    except RerateBlocked as exc:
        raise TransitionError(
            _("申请 %(number)s 未办结，记录未作任何更改：%(why)s") % {"number": req.number, "why": exc}
        ) from exc


def _signal_events_changed(customer_id: int) -> None:
    """Inside the transaction, after the writes: a receiver that fails rolls the decision back."""
    from customers.signals import events_changed

    events_changed.send(sender=RepairRequest, customer_ids=[customer_id])


def pledge_ready(req: RepairRequest) -> bool:
    """A repair needs the customer's signed 信用修复型 pledge before it can be approved."""
    pledge = getattr(req, "pledge", None)
    if pledge is not None:
        from pledges.models import SIGNED_STATES

        return pledge.state in SIGNED_STATES
    return False


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving a repair would do, computed from the records now (see `repair.effect`).

    `as_of` is the date a re-rate uses: the latest succeeded run's (today's with no run, `run_date`
    None). `stored` is the customer's result in that run; `unrepaired` what the records give now with
    the request's records still counting; `after` with them excluded (what approval stores).
    """

    as_of: datetime.date
    run_date: datetime.date | None
    stored: str | None
    stored_criteria: tuple[str, ...]
    unrepaired: str | None
    unrepaired_criteria: tuple[str, ...]
    after: str | None
    after_criteria: tuple[str, ...]

    @property
    def others_changed(self) -> bool:
        """Records recorded or voided since the run changed the level the records give (without the repair)."""
        return self.run_date is not None and (self.stored or "") != (self.unrepaired or "")

    @property
    def criteria_changed(self) -> bool:
        """Same level, but other criteria hold now than when the run stored its result."""
        return (
            self.run_date is not None and not self.others_changed and self.stored_criteria != self.unrepaired_criteria
        )

    objection: bool = False  # an objection: `after` is the level if it is upheld

    @property
    def sentences(self) -> list[str]:
        return effect.decision_sentences(self.stored, self.unrepaired, self.after, self.run_date, self.objection)


class _Undo(Exception):
    pass


def _repaired_records(req: RepairRequest):
    """The records approval marks repaired: the request's standing events and its bills not yet repaired."""
    events = Event.objects.filter(repair_requests=req, repaired_at__isnull=True, voided_at__isnull=True)
    bills = Bill.objects.filter(repair_requests=req, repaired_at__isnull=True)
    return events, bills


def _rating_without_records(req: RepairRequest, as_of: datetime.date):
    """The customer's rating as of `as_of` with the request's records excluded, by the same path as a
    run and a re-rate (`ratings.services.rate_customer`): the records are marked repaired inside a
    savepoint that is always rolled back, so nothing is written."""
    from ratings.services import rate_customer

    rating = None
    try:
        with transaction.atomic():
            now = timezone.now()
            events, bills = _repaired_records(req)
            events.update(repaired_at=now)  # one UPDATE … WHERE id IN (the request's records) each
            bills.update(repaired_at=now)
            rating = rate_customer(req.customer, as_of)
            raise _Undo
    except _Undo:
        pass
    return rating


def _rating_if_upheld(req: RepairRequest, as_of: datetime.date):
    """The customer's rating as of `as_of` if the objection is upheld: its standing events voided and
    its bills taken as paid on their due date (the most a corrected payment date can do), by the
    same path as a re-rate, inside a savepoint that is always rolled back."""
    from ratings.services import rate_customer

    rating = None
    try:
        with transaction.atomic():
            req.events.filter(voided_at__isnull=True).update(voided_at=timezone.now())
            req.bills.update(paid_on=F("due_on"))
            rating = rate_customer(req.customer, as_of)
            raise _Undo
    except _Undo:
        pass
    return rating


def approval_preview(req: RepairRequest) -> ApprovalPreview:
    """Before deciding: the stored level of the latest run, the level the records give now with and
    without the request's records, for the date a re-rate would use. For an objection, "without"
    is the level if it is upheld (`_rating_if_upheld`)."""
    from ratings.models import RatingResult, RatingRun
    from ratings.services import rate_customer

    run = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    as_of = run.as_of if run is not None else timezone.localdate()
    result = RatingResult.objects.filter(run=run, customer=req.customer).first() if run is not None else None
    unrepaired = rate_customer(req.customer, as_of)
    objection = req.kind == RepairRequest.Kind.OBJECTION
    after = _rating_if_upheld(req, as_of) if objection else _rating_without_records(req, as_of)
    return ApprovalPreview(
        as_of=as_of,
        run_date=run.as_of if run is not None else None,
        stored=result.level if result is not None else None,
        stored_criteria=tuple(c for c in (result.criteria.split(";") if result is not None else ()) if c),
        unrepaired=unrepaired.level if unrepaired is not None else None,
        unrepaired_criteria=tuple(unrepaired.criteria) if unrepaired is not None else (),
        after=after.level if after is not None else None,
        after_criteria=tuple(after.criteria) if after is not None else (),
        objection=objection,
    )


def decision_sentences(req: RepairRequest) -> list[str]:
    """What an approved repair's or upheld objection's message, page and letter say about the level
    (`repair.effect`)."""
    if req.status not in (Status.APPROVED, Status.UPHELD) or req.level_unrepaired is None:
        return []
    return effect.decision_sentences(
        req.level_before, req.level_unrepaired, req.level_after, req.level_as_of, req.status == Status.UPHELD
    )


@transaction.atomic
def approve(request_id: int, *, user, reason: str) -> RepairRequest:
    """准予修复: the records are marked repaired (kept), the customer re-rated at once, a yellow/red
    customer's restrictions lifted with a dated entry, the decision queued for the platform batch."""
    reason = _reason(reason, _("决定理由"))
    req = _locked(request_id)
    _require_decider(req, user)
    _require_kind(req, RepairRequest.Kind.REPAIR, _("准予修复"))
    _require_status(req, [Status.ACCEPTED], _("准予修复"))
    if not pledge_ready(req):
        raise TransitionError(
            _("申请 %(number)s 尚未登记客户签署的信用修复承诺书，不能准予修复") % {"number": req.number}
        )
    unpaid = list(req.bills.filter(paid_on__isnull=True).order_by("period").values_list("period", flat=True))
    if unpaid:
        # The failing must have been corrected before a repair (信用修复管理办法): an unpaid bill has not.
        raise TransitionError(
            _("申请 %(number)s 涉及的账单 %(periods)s 仍未缴清，失信行为尚未纠正，不能准予修复")
            % {"number": req.number, "periods": "、".join(unpaid)}
        )
    before = _decide(req, Status.APPROVED, reason, user)
    now = req.decided_at
    # Before the records are marked: what they give now with the repaired ones still counting, for
    # the date the re-rate uses, so the repair's own effect can be told apart from other changes.
    Customer.objects.select_for_update().only("pk").get(pk=req.customer_id)
    from ratings.models import RatingRun
    from ratings.services import rate_customer

    run = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    unrepaired = rate_customer(req.customer, run.as_of if run is not None else timezone.localdate(now))
    with _acting(user):
        # A record voided since lodging stays voided only (it no longer counts anyway).
        standing = Event.objects.select_for_update().filter(
            repair_requests=req, repaired_at__isnull=True, voided_at__isnull=True
        )
        for event in standing:
            event_before = audit.snapshot(event, ["repaired_at"])
            event.repaired_at = now
            event.save(update_fields=["repaired_at"])
            audit.record(
                AuditEntry.REPAIR, event, event_before, audit.snapshot(event, ["repaired_at"]), note=req.number
            )
        for bill in (
            Bill.objects.select_for_update()
            .select_related("customer")
            .filter(repair_requests=req, repaired_at__isnull=True)
        ):
            bill_before = audit.snapshot(bill, ["repaired_at"])
            bill.repaired_at = now
            bill.save(update_fields=["repaired_at"])
            audit.record(AuditEntry.REPAIR, bill, bill_before, audit.snapshot(bill, ["repaired_at"]), note=req.number)
    level_before, level_after = _rerate(req, user, _("信用修复 %(number)s 准予修复") % {"number": req.number})
    req.level_before = level_before or ""
    req.level_unrepaired = unrepaired.level if unrepaired is not None else ""
    req.level_after = level_after or ""
    req.level_as_of = run.as_of if run is not None else None
    req.queued_for_report = True
    req.save(
        update_fields=[
            *DECISION_FIELDS,
            "level_before",
            "level_unrepaired",
            "level_after",
            "level_as_of",
            "queued_for_report",
        ]
    )
    if level_before in RESTRICTED_LEVELS and LEVEL_RANK.get(level_after or "", -1) < LEVEL_RANK[level_before]:
        release = RestrictionRelease.objects.create(
            customer=req.customer,
            request=req,
            released_on=timezone.localdate(now),
            level_before=level_before,
            level_after=level_after or "",
            released_by=user,
        )
        with _acting(user):
            audit.record(AuditEntry.CREATE, release, None, audit.snapshot(release), note=req.number)
    _log(AuditEntry.UPDATE, req, before, user, note=reason)
    _signal_events_changed(req.customer_id)
    return req


@transaction.atomic
def reject(request_id: int, *, user, reason: str) -> RepairRequest:
    """不予修复, with the reason: the records stay as they are; the decision is queued for the batch."""
    reason = _reason(reason, _("决定理由"))
    req = _locked(request_id)
    _require_decider(req, user)
    _require_kind(req, RepairRequest.Kind.REPAIR, _("不予修复"))
    _require_status(req, [Status.ACCEPTED], _("不予修复"))
    before = _decide(req, Status.REJECTED, reason, user)
    req.queued_for_report = True
    req.save(update_fields=[*DECISION_FIELDS, "queued_for_report"])
    _log(AuditEntry.UPDATE, req, before, user, note=reason)
    return req


@transaction.atomic
def uphold(
    request_id: int,
    *,
    user,
    reason: str,
    bill_corrections: dict[int, datetime.date | None] | None = None,
) -> RepairRequest:
    """异议成立: the events concerned are voided (reason = the decision's), a bill's payment date is
    corrected where the supervisor gives one, and the customer is re-rated."""
    reason = _reason(reason, _("决定理由"))
    req = _locked(request_id)
    _require_decider(req, user)
    _require_kind(req, RepairRequest.Kind.OBJECTION, _("认定异议成立"))
    _require_status(req, [Status.ACCEPTED], _("认定异议成立"))
    bill_corrections = bill_corrections or {}
    before = _decide(req, Status.UPHELD, reason, user)
    # Before the records change: what they give now, for the date the re-rate uses, so the letter
    # can tell the objection's own effect apart from other changes since the run (as approve does).
    Customer.objects.select_for_update().only("pk").get(pk=req.customer_id)
    from ratings.models import RatingRun
    from ratings.services import rate_customer

    run = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    unrepaired = rate_customer(req.customer, run.as_of if run is not None else timezone.localdate())
    void_note = _("异议成立（%(number)s）：%(reason)s") % {"number": req.number, "reason": reason}
    with _acting(user):
        for event in req.events.filter(voided_at__isnull=True):
            void_event(event.pk, user=user, reason=void_note)
        today = timezone.localdate()
        corrected = []
        for bill in Bill.objects.select_for_update().select_related("customer").filter(repair_requests=req):
            if bill.pk not in bill_corrections or bill_corrections[bill.pk] is None:
                continue
            paid_on = bill_corrections[bill.pk]
            if paid_on > today:
                raise ValidationError({"bills": _("账单 %(period)s 的缴费日期不能晚于今天") % {"period": bill.period}})
            bill_before = audit.snapshot(bill, ["paid_on"])
            bill.paid_on = paid_on
            bill.save(update_fields=["paid_on"])
            audit.record(AuditEntry.UPDATE, bill, bill_before, audit.snapshot(bill, ["paid_on"]), note=void_note)
            corrected.append(f"{bill.period}: {paid_on.isoformat()}")
        if not corrected and not req.events.exists():
            raise ValidationError(
                {"bills": _("异议成立须作废或更正记录：请填写账单更正后的缴费日期；记录无误的，请认定异议不成立")}
            )
    level_before, level_after = _rerate(req, user, void_note)
    req.level_before = level_before or ""
    req.level_unrepaired = unrepaired.level if unrepaired is not None else ""
    req.level_after = level_after or ""
    req.level_as_of = run.as_of if run is not None else None
    req.save(update_fields=[*DECISION_FIELDS, "level_before", "level_unrepaired", "level_after", "level_as_of"])
    _log(
        AuditEntry.UPDATE, req, before, user, note=reason, extra={"bill_corrections": corrected} if corrected else None
    )
    _signal_events_changed(req.customer_id)
    return req


@transaction.atomic
def dismiss(request_id: int, *, user, reason: str) -> RepairRequest:
    """异议不成立, with the reason: the records stay as they are."""
    reason = _reason(reason, _("决定理由"))
    req = _locked(request_id)
    _require_decider(req, user)
    _require_kind(req, RepairRequest.Kind.OBJECTION, _("认定异议不成立"))
    _require_status(req, [Status.ACCEPTED], _("认定异议不成立"))
    before = _decide(req, Status.DISMISSED, reason, user)
    req.save(update_fields=DECISION_FIELDS)
    _log(AuditEntry.UPDATE, req, before, user, note=reason)
    return req
