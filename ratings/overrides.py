"""Level overrides: a supervisor sets a customer's level with a reason; one function per transition.

Shape of customers/services.py: atomic, lock, check the state, save, write the audit entry
(model "override", in the customer's change history).

An override is in force from `starts_on` through `ends_on` inclusive (open-ended when
`ends_on` is empty) unless revoked. The effective level on a day is the level of the
override in force that day, else the computed one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Customer
from customers.roles import require_supervisor
from customers.services import TransitionError

from .models import LEVEL_ORDER, LevelOverride

__all__ = [
    "TransitionError",
    "effective_level",
    "in_force_on",
    "in_force_override",
    "revoke_override",
    "set_override",
]

SUPERSEDED_REASON = "被新的等级调整取代"


def _log(action: str, override: LevelOverride, before: dict | None, user, note: str = "") -> None:
    """The entry is the acting user's, whether the call comes from a page, a command or a test."""
    with audit.acting_as(user=user):
        audit.record(action, override, before, audit.snapshot(override), note=note)


def in_force_on(day: datetime.date) -> Q:
    """Overrides in force on `day` (through `ends_on` inclusive), as a filter."""
    return Q(revoked_at__isnull=True, starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def in_force_override(
    customer: Customer, day: datetime.date, overrides: Iterable[LevelOverride] | None = None
) -> LevelOverride | None:
    """The override in force on `day` (the newest if several), from `overrides` if already loaded."""
    if overrides is None:
        overrides = LevelOverride.objects.filter(in_force_on(day), customer=customer).select_related("created_by")
    candidates = [o for o in overrides if o.in_force_on(day)]
    return max(candidates, key=lambda o: (o.starts_on, o.created_at, o.pk), default=None)


def effective_level(
    customer: Customer, day: datetime.date, computed: str | None, overrides: Iterable[LevelOverride] | None = None
) -> str | None:
    """The level that counts on `day`: the in-force override's, else the computed one."""
    override = in_force_override(customer, day, overrides)
    return override.level if override is not None else computed


def _in_force_for_update(customer: Customer, day: datetime.date) -> QuerySet[LevelOverride]:
    return LevelOverride.objects.select_for_update().filter(in_force_on(day), customer=customer).order_by("id")


@transaction.atomic
def set_override(customer: Customer, level: str, reason: str, ends_on: datetime.date | None, user) -> LevelOverride:
    """Set `customer`'s level from today, with a reason, until `ends_on` (inclusive) or until revoked.

    The override in force today, if any, is revoked first (superseded), in the same transaction.
    """
    require_supervisor(user)
    today = timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError(_("必须填写调整原因"))
    if level not in LEVEL_ORDER:
        raise TransitionError(_("等级无效"))
    if ends_on is not None and ends_on < today:
        raise TransitionError(_("截止日期不能早于今天"))
    # The customer row is the lock: two supervisors adjusting one customer queue up here.
    Customer.objects.select_for_update().only("pk").get(pk=customer.pk)
    now = timezone.now()
    for previous in _in_force_for_update(customer, today):
        before = audit.snapshot(previous)
        previous.revoked_at = now
        previous.revoked_by = user
        previous.revoke_reason = SUPERSEDED_REASON
        previous.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        _log(AuditEntry.UPDATE, previous, before, user, note=SUPERSEDED_REASON)
    override = LevelOverride.objects.create(
        customer=customer,
        level=level,
        reason=reason,
        starts_on=today,
        ends_on=ends_on,
        created_at=now,
        created_by=user,
    )
    _log(AuditEntry.CREATE, override, None, user, note=reason)
    return override


@transaction.atomic
def revoke_override(override_id: int, user, reason: str) -> LevelOverride:
    """End an override now, with a reason; from then on the computed level counts again."""
    require_supervisor(user)
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError(_("必须填写撤销原因"))
    override = LevelOverride.objects.select_for_update().get(pk=override_id)
    if override.revoked_at is not None:
        raise TransitionError(
            _("该等级调整已于 %(at)s 撤销") % {"at": timezone.localtime(override.revoked_at).strftime("%Y-%m-%d %H:%M")}
        )
    if override.ends_on is not None and override.ends_on < timezone.localdate():
        raise TransitionError(_("该等级调整已于 %(day)s 到期,无需撤销") % {"day": override.ends_on.isoformat()})
    before = audit.snapshot(override)
    override.revoked_at = timezone.now()
    override.revoked_by = user
    override.revoke_reason = reason
    override.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    _log(AuditEntry.UPDATE, override, before, user, note=reason)
    return override
