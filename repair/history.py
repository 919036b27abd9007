"""A request's history, read from the audit entries keyed to it: who, when, what, why."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry

from .models import RepairRequest

STATUS_LABELS = dict(RepairRequest.Status.choices)


@dataclass
class HistoryRow:
    entry: AuditEntry
    who: str
    what: str
    details: list[str] = field(default_factory=list)


def _what(entry: AuditEntry) -> str:
    before, after = entry.before or {}, entry.after or {}
    if entry.action == AuditEntry.CREATE:
        return _("提交申请")
    if before.get("status") != after.get("status"):
        return str(STATUS_LABELS.get(after.get("status"), after.get("status")))
    if after.get("extended_at") and not before.get("extended_at"):
        return _("延期")
    if "evidence" in after:
        return _("补充材料")
    if "pledge_step" in after:
        return _("信用修复承诺书")
    return _("修改申请")


def request_history(req: RepairRequest) -> list[HistoryRow]:
    entries = list(
        AuditEntry.objects.filter(model=RepairRequest.audit_model_name, object_id=str(req.pk)).order_by("at", "id")
    )
    User = get_user_model()
    names = {u.pk: audit.person_name(u) for u in User.objects.filter(pk__in={e.user_id for e in entries if e.user_id})}
    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        details = []
        if after.get("events"):
            details.append(_("事件：%(refs)s") % {"refs": "、".join(after["events"])})
        if after.get("bills"):
            details.append(_("账单：%(periods)s") % {"periods": "、".join(after["bills"])})
        if after.get("evidence"):
            details.append(_("文件：%(names)s") % {"names": "、".join(after["evidence"])})
        if after.get("decide_by") and after.get("decide_by") != before.get("decide_by"):
            details.append(_("办结期限：%(day)s") % {"day": after["decide_by"]})
        if after.get("accept_by") and entry.action == AuditEntry.CREATE:
            details.append(_("受理期限：%(day)s") % {"day": after["accept_by"]})
        if after.get("status") == RepairRequest.Status.APPROVED and after.get("level_unrepaired") is not None:
            from .effect import decision_sentences

            as_of = after.get("level_as_of")
            details.extend(
                decision_sentences(
                    after.get("level_before"),
                    after.get("level_unrepaired"),
                    after.get("level_after"),
                    datetime.date.fromisoformat(as_of) if as_of else None,
                )
            )
        elif after.get("level_before") or after.get("level_after"):
            from ratings.models import Level

            labels = dict(Level.choices)
            details.append(
                _("评级：%(before)s → %(after)s")
                % {
                    "before": labels.get(after.get("level_before"), _("未评级")),
                    "after": labels.get(after.get("level_after"), _("未评级")),
                }
            )
        if after.get("bill_corrections"):
            details.append(_("更正缴费日期：%(items)s") % {"items": "、".join(after["bill_corrections"])})
        if after.get("pledge_step"):
            details.append(str(after["pledge_step"]))
        rows.append(
            HistoryRow(
                entry=entry,
                who=audit.actor_label(entry.actor, names.get(entry.user_id)),
                what=_what(entry),
                details=details,
            )
        )
    return rows
