"""信用核查 (Annex 2, task 5): recording a check, turning a dishonesty it found into a credit event,
the credit file's card, and the rows of the platform's 信用核查应用反馈.

Each change is one function (lock, check, change, save, log), like `repair.services`; the pages only
parse the form and call them. Every lookup goes through the user's companies.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from customers import audit
from customers import services as customer_services
from customers.exports import person
from customers.models import AuditEntry, Company, Customer, EventType, company_ids_for
from customers.roles import CLERK, SUPERVISOR, role_names
from customers.services import TransitionError
from pledges.uploads import CheckedUpload
from repair.models import NumberCounter

from .models_checks import CheckMatter, CheckResult, CheckSource, CheckUsage, CreditCheck

SNAPSHOT_FIELDS = (
    "number",
    "checked_on",
    "matter",
    "sources",
    "result",
    "usage",
    "note",
    "attachment_name",
    "attachment_sha256",
    "event",
)
# The event a dishonesty found is recorded as, unless the clerk chooses another type.
EVENT_TYPE_FOR_RESULT = {
    CheckResult.DISHONEST: EventType.DISHONESTY_GENERAL,
    CheckResult.SERIOUS: EventType.DISHONESTY_SERIOUS,
}
CARD_ROWS = 10

__all__ = ["TransitionError", "record_check", "record_event_from_check", "visible_checks"]


# --- who may do what ---------------------------------------------------------------------------


def can_record(user) -> bool:
    """Clerks and supervisors record checks (and events from them); the 客户服务中心 only reads."""
    return user.is_authenticated and (user.is_superuser or bool(role_names(user) & {CLERK, SUPERVISOR}))


def _require_recorder(user, customer_id: int) -> None:
    if not can_record(user):
        raise PermissionDenied(_("只有客服专员和审核主管可以登记信用核查"))
    if not Customer.objects.for_user(user).filter(pk=customer_id).exists():
        raise PermissionDenied(_("您无权登记该客户的信用核查"))


def visible_checks(user) -> QuerySet[CreditCheck]:
    """The checks of the customers `user` may see (the customer's company, as every page scopes)."""
    if not user.is_authenticated or not user.is_active:
        return CreditCheck.objects.none()
    return CreditCheck.objects.filter(customer__company_id__in=company_ids_for(user))


def next_number(company: Company, day: datetime.date) -> str:
    """HC-CITY-20261204-0001: a serial per company and day from the locked `repair.models.NumberCounter`
    (key HC-<company>-<day>), never reused. Inside the caller's transaction."""
    key = f"HC-{company.code.upper()}-{day:%Y%m%d}"
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(key=key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{key}-{counter.last:04d}"


def _log(action: str, check: CreditCheck, before: dict | None, user, note: str = "") -> None:
    after = audit.snapshot(check, SNAPSHOT_FIELDS)
    if user is not None and user.is_authenticated and audit.current_actor() == audit.SYSTEM:
        with audit.acting_as(user=user):
            audit.record(action, check, before, after, note=note)
    else:
        audit.record(action, check, before, after, note=note)


# --- recording a check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A checked upload (`pledges.uploads.check_upload`) ready to store."""

    file: object
    name: str
    checked: CheckedUpload


def check_errors(
    *,
    checked_on: datetime.date | None,
    matter: CheckMatter | None,
    sources: Sequence[str],
    result: str | None,
    usage: str | None,
    note: str,
    today: datetime.date,
) -> dict[str, str]:
    """The rules of a check, field by field, in words a clerk reads (the form shows them under the field)."""
    errors: dict[str, str] = {}
    if checked_on is None:
        errors["checked_on"] = _("请填写核查日期")
    elif checked_on > today:
        errors["checked_on"] = _("核查日期 %(day)s 晚于今天（%(today)s）") % {"day": checked_on, "today": today}
    if matter is None:
        errors["matter"] = _("请选择核查事项")
    elif not matter.active:
        errors["matter"] = _("核查事项“%(name)s”已停用，请选择其他事项") % {"name": matter.name}
    if not sources:
        errors["sources"] = _("请至少选择一项核查内容")
    elif any(s not in CheckSource.values for s in sources):
        errors["sources"] = _("核查内容无效")
    if result not in CheckResult.values:
        errors["result"] = _("请选择核查结果")
    if usage not in CheckUsage.values:
        errors["usage"] = _("请选择应用情况")
    if result in CheckResult.values and result != CheckResult.CLEAN and not note.strip():
        errors["note"] = _("核查发现不良信息时，请在结果说明中写明查到的记录（如失信行为、列入名单的部门和日期）")
    if result == CheckResult.CLEAN and usage == CheckUsage.REFUSED:
        errors["usage"] = _("核查结果为无不良记录时，不能以信用核查为由不予受理")
    return errors


@transaction.atomic
def record_check(
    customer: Customer,
    *,
    checked_on: datetime.date | None,
    matter: CheckMatter | None,
    sources: Sequence[str],
    result: str | None,
    usage: str | None,
    note: str = "",
    attachment: Attachment | None = None,
    user,
) -> CreditCheck:
    """A clerk records a check of a customer they see; it gets its number. All or nothing: a refused
    check stores no file."""
    _require_recorder(user, customer.pk)
    note = (note or "").strip()
    errors = check_errors(
        checked_on=checked_on,
        matter=matter,
        sources=sources,
        result=result,
        usage=usage,
        note=note,
        today=timezone.localdate(),
    )
    if errors:
        raise ValidationError(errors)
    check = CreditCheck(
        number=next_number(customer.company, timezone.localdate()),
        customer=customer,
        checked_on=checked_on,
        matter=matter,
        sources=[s for s in CheckSource.values if s in sources],
        result=result,
        usage=usage,
        note=note,
        created_by=user,
    )
    if attachment is not None:
        check.attachment_name = attachment.name[:200]
        check.attachment_type = attachment.checked.content_type
        check.attachment_size = attachment.checked.size
        check.attachment_sha256 = attachment.checked.sha256
        attachment.file.seek(0)
        check.attachment.save(attachment.name, attachment.file, save=False)
    try:
        check.save()
        _log(AuditEntry.CREATE, check, None, user)
    except BaseException:
        if check.attachment:
            check.attachment.storage.delete(check.attachment.name)  # nothing half-written: no orphan file
        raise
    return check


def event_initial(check: CreditCheck) -> dict:
    """The event form's initial values for a dishonesty the check found."""
    return {
        "type": EVENT_TYPE_FOR_RESULT.get(check.result, EventType.DISHONESTY_GENERAL),
        "occurred_on": check.checked_on,
        "note": _("信用核查 %(number)s（%(matter)s）：%(result)s。%(note)s")
        % {
            "number": check.number,
            "matter": check.matter.name,
            "result": check.get_result_display(),
            "note": check.note,
        },
    }


@transaction.atomic
def record_event_from_check(check_id: int, *, user, **event_fields) -> CreditCheck:
    """Record the dishonesty a check found as a credit event of its customer (customers.services.record_event,
    audited and re-rating like any event) and link the check to it; once only."""
    check = CreditCheck.objects.select_for_update().select_related("customer", "matter").get(pk=check_id)
    _require_recorder(user, check.customer_id)
    if not check.found_dishonesty:
        raise TransitionError(
            _("核查 %(number)s 的结果为“%(result)s”，没有可登记的失信记录")
            % {"number": check.number, "result": check.get_result_display()}
        )
    if check.event_id is not None:
        raise TransitionError(
            _("核查 %(number)s 发现的失信记录已登记为事件 %(ref)s") % {"number": check.number, "ref": check.event.ref}
        )
    before = audit.snapshot(check, SNAPSHOT_FIELDS)
    event = customer_services.record_event(check.customer, user=user, **event_fields)
    check.event = event
    check.save(update_fields=["event"])
    _log(AuditEntry.UPDATE, check, before, user, note=_("登记为信用事件 %(ref)s") % {"ref": event.ref})
    return check


# --- the credit file's card ----------------------------------------------------------------------


def check_card_context(customer: Customer) -> dict:
    """Context for templates/reporting/_check_card.html: the customer's latest checks (one query)."""
    rows = list(
        CreditCheck.objects.filter(customer=customer)
        .select_related("matter", "event")
        .order_by("-checked_on", "-id")[: CARD_ROWS + 1]
    )
    return {"credit_checks": rows[:CARD_ROWS], "credit_checks_more": len(rows) > CARD_ROWS}


# --- 信用核查应用反馈 (one row a check) -----------------------------------------------------------

FEEDBACK_COLUMNS = [
    _l("核查编号"),
    _l("核查日期"),
    _l("所属公司"),
    _l("户号"),
    _l("主体名称"),
    _l("统一社会信用代码"),
    _l("核查事项"),
    _l("核查内容"),
    _l("核查结果"),
    _l("结果说明"),
    _l("应用情况"),
    _l("登记的失信事件"),
    _l("登记人"),
    _l("登记时间"),
]


def feedback_rows(checks: QuerySet[CreditCheck], chunk_size: int = 2000) -> Iterator[list]:
    """The rows of 信用核查应用反馈, one a check, values as the page shows them."""
    queryset = checks.select_related("customer__company", "matter", "event", "created_by")
    for check in queryset.iterator(chunk_size=chunk_size):
        yield [
            check.number,
            check.checked_on,
            check.customer.company.name,
            check.customer.account_no,
            check.customer.name,
            check.customer.uscc,
            check.matter.name,
            check.sources_text,
            check.get_result_display(),
            check.note,
            check.get_usage_display(),
            check.event.ref if check.event_id else "",
            person(check.created_by),
            check.created_at,
        ]


def check_card(request, customer: Customer) -> dict:
    """The card's context as the credit file registers it (`customers.cards`): the rows and the 登记核查 button."""
    return {**check_card_context(customer), "can_record_check": can_record(request.user)}
