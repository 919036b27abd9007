"""Pledge lifecycle: one function per transition, atomic, row-locked, state-checked and logged.

    prepared --mark_printed--> printed --sign_pledge--> signed --fulfil_pledge--> fulfilled
                                                          ^
    register_paper_pledge (登记纸质承诺书, 纸质补录) -------------+
        |                         |                       |  ^
        |                         |          sync_breaches|  |sync_breaches (event voided/repaired)
        |                         |                       v  |
        +-------------------------+------ revoke -----> breached
                                                    (any state but revoked -> revoked)

`sync_breaches` is the automatic part of 履约践诺: a signed pledge is breached when its customer
has an event that counts under Annex 4 (`ratings.facts.EVENT_COUNTS_SQL`: not voided, not
repaired, not a force-majeure outage) dated after the signing date; it goes back to signed when
no such event is left. It runs on `customers.signals.events_changed`.

A generated pledge cannot be signed before the date it was generated. An old paper pledge, signed
before the system had it, is entered by `register_paper_pledge`: it is created signed, marked
纸质补录, with the 承诺编码 of its signing date, and never passes through prepared/printed.
"""

from __future__ import annotations

import datetime
import logging
import string
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, F, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Customer, Event
from customers.roles import require_supervisor
from customers.services import TransitionError
from ratings.facts import EVENT_COUNTS_SQL

from .models import (
    AREA_CODE,
    Pledge,
    PledgeKind,
    PledgeNumberCounter,
    PledgeSource,
    PledgeState,
    PledgeTemplate,
)
from .uploads import CheckedUpload, check_upload

log = logging.getLogger(__name__)

__all__ = [
    "TransitionError",
    "current_template",
    "prepare_pledge",
    "mark_printed",
    "sign_pledge",
    "register_paper_pledge",
    "fulfil_pledge",
    "revoke_pledge",
    "sync_breaches",
    "publish_template",
]


# --- templates -------------------------------------------------------------------------


def current_template(kind: str) -> PledgeTemplate:
    """The latest published version of `kind`."""
    template = PledgeTemplate.objects.filter(kind=kind).order_by("-version").first()
    if template is None:
        raise TransitionError(_("尚未发布%(kind)s承诺书模板") % {"kind": PledgeKind(kind).label})
    return template


PLACEHOLDERS = {"name", "uscc"}
CONTENT_MAX = 4000  # 承诺内容 / 违诺责任: C4000 (reporting-batch.md)
NAME_MAX = 200  # 承诺人名称: C200


def check_template_fields(
    *, intro: str, clauses: list, consequences_index: int, title: str = "", preamble: str = ""
) -> None:
    """The rules a template version must follow; ValidationError naming the field otherwise."""
    errors = {}
    if not isinstance(clauses, list) or not clauses or not all(isinstance(c, str) and c.strip() for c in clauses):
        errors["clauses"] = _("承诺条款必须是非空的文字列表，每条一项")
    elif not 1 <= (consequences_index or 0) <= len(clauses):
        errors["consequences_index"] = _("违诺责任条款序号必须在 1 到 %(n)d 之间") % {"n": len(clauses)}
    try:
        fields = [(f, spec, conv) for _text, f, spec, conv in string.Formatter().parse(intro) if f is not None]
    except ValueError:
        fields = None
    if fields is None or any(f not in PLACEHOLDERS or spec or conv for f, spec, conv in fields):
        errors["intro"] = _("开头只能使用占位符 {name} 和 {uscc}")
    elif not {f for f, _spec, _conv in fields} >= PLACEHOLDERS:
        errors["intro"] = _("开头必须包含占位符 {name} 和 {uscc}（单位名称和统一社会信用代码填在这里）")
    if not errors:
        # 承诺内容 is C4000 on the credit platform: it must fit with the longest customer name.
        longest = len(intro.format(name="名" * NAME_MAX, uscc="0" * 18))
        length = longest + sum(len(c) + 1 for c in clauses) + len(title) + 1 + (len(preamble) + 1 if preamble else 0)
        if length > CONTENT_MAX:
            errors["clauses"] = _("承诺内容最多 %(max)d 字（信用平台的上限），按最长的单位名称计本版本有 %(n)d 字") % {
                "max": CONTENT_MAX,
                "n": length,
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def publish_template(*, kind: str, user, **fields) -> PledgeTemplate:
    """Publish a new version of a template (versions are never edited)."""
    check_template_fields(
        intro=fields.get("intro", ""),
        clauses=fields.get("clauses"),
        consequences_index=fields.get("consequences_index"),
        title=fields.get("title", ""),
        preamble=fields.get("preamble", ""),
    )
    latest = PledgeTemplate.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    fields.pop("version", None)
    template = PledgeTemplate.objects.create(
        kind=kind,
        version=(latest.version + 1) if latest else 1,
        published_at=timezone.now(),
        published_by=user if user is not None and user.is_authenticated else None,
        **fields,
    )
    _record(AuditEntry.CREATE, template, None, audit.snapshot(template), user=user)
    return template


def render_text(template: PledgeTemplate, customer: Customer) -> dict:
    """The pledge's own copy of the text: the template filled in for `customer`."""
    intro = template.intro.format(name=customer.name, uscc=customer.uscc)
    clauses = list(template.clauses)
    lines = [template.title, intro]
    if template.preamble:
        lines.append(template.preamble)
    lines.extend(clauses)
    return {
        "title": template.title,
        "intro": intro,
        "preamble": template.preamble,
        "clauses": clauses,
        "content": "\n".join(lines),
        "consequences": template.consequences,
        "reason": template.reason,
        "disclosure": template.disclosure,
        "customer_name": customer.name,
        "customer_uscc": customer.uscc,
    }


# --- transitions -----------------------------------------------------------------------


def _snapshot(pledge: Pledge, fields: Iterable[str] | None = None) -> dict:
    """audit.snapshot, with the scan file as its stored name."""
    data = audit.snapshot(pledge, fields)
    if "scan" in data:
        data["scan"] = pledge.scan.name or ""
    return data


def _record(action: str, obj, before, after, *, user=None, note: str = "") -> None:
    """audit.record as the current actor; as `user` when nothing else (request, command, task) is acting."""
    if user is not None and getattr(user, "is_authenticated", False) and audit.current_actor() == audit.SYSTEM:
        with audit.acting_as(user=user):
            audit.record(action, obj, before, after, note=note)
    else:
        audit.record(action, obj, before, after, note=note)


def _lock(pledge: Pledge | int) -> Pledge:
    pk = pledge.pk if isinstance(pledge, Pledge) else pledge
    return Pledge.objects.select_for_update().select_related("customer").get(pk=pk)


def _refuse(pledge: Pledge, action: str) -> TransitionError:
    return TransitionError(
        _("承诺书 %(no)s 当前状态为“%(state)s”，不能%(action)s")
        % {"no": pledge.display_number, "state": pledge.get_state_display(), "action": action}
    )


def refusal(pledge: Pledge, action: str) -> str | None:
    """Why `action` ("sign", "fulfil", "revoke") cannot be done to the pledge in its state; None if it can.

    The pages ask before showing a form; the transition functions check again under the row lock.
    """
    state = pledge.state
    if action == "sign" and state == PledgeState.PREPARED:
        return _("承诺书 %(no)s 尚未打印，请先打印再登记签署") % {"no": pledge.display_number}
    allowed = {
        "sign": state == PledgeState.PRINTED,
        "fulfil": state == PledgeState.SIGNED,
        "revoke": state != PledgeState.REVOKED,
    }[action]
    if allowed:
        return None
    label = {"sign": _("登记签署"), "fulfil": _("认定为全部履行"), "revoke": _("撤销")}[action]
    return str(_refuse(pledge, label))


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@transaction.atomic
def prepare_pledge(customer: Customer, *, kind: str = PledgeKind.VOLUNTARY, user=None) -> Pledge:
    """A new pledge for `customer` from the latest template version of `kind`, state prepared.

    A customer has at most one voluntary (主动型) pledge that is not revoked.
    """
    if kind not in PledgeKind.values:
        raise TransitionError(_("未知的承诺类型 %(kind)s") % {"kind": kind})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.uscc:
        raise TransitionError(_("客户 %(name)s 没有统一社会信用代码，不能生成承诺书") % {"name": customer.name})
    if kind == PledgeKind.VOLUNTARY:
        existing = Pledge.objects.filter(customer=customer, kind=kind).exclude(state=PledgeState.REVOKED).first()
        if existing is not None:
            raise TransitionError(
                _("客户 %(name)s 已有主动型承诺书 %(no)s（%(state)s），撤销后才能重新生成")
                % {"name": customer.name, "no": existing.display_number, "state": existing.get_state_display()}
            )
    template = current_template(kind)
    pledge = Pledge(
        customer=customer,
        company_id=customer.company_id,
        kind=kind,
        template=template,
        created_by=_user_or_none(user),
        **render_text(template, customer),
    )
    try:
        with transaction.atomic():
            pledge.save()
    except IntegrityError as exc:  # a concurrent prepare won the partial unique constraint
        raise TransitionError(_("客户 %(name)s 已有主动型承诺书") % {"name": customer.name}) from exc
    _record(AuditEntry.CREATE, pledge, None, _snapshot(pledge), user=user)
    return pledge


def prepare_missing(customers: Iterable[Customer], *, user=None) -> list[Pledge]:
    """The voluntary pledge of each customer that is to be printed: an existing prepared/printed
    one, else a new one. Customers with a signed pledge are skipped."""
    customers = list(customers)
    existing = {
        p.customer_id: p
        for p in Pledge.objects.filter(
            customer__in=customers, kind=PledgeKind.VOLUNTARY, state__in=[PledgeState.PREPARED, PledgeState.PRINTED]
        )
    }
    signed = set(
        Pledge.objects.filter(customer__in=customers, kind=PledgeKind.VOLUNTARY)
        .exclude(state__in=[PledgeState.PREPARED, PledgeState.PRINTED, PledgeState.REVOKED])
        .values_list("customer_id", flat=True)
    )
    out = []
    for customer in customers:
        if customer.pk in signed:
            continue
        pledge = existing.get(customer.pk)
        if pledge is None:
            try:
                pledge = prepare_pledge(customer, kind=PledgeKind.VOLUNTARY, user=user)
            except TransitionError:
                # Prepared (or signed) on a page since `existing` was read: print that one, if unsigned.
                pledge = Pledge.objects.filter(
                    customer=customer,
                    kind=PledgeKind.VOLUNTARY,
                    state__in=[PledgeState.PREPARED, PledgeState.PRINTED],
                ).first()
                if pledge is None:
                    continue
        out.append(pledge)
    return out


@transaction.atomic
def mark_printed(pledges: Iterable[Pledge | int], *, user=None, skip_revoked: bool = False) -> int:
    """Printing moves prepared pledges to printed; reprinting any other state changes nothing.

    Returns how many pledges changed state. Revoked pledges cannot be printed; a batch passes
    `skip_revoked` so a pledge revoked while its pages were rendered stays revoked and the rest
    of the batch is still recorded.
    """
    ids = [p.pk if isinstance(p, Pledge) else p for p in pledges]
    changed = 0
    now = timezone.now()
    for pledge in Pledge.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if pledge.state == PledgeState.REVOKED:
            if skip_revoked:
                continue
            raise _refuse(pledge, _("打印"))
        if pledge.state != PledgeState.PREPARED:
            continue
        before = _snapshot(pledge, ["state", "printed_at"])
        pledge.state = PledgeState.PRINTED
        pledge.printed_at = now
        pledge.save(update_fields=["state", "printed_at"])
        _record(AuditEntry.UPDATE, pledge, before, _snapshot(pledge, ["state", "printed_at"]), user=user)
        changed += 1
    return changed


def _next_number(day: datetime.date) -> str:
    """`421300` + YYYYMMDD + a 6-digit serial of that date; the counter row is locked."""
    PledgeNumberCounter.objects.bulk_create([PledgeNumberCounter(day=day, last=0)], ignore_conflicts=True)
    counter = PledgeNumberCounter.objects.select_for_update().get(day=day)
    counter.last += 1
    if counter.last > 999999:
        raise TransitionError(_("%(day)s 的承诺编码已用完") % {"day": day.isoformat()})
    counter.save(update_fields=["last"])
    return f"{AREA_CODE}{day:%Y%m%d}{counter.last:06d}"


def generated_on(pledge: Pledge) -> datetime.date:
    """The local date the pledge was generated in the system."""
    return timezone.localdate(pledge.created_at)


def before_generation(pledge: Pledge, signed_on: datetime.date) -> str | None:
    """Why `signed_on` cannot be the signing date of this generated pledge; None if it can be.

    A pledge generated in the system is printed from it and signed afterwards: it cannot have been
    signed before it was generated. An old paper pledge is entered with `register_paper_pledge`.
    """
    made = generated_on(pledge)
    if signed_on >= made:
        return None
    message = _("签署日期 %(day)s 早于承诺书的生成日期 %(made)s：系统生成的承诺书不能在生成之前签署") % {
        "day": signed_on.isoformat(),
        "made": made.isoformat(),
    }
    if pledge.kind == PledgeKind.VOLUNTARY:
        message += _(
            "。如客户交来的是早先签署的纸质承诺书，请由主管撤销本承诺书后，在信用档案中使用“登记纸质承诺书”补录"
        )
    return message


@transaction.atomic
def sign_pledge(
    pledge: Pledge | int,
    *,
    signed_on: datetime.date,
    received_by,
    scan,
    user=None,
    checked: CheckedUpload | None = None,
    valid_until: datetime.date | None = None,
) -> Pledge:
    """Record the signing: date, who received it, the scanned signed copy; gives the 承诺编码.

    Only a printed pledge can be signed (it has to be on paper to be signed).
    """
    pledge = _lock(pledge)
    if pledge.state != PledgeState.PRINTED:
        if pledge.state == PledgeState.PREPARED:
            raise TransitionError(_("承诺书 %(no)s 尚未打印，请先打印再登记签署") % {"no": pledge.display_number})
        raise _refuse(pledge, _("登记签署"))
    errors = {}
    checked = _check_signing(errors, pledge.customer, signed_on, received_by, scan, checked, valid_until)
    if "signed_on" not in errors and (message := before_generation(pledge, signed_on)) is not None:
        errors["signed_on"] = message
    if errors:
        raise ValidationError(errors)
    before = _snapshot(pledge)
    pledge.number = _next_number(signed_on)
    pledge.signed_on = signed_on
    pledge.received_by = received_by
    pledge.valid_until = valid_until
    pledge.scan_sha256 = checked.sha256
    pledge.scan_content_type = checked.content_type
    pledge.scan_size = checked.size
    content = scan if isinstance(scan, File) else File(scan)
    content.seek(0)
    pledge.scan.save(f"scan.{checked.extension}", content, save=False)
    pledge.state = PledgeState.SIGNED
    fields = [
        "number",
        "signed_on",
        "received_by",
        "valid_until",
        "scan",
        "scan_sha256",
        "scan_content_type",
        "scan_size",
        "state",
    ]
    try:
        pledge.save(update_fields=fields)
        _record(AuditEntry.UPDATE, pledge, before, _snapshot(pledge), user=user, note=_("登记签署"))
        # Events already recorded after the signing date breach it at once.
        sync_breaches([pledge.customer_id])
    except BaseException:
        pledge.scan.storage.delete(pledge.scan.name)  # nothing half-written: no orphan scan
        raise
    pledge.refresh_from_db()
    return pledge


def _check_signing(
    errors: dict, customer: Customer, signed_on, received_by, scan, checked, valid_until
) -> CheckedUpload | None:
    """The checks a signing date, receiver, validity and scan share; errors by field into `errors`."""
    if signed_on is None:
        errors["signed_on"] = _("请填写签署日期")
    elif signed_on > timezone.localdate():
        errors["signed_on"] = _("签署日期 %(day)s 晚于今天") % {"day": signed_on.isoformat()}
    elif signed_on < customer.opened_on:
        errors["signed_on"] = _("签署日期 %(day)s 早于客户立户日期 %(opened)s") % {
            "day": signed_on.isoformat(),
            "opened": customer.opened_on.isoformat(),
        }
    if received_by is None:
        errors["received_by"] = _("请选择接收人")
    if valid_until is not None and signed_on is not None and valid_until <= signed_on:
        errors["valid_until"] = _("承诺有效期必须晚于签署日期")
    if scan is None:
        errors["scan"] = _("请上传签署后的扫描件")
    elif checked is None:
        try:
            checked = check_upload(scan)
        except ValidationError as exc:
            errors["scan"] = exc.messages
    return checked


def active_voluntary(customer: Customer) -> Pledge | None:
    """The customer's 主动型 pledge that is not revoked, if any (at most one)."""
    return (
        Pledge.objects.filter(customer=customer, kind=PledgeKind.VOLUNTARY).exclude(state=PledgeState.REVOKED).first()
    )


def paper_refusal(customer: Customer) -> str | None:
    """Why no paper pledge can be registered for the customer; None if one can."""
    if not customer.uscc:
        return _("客户 %(name)s 没有统一社会信用代码，不能登记承诺书") % {"name": customer.name}
    existing = active_voluntary(customer)
    if existing is not None:
        return _(
            "客户 %(name)s 已有主动型承诺书 %(no)s（%(state)s）：每个客户只能有一份未撤销的主动型承诺书，"
            "不能再登记纸质承诺书。如纸质承诺书才是有效的一份，请由主管撤销 %(no)s 后再登记"
        ) % {"name": customer.name, "no": existing.display_number, "state": existing.get_state_display()}
    return None


@transaction.atomic
def register_paper_pledge(
    customer: Customer,
    *,
    signed_on: datetime.date,
    received_by,
    scan,
    user=None,
    checked: CheckedUpload | None = None,
    valid_until: datetime.date | None = None,
    template: PledgeTemplate | None = None,
) -> Pledge:
    """登记纸质承诺书: enter a 主动型 pledge signed on paper before the system had it (纸质补录).

    The pledge is made from the current template version (or `template`, a 主动型 version), is
    created signed with the signing date, receiver and scan, and takes the 承诺编码 of its signing
    date. It never passes through prepared/printed. The signing date may be before today's
    generation (that is the point) but not in the future nor before the account was opened; the
    customer must not already have an unrevoked 主动型 pledge.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if (reason := paper_refusal(customer)) is not None:
        raise TransitionError(reason)
    if template is None:
        template = current_template(PledgeKind.VOLUNTARY)
    errors = {}
    if template.kind != PledgeKind.VOLUNTARY:
        errors["template"] = _("纸质承诺书只能按主动型承诺书模板登记")
    checked = _check_signing(errors, customer, signed_on, received_by, scan, checked, valid_until)
    if errors:
        raise ValidationError(errors)
    pledge = Pledge(
        customer=customer,
        company_id=customer.company_id,
        kind=PledgeKind.VOLUNTARY,
        template=template,
        source=PledgeSource.PAPER,
        state=PledgeState.SIGNED,
        signed_on=signed_on,
        received_by=received_by,
        valid_until=valid_until,
        scan_sha256=checked.sha256,
        scan_content_type=checked.content_type,
        scan_size=checked.size,
        created_by=_user_or_none(user),
        **render_text(template, customer),
    )
    content = scan if isinstance(scan, File) else File(scan)
    content.seek(0)
    pledge.scan.save(f"scan.{checked.extension}", content, save=False)
    try:
        pledge.number = _next_number(signed_on)
        try:
            with transaction.atomic():
                pledge.save()
        except IntegrityError as exc:  # a concurrent prepare won the partial unique constraint
            raise TransitionError(_("客户 %(name)s 已有主动型承诺书") % {"name": customer.name}) from exc
        _record(AuditEntry.CREATE, pledge, None, _snapshot(pledge), user=user, note=_("登记纸质承诺书（纸质补录）"))
        # Events recorded after the signing date breach it at once, as for any signed pledge.
        sync_breaches([customer.pk])
    except BaseException:
        pledge.scan.storage.delete(pledge.scan.name)  # nothing half-written: no orphan scan
        raise
    pledge.refresh_from_db()
    return pledge


@transaction.atomic
def fulfil_pledge(pledge: Pledge | int, *, on: datetime.date, user) -> Pledge:
    """A supervisor confirms 全部履行 for a signed pledge that was not breached."""
    require_supervisor(user)
    pledge = _lock(pledge)
    if pledge.state != PledgeState.SIGNED:
        raise _refuse(pledge, _("认定为全部履行"))
    if on is None:
        raise ValidationError({"on": _("请填写认定日期")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("认定日期 %(day)s 晚于今天") % {"day": on.isoformat()}})
    if on < pledge.signed_on:
        raise ValidationError(
            {"on": _("认定日期 %(day)s 早于签署日期 %(signed)s") % {"day": on.isoformat(), "signed": pledge.signed_on}}
        )
    fields = ["state", "fulfilled_on", "fulfilled_by"]
    before = _snapshot(pledge, fields)
    pledge.state = PledgeState.FULFILLED
    pledge.fulfilled_on = on
    pledge.fulfilled_by = user
    pledge.save(update_fields=fields)
    _record(AuditEntry.UPDATE, pledge, before, _snapshot(pledge, fields), user=user, note=_("认定全部履行"))
    return pledge


@transaction.atomic
def revoke_pledge(pledge: Pledge | int, *, reason: str, user) -> Pledge:
    """A supervisor revokes a pledge with a reason; it keeps its text, number and scan."""
    require_supervisor(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("必须填写撤销原因")})
    pledge = _lock(pledge)
    if pledge.state == PledgeState.REVOKED:
        raise _refuse(pledge, _("撤销"))
    fields = ["state", "revoked_at", "revoked_by", "revoke_reason"]
    before = _snapshot(pledge, fields)
    pledge.state = PledgeState.REVOKED
    pledge.revoked_at = timezone.now()
    pledge.revoked_by = user
    pledge.revoke_reason = reason
    pledge.save(update_fields=fields)
    _record(AuditEntry.VOID, pledge, before, _snapshot(pledge, fields), user=user, note=reason)
    return pledge


# --- breaches (履约践诺) --------------------------------------------------------------------

# Above this many customers a sync looks at every signed pledge instead of an IN list.
SYNC_ALL_ABOVE = 5000
# Pledges locked and changed per statement (PostgreSQL takes at most 65,535 parameters).
SYNC_CHUNK = 5000


def _first_counting_event() -> Subquery:
    return (
        Event.objects.filter(customer_id=OuterRef("customer_id"), occurred_on__gt=OuterRef("signed_on"))
        .filter(RawSQL(EVENT_COUNTS_SQL, (), output_field=BooleanField()))
        .order_by("occurred_on", "id")
    )


def sync_breaches(customer_ids: Iterable[int] | None = None) -> int:
    """Breach or un-breach the signed pledges of these customers (None: all); returns the changes.

    One query finds the pledges whose breach state differs from their events; only those are
    locked (one query per 5,000), changed (one batched UPDATE statement) and logged (bulk INSERTs).
    """
    ids = None if customer_ids is None else sorted(set(customer_ids))
    if ids is not None and not ids:
        return 0
    first = _first_counting_event()
    candidates = Pledge.objects.filter(state__in=[PledgeState.SIGNED, PledgeState.BREACHED])
    if ids is not None and len(ids) <= SYNC_ALL_ABOVE:
        candidates = candidates.filter(customer_id__in=ids)
    candidates = candidates.annotate(
        first_event_id=Subquery(first.values("id")[:1]),
    ).filter(
        Q(state=PledgeState.SIGNED, first_event_id__isnull=False)
        | Q(state=PledgeState.BREACHED, first_event_id__isnull=True)
        | (Q(state=PledgeState.BREACHED) & ~Q(breach_event_id=F("first_event_id")))
    )
    changes = list(candidates.values_list("pk", flat=True))
    if not changes:
        return 0
    changed = 0
    with transaction.atomic():
        for start in range(0, len(changes), SYNC_CHUNK):
            changed += _apply_breaches(changes[start : start + SYNC_CHUNK], first)
    return changed


def _apply_breaches(pledge_ids: list[int], first) -> int:
    """Lock these pledges, set their breach state from their events, log each change."""
    locked = (
        Pledge.objects.select_for_update()
        .filter(pk__in=pledge_ids)
        .annotate(first_event_id=Subquery(first.values("id")[:1]), first_on=Subquery(first.values("occurred_on")[:1]))
        .order_by("pk")
    )
    entries, changed_pledges = [], []
    fields = ["state", "breached_on", "breach_event"]
    for pledge in locked:
        before = _snapshot(pledge, fields)
        if pledge.first_event_id is None:
            if pledge.state != PledgeState.BREACHED:
                continue
            pledge.state, pledge.breached_on, pledge.breach_event_id = PledgeState.SIGNED, None, None
            note = _("违诺事件已作废或修复，恢复为已签署")
        else:
            if pledge.state not in (PledgeState.SIGNED, PledgeState.BREACHED):
                continue
            if pledge.state == PledgeState.BREACHED and pledge.breach_event_id == pledge.first_event_id:
                continue
            pledge.state = PledgeState.BREACHED
            pledge.breached_on = pledge.first_on
            pledge.breach_event_id = pledge.first_event_id
            note = _("签署后发生计入评级的信用事件，认定为未履行")
        changed_pledges.append(pledge)
        entries.append(
            AuditEntry(
                action=AuditEntry.UPDATE,
                model=audit.model_name(pledge),
                object_id=audit.object_key(pledge),
                customer_id=pledge.customer_id,
                before=before,
                after=_snapshot(pledge, fields),
                note=note,
            )
        )
        log.info("pledge %s: %s -> %s", pledge.pk, before["state"], pledge.state)
    # One prepared UPDATE per pledge, sent as a batch (Django's bulk_update builds CASE expressions
    # whose compilation took 25 s for 20,000 rows).
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Pledge._meta.db_table} SET state = %s, breached_on = %s, breach_event_id = %s WHERE id = %s",
            [(p.state, p.breached_on, p.breach_event_id, p.pk) for p in changed_pledges],
        )
    # An automatic breach is the system's finding, not the doing of whoever recorded the event.
    with audit.acting_as("system:pledge_breach"):
        audit.record_many(entries)
    return len(changed_pledges)
