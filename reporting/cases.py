"""信用案例 (Annex 2, tasks 6 and 7): writing a case, editing its draft, reviewing and reporting it.

One function per transition, each: lock the row, check who and which state, change, save with
`update_fields`, log (style.md, like `repair.services.accept`). Clerks and supervisors write cases for
their companies; a supervisor other than the author reviews (双人审核); a supervisor reports it with the
date it was sent. The records a case names are resolved among its customers' records.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from customers import audit
from customers.exports import person
from customers.models import AuditEntry, Company, Customer, Event, company_ids_for
from customers.roles import CLERK, SUPERVISOR, is_supervisor, role_names
from customers.services import TransitionError
from pledges.pdf import render_pdf
from repair.models import NumberCounter, RepairRequest

from .models_cases import CaseKind, CaseStatus, CreditCase
from .models_checks import CreditCheck

SNAPSHOT_FIELDS = (
    "number",
    "kind",
    "title",
    "occurred_on",
    "actions",
    "effect",
    "status",
    "reviewed_by",
    "reported_on",
    "reported_by",
)
_SPLIT = re.compile(r"[\s,，;；、]+")

__all__ = ["TransitionError", "create_case", "edit_case", "report_case", "review_case", "visible_cases"]


# --- who may do what ---------------------------------------------------------------------------


def can_write(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(role_names(user) & {CLERK, SUPERVISOR}))


def visible_cases(user) -> QuerySet[CreditCase]:
    if not user.is_authenticated or not user.is_active:
        return CreditCase.objects.none()
    return CreditCase.objects.filter(company_id__in=company_ids_for(user))


def _require_writer(user, company_id: int) -> None:
    if not can_write(user):
        raise PermissionDenied(_("只有客服专员和审核主管可以撰写信用案例"))
    if company_id not in company_ids_for(user):
        raise PermissionDenied(_("您无权撰写该公司的信用案例"))


def next_number(company: Company, day: datetime.date) -> str:
    """AL-CITY-202612-001: a serial per company and month from the locked NumberCounter, never reused."""
    key = f"AL-{company.code.upper()}-{day:%Y%m}"
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(key=key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{key}-{counter.last:03d}"


def _log(action: str, case: CreditCase, before: dict | None, user, note: str = "") -> None:
    after = audit.snapshot(case, SNAPSHOT_FIELDS)
    if user is not None and user.is_authenticated and audit.current_actor() == audit.SYSTEM:
        with audit.acting_as(user=user):
            audit.record(action, case, before, after, note=note)
    else:
        audit.record(action, case, before, after, note=note)


# --- what a case names ---------------------------------------------------------------------------


@dataclass
class Links:
    """The customers and records a case names, resolved (or the errors, per field)."""

    customers: list[Customer] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    checks: list[CreditCheck] = field(default_factory=list)
    repairs: list[RepairRequest] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def split_numbers(text: str) -> list[str]:
    """Numbers separated by spaces, commas, 、 or semicolons, in order, each once."""
    seen: dict[str, None] = {}
    for part in _SPLIT.split(text or ""):
        if part:
            seen.setdefault(part, None)
    return list(seen)


def resolve_links(company: Company, accounts: str, records: str) -> Links:
    """Account numbers of the company's customers, and record numbers among those customers' records: an
    event's 单据编号, a check's 核查编号 or a repair request's 申请编号. Unknown ones are named in the error."""
    links = Links()
    wanted = split_numbers(accounts)
    found = {c.account_no: c for c in Customer.objects.filter(company=company, account_no__in=wanted)}
    missing = [a for a in wanted if a not in found]
    if missing:
        links.errors["accounts"] = _("%(company)s没有这些户号：%(accounts)s") % {
            "company": company.name,
            "accounts": "、".join(missing),
        }
    links.customers = [found[a] for a in wanted if a in found]
    numbers = split_numbers(records)
    if numbers and not links.customers and not missing:
        links.errors["records"] = _("请先填写涉及的户号，记录须属于这些客户")
        return links
    ids = [c.pk for c in links.customers]
    events = {e.ref: e for e in Event.objects.filter(customer_id__in=ids, ref__in=numbers)}
    checks = {c.number: c for c in CreditCheck.objects.filter(customer_id__in=ids, number__in=numbers)}
    repairs = {r.number: r for r in RepairRequest.objects.filter(customer_id__in=ids, number__in=numbers)}
    unknown = [n for n in numbers if n not in events and n not in checks and n not in repairs]
    if unknown and "accounts" not in links.errors:
        links.errors["records"] = _("所填客户没有这些记录：%(numbers)s（可填事件单据编号、核查编号或修复申请编号）") % {
            "numbers": "、".join(unknown)
        }
    links.events = [events[n] for n in numbers if n in events]
    links.checks = [checks[n] for n in numbers if n in checks]
    links.repairs = [repairs[n] for n in numbers if n in repairs]
    return links


def case_errors(*, kind, title: str, occurred_on, actions: str, effect: str, today: datetime.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in CaseKind.values:
        errors["kind"] = _("请选择案例类型")
    if not (title or "").strip():
        errors["title"] = _("请填写标题")
    if occurred_on is None:
        errors["occurred_on"] = _("请填写案例日期")
    elif occurred_on > today:
        errors["occurred_on"] = _("案例日期 %(day)s 晚于今天（%(today)s）") % {"day": occurred_on, "today": today}
    if not (actions or "").strip():
        errors["actions"] = _("请填写主要做法")
    if not (effect or "").strip():
        errors["effect"] = _("请填写取得成效")
    return errors


def _set_links(case: CreditCase, links: Links) -> None:
    case.customers.set(links.customers)
    case.events.set(links.events)
    case.checks.set(links.checks)
    case.repairs.set(links.repairs)


def _links_note(links: Links) -> str:
    names = [c.account_no for c in links.customers] + [e.ref for e in links.events]
    names += [c.number for c in links.checks] + [r.number for r in links.repairs]
    return _("涉及：%(names)s") % {"names": "、".join(names)} if names else ""


# --- transitions -----------------------------------------------------------------------------------


@transaction.atomic
def create_case(
    company: Company, *, kind, title, occurred_on, actions, effect, accounts="", records="", user
) -> CreditCase:
    """A clerk or supervisor writes a case of one of their companies; it starts as 草稿."""
    _require_writer(user, company.pk)
    errors = case_errors(
        kind=kind, title=title, occurred_on=occurred_on, actions=actions, effect=effect, today=timezone.localdate()
    )
    links = resolve_links(company, accounts, records)
    errors.update(links.errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    case = CreditCase.objects.create(
        number=next_number(company, timezone.localdate(now)),
        company=company,
        kind=kind,
        title=title.strip(),
        occurred_on=occurred_on,
        actions=actions.strip(),
        effect=effect.strip(),
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    _set_links(case, links)
    _log(AuditEntry.CREATE, case, None, user, note=_links_note(links))
    return case


@transaction.atomic
def edit_case(case_id: int, *, kind, title, occurred_on, actions, effect, accounts="", records="", user) -> CreditCase:
    """Change a draft (a reviewed or reported case is never changed)."""
    case = CreditCase.objects.select_for_update().select_related("company").get(pk=case_id)
    _require_writer(user, case.company_id)
    if case.status != CaseStatus.DRAFT:
        raise TransitionError(
            _("案例 %(number)s 已%(status)s，不能再修改") % {"number": case.number, "status": case.get_status_display()}
        )
    errors = case_errors(
        kind=kind, title=title, occurred_on=occurred_on, actions=actions, effect=effect, today=timezone.localdate()
    )
    links = resolve_links(case.company, accounts, records)
    errors.update(links.errors)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(case, SNAPSHOT_FIELDS)
    case.kind, case.title, case.occurred_on = kind, title.strip(), occurred_on
    case.actions, case.effect, case.updated_at = actions.strip(), effect.strip(), timezone.now()
    case.save(update_fields=["kind", "title", "occurred_on", "actions", "effect", "updated_at"])
    _set_links(case, links)
    _log(AuditEntry.UPDATE, case, before, user, note=_links_note(links))
    return case


@transaction.atomic
def review_case(case_id: int, *, user) -> CreditCase:
    """草稿 → 已审核: a supervisor of the case's company who did not write it."""
    case = CreditCase.objects.select_for_update().get(pk=case_id)
    if not is_supervisor(user) or case.company_id not in company_ids_for(user):
        raise PermissionDenied(_("只有审核主管可以审核信用案例"))
    if case.status != CaseStatus.DRAFT:
        raise TransitionError(
            _("案例 %(number)s 已%(status)s，无需再审核") % {"number": case.number, "status": case.get_status_display()}
        )
    if case.created_by_id == user.pk:
        raise TransitionError(_("案例由您撰写，须由另一位审核主管审核（双人审核）"))
    before = audit.snapshot(case, SNAPSHOT_FIELDS)
    case.status, case.reviewed_by, case.reviewed_at = CaseStatus.REVIEWED, user, timezone.now()
    case.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    _log(AuditEntry.UPDATE, case, before, user, note=_("审核通过"))
    return case


@transaction.atomic
def report_case(case_id: int, *, reported_on: datetime.date | None, user) -> CreditCase:
    """已审核 → 已上报 on `reported_on` (not in the future, not before it was reviewed): a supervisor."""
    case = CreditCase.objects.select_for_update().get(pk=case_id)
    if not is_supervisor(user) or case.company_id not in company_ids_for(user):
        raise PermissionDenied(_("只有审核主管可以上报信用案例"))
    if case.status != CaseStatus.REVIEWED:
        raise TransitionError(
            _("案例 %(number)s 当前为%(status)s，审核后才能上报")
            % {"number": case.number, "status": case.get_status_display()}
        )
    today = timezone.localdate()
    reviewed_on = timezone.localdate(case.reviewed_at)
    if reported_on is None:
        raise ValidationError({"reported_on": _("请填写上报日期")})
    if reported_on > today:
        raise ValidationError(
            {"reported_on": _("上报日期 %(day)s 晚于今天（%(today)s）") % {"day": reported_on, "today": today}}
        )
    if reported_on < reviewed_on:
        raise ValidationError(
            {
                "reported_on": _("上报日期 %(day)s 早于审核日期 %(reviewed)s")
                % {"day": reported_on, "reviewed": reviewed_on}
            }
        )
    before = audit.snapshot(case, SNAPSHOT_FIELDS)
    case.status, case.reported_on, case.reported_by = CaseStatus.REPORTED, reported_on, user
    case.save(update_fields=["status", "reported_on", "reported_by"])
    _log(AuditEntry.UPDATE, case, before, user, note=_("已上报"))
    return case


# --- reading: PDF and export -----------------------------------------------------------------------


def with_links(cases: QuerySet[CreditCase]) -> QuerySet[CreditCase]:
    return cases.select_related("company", "created_by", "reviewed_by", "reported_by").prefetch_related(
        "customers", "events", "checks", "repairs"
    )


def render_cases_pdf(cases: Iterable[CreditCase], *, title: str) -> bytes:
    """One case a page (or more when long), A4, the Chinese font embedded (pledges.pdf)."""
    return render_pdf("pdf/credit_cases.html", {"cases": list(cases), "title": title})


EXPORT_COLUMNS = [
    _l("案例编号"),
    _l("所属公司"),
    _l("案例类型"),
    _l("标题"),
    _l("案例日期"),
    _l("涉及客户"),
    _l("涉及记录"),
    _l("主要做法"),
    _l("取得成效"),
    _l("状态"),
    _l("撰写人"),
    _l("审核人"),
    _l("上报日期"),
]


def export_rows(cases: QuerySet[CreditCase]) -> Iterator[list]:
    for case in with_links(cases):
        records = [e.ref for e in case.events.all()] + [c.number for c in case.checks.all()]
        records += [r.number for r in case.repairs.all()]
        yield [
            case.number,
            case.company.name,
            case.get_kind_display(),
            case.title,
            case.occurred_on,
            "、".join(f"{c.account_no} {c.name}" for c in case.customers.all()),
            "、".join(records),
            case.actions,
            case.effect,
            case.get_status_display(),
            person(case.created_by),
            person(case.reviewed_by),
            case.reported_on,
        ]
