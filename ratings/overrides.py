"""Level overrides: a supervisor sets a customer's level with a reason; one function per transition.

Shape of customers/services.py: atomic, lock, check the state, save, write the audit entry
(model "override", in the customer's change history).

An override is in force from `starts_on` through `ends_on` inclusive (open-ended when
`ends_on` is empty) unless revoked. The effective level on a day is the level of the
override in force that day, else the computed one.

One rule everywhere (credit file, level lists, run counts, the platform batch): a run's
effective level for a customer is the level of the override in force on the run's as-of
date — the newest by (starts_on, created_at, id) when several are — else the run's stored
result. An override set today (`set_override` starts it today) therefore covers runs whose
as-of date is today or later, never a run as of an earlier date.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Customer
from customers.roles import require_supervisor
from customers.services import TransitionError

from .models import LEVEL_ORDER, LevelOverride, RatingResult, RatingRun

__all__ = [
    "NEWEST_FIRST",
    "TransitionError",
    "adjust_counts",
    "applies_to_runs_text",
    "effective_level_sql",
    "effective_override_sql",
    "effective_level",
    "in_force_on",
    "in_force_override",
    "overrides_on",
    "run_overrides",
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


# The order that picks the override in force when several are: newest first.
NEWEST_FIRST = ("-starts_on", "-created_at", "-id")


def overrides_on(day: datetime.date, customer_ids: Iterable[int] | None = None) -> dict[int, str]:
    """customer id -> the level of the override in force on `day` (the newest when several); one query."""
    overrides = LevelOverride.objects.filter(in_force_on(day))
    if customer_ids is not None:
        overrides = overrides.filter(customer_id__in=list(customer_ids))
    out: dict[int, str] = {}
    for customer_id, level in overrides.order_by("customer_id", *NEWEST_FIRST).values_list("customer_id", "level"):
        out.setdefault(customer_id, level)
    return out


def effective_level_sql(day: datetime.date, customer: str = "pk") -> Subquery:
    """SQL: the level of the override in force on `day` for the row's customer (`OuterRef(customer)`), else NULL.

    Coalesce it with the stored result's level to get the effective level in a query.
    """
    in_force = LevelOverride.objects.filter(in_force_on(day), customer=OuterRef(customer))
    return Subquery(in_force.order_by(*NEWEST_FIRST).values("level")[:1])


def effective_override_sql(day: datetime.date, customer: str = "pk") -> Case:
    """`effective_level_sql`, looked up only for the few customers with an override in force on `day`.

    The customer's id is first tested against the set of those customers (one uncorrelated subquery,
    which PostgreSQL hashes once), so a query over a million customers (sorting the customer list by
    level, its export) probes the overrides' index for those few rows instead of for every row.
    """
    overridden = LevelOverride.objects.filter(in_force_on(day)).values("customer_id")
    return Case(
        When(**{f"{customer}__in": overridden}, then=effective_level_sql(day, customer)),
        default=Value(None),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class RunOverride:
    """A customer of a run with an override in force on the run's date: its stored and effective levels."""

    customer_id: int
    company_id: int
    computed: str
    effective: str


def run_overrides(runs: Iterable[RatingRun]) -> dict[int, list[RunOverride]]:
    """run id -> the run's customers with an override in force on its as-of date (two queries for any runs).

    Overrides are few: the candidates (not revoked, overlapping the runs' dates) are read once,
    the newest in force on each run's date is picked per customer, and only those customers'
    results in those runs are read, by the unique (run, customer) index. The company is the
    customer's company, as `ratings.summary.count_levels` counts it.
    """
    runs = list(runs)
    out: dict[int, list[RunOverride]] = {run.pk: [] for run in runs}
    if not runs:
        return out
    first, last = min(r.as_of for r in runs), max(r.as_of for r in runs)
    candidates = list(
        LevelOverride.objects.filter(revoked_at__isnull=True, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .only("customer_id", "level", "starts_on", "ends_on", "created_at", "revoked_at")
    )
    if not candidates:
        return out
    forced: dict[tuple[int, int], str] = {}
    for run in runs:
        newest: dict[int, LevelOverride] = {}
        for o in candidates:
            if o.in_force_on(run.as_of):
                key = (o.starts_on, o.created_at, o.pk)
                held = newest.get(o.customer_id)
                if held is None or key > (held.starts_on, held.created_at, held.pk):
                    newest[o.customer_id] = o
        for customer_id, o in newest.items():
            forced[(run.pk, customer_id)] = o.level
    if not forced:
        return out
    rows = RatingResult.objects.filter(
        run_id__in=[r.pk for r in runs], customer_id__in={cid for _run, cid in forced}
    ).values_list("run_id", "customer_id", "level", "customer__company_id")
    for run_id, customer_id, level, company_id in rows:
        effective = forced.get((run_id, customer_id))
        if effective is not None:
            out[run_id].append(RunOverride(customer_id, company_id, level, effective))
    return out


def adjust_counts(
    counts: dict[int, dict[int, dict[str, int]]], overridden: dict[int, list[RunOverride]]
) -> dict[int, dict[int, dict[str, int]]]:
    """run id -> company id -> level -> n of effective levels, from the stored (computed) counts.

    Each customer with an override in force on the run's date leaves its computed level and
    joins its override's level (in its company). `counts` is left as it was.
    """
    out: dict[int, dict[int, dict[str, int]]] = {}
    for run_id, by_company in counts.items():
        adjusted: dict[int, dict[str, int]] = defaultdict(dict)
        for company_id, levels in by_company.items():
            adjusted[company_id] = dict(levels)
        for o in overridden.get(run_id, []):
            if o.computed != o.effective:
                levels = adjusted[o.company_id]
                levels[o.computed] = levels.get(o.computed, 0) - 1
                levels[o.effective] = levels.get(o.effective, 0) + 1
        out[run_id] = adjusted
    return out


def applies_to_runs_text(starts_on: datetime.date, latest_run: RatingRun | None) -> str:
    """What an override starting on `starts_on` changes, in a sentence for the form and the message."""
    day = starts_on.isoformat()
    text = _("自 %(day)s 起生效，适用于评定基准日为 %(day)s 及以后的评级批次。") % {"day": day}
    if latest_run is not None and latest_run.as_of < starts_on:
        text += _(
            "已完成的批次（最近一次基准日 %(run)s）不受影响，其名单、户数和信用档案仍按评定结果；下次评级起按调整后等级。"
        ) % {"run": latest_run.as_of.isoformat()}
    elif latest_run is not None:
        text += _("基准日 %(run)s 的批次也按调整后等级列入名单和户数。") % {"run": latest_run.as_of.isoformat()}
    return text


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
        raise TransitionError(_("该等级调整已于 %(day)s 到期，无需撤销") % {"day": override.ends_on.isoformat()})
    before = audit.snapshot(override)
    override.revoked_at = timezone.now()
    override.revoked_by = user
    override.revoke_reason = reason
    override.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    _log(AuditEntry.UPDATE, override, before, user, note=reason)
    return override
