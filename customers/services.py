"""State changes of the credit file: one function per transition, atomic and logged."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .dates import months_between
from .models import AuditEntry, Bill, Customer, Event
from .roles import require_supervisor
from .signals import events_changed


class TransitionError(Exception):
    """The requested change is not possible in the record's current state."""


def new_event_ref() -> str:
    """A reference for an event entered on a page: WEB-YYYYMMDD-XXXXXXXX."""
    return f"WEB-{timezone.localdate():%Y%m%d}-{secrets.token_hex(4).upper()}"


@transaction.atomic
def record_event(customer: Customer, *, user, **fields) -> Event:
    """Record a new event for `customer`; `fields` are already validated (EventForm)."""
    fields.setdefault("ref", new_event_ref())
    event = Event(customer=customer, created_by=user, **fields)
    event.full_clean(exclude=["customer", "created_by"])
    event.save()
    audit.record(AuditEntry.CREATE, event, None, audit.snapshot(event))
    events_changed.send(sender=Event, customer_ids=[event.customer_id])
    return event


@transaction.atomic
def void_event(event_id: int, *, user, reason: str) -> Event:
    """Void a wrong event with a reason; it stays in the file, marked void, and stops counting."""
    require_supervisor(user)
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError(_("必须填写作废原因"))
    event = Event.objects.select_for_update().get(pk=event_id)
    if event.voided_at is not None:
        raise TransitionError(
            _("该事件已于 %(at)s 作废") % {"at": timezone.localtime(event.voided_at).strftime("%Y-%m-%d %H:%M")}
        )
    before = audit.snapshot(event)
    event.voided_at = timezone.now()
    event.voided_by = user
    event.void_reason = reason
    event.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit.record(AuditEntry.VOID, event, before, audit.snapshot(event), note=reason)
    events_changed.send(sender=Event, customer_ids=[event.customer_id])
    return event


@dataclass(frozen=True)
class Arrears:
    """A customer's overdue bills as of a day (annex4-rules.md, "overdue bills" and `O`)."""

    as_of: datetime.date
    bills: list[Bill] = field(default_factory=list)

    @property
    def oldest_due_on(self) -> datetime.date | None:
        """`O`: the due date of the oldest overdue bill, or None when nothing is overdue."""
        return min((b.due_on for b in self.bills), default=None)

    @property
    def months(self) -> int:
        """Whole calendar months from `O` to the day; 0 when nothing is overdue."""
        oldest = self.oldest_due_on
        return months_between(oldest, self.as_of) if oldest else 0

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.bills), Decimal("0.00"))


def arrears_as_of(bills: Iterable[Bill], day: datetime.date) -> Arrears:
    """The overdue bills among `bills` (already loaded; no query) as of `day`."""
    return Arrears(as_of=day, bills=[b for b in bills if b.overdue_on(day)])
