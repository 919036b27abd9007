"""Ratings of one customer: computed as of a date, stored results, re-rating after a repair; the CSV export's lines.

(Overrides live in `ratings.overrides`; runs in `ratings.runs`.)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Customer
from customers.services import TransitionError

from . import summary
from .facts import facts_for
from .models import RatingResult, RatingRun, RunLevelCount
from .rules import Rating, rate

EXPORT_HEADER = "account_no,level,criteria\n"


def rate_customer(customer: Customer, as_of: datetime.date) -> Rating | None:
    """The computed rating of one customer as of a date (None when not rated then); same path as a run."""
    if not customer.uscc or customer.opened_on > as_of:
        return None
    found = facts_for(customer.pk, as_of)
    return rate(found, as_of) if found is not None else None


def latest_result(customer: Customer) -> RatingResult | None:
    """The customer's result in the latest succeeded run, if any."""
    return (
        RatingResult.objects.filter(customer=customer, run__status=RatingRun.Status.SUCCEEDED)
        .select_related("run")
        .order_by("-run__as_of")
        .first()
    )


def export_lines(run: RatingRun, chunk_size: int = 10_000) -> Iterator[str]:
    """The CSV lines of a run (header first), sorted by account_no byte-wise, streamed from a server-side cursor.

    Account numbers are ASCII (A-Z a-z 0-9 -) and criteria like "R1;R3", so no field needs quoting.
    """
    yield EXPORT_HEADER
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT c.account_no, r.level, r.criteria FROM {RatingResult._meta.db_table} r "
        f"JOIN {Customer._meta.db_table} c ON c.id = r.customer_id WHERE r.run_id = %s "
        f"ORDER BY c.account_no{collate}"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [run.pk])
        while rows := cursor.fetchmany(chunk_size):
            yield "".join(f"{account_no},{level},{criteria}\n" for account_no, level, criteria in rows)


class RerateBlocked(TransitionError):
    """A run that is or would become the latest is going on; re-rate once it has finished."""


def _blocked(day: datetime.date, attempt_started) -> RerateBlocked:
    return RerateBlocked(
        _("%(date)s 的评级正在进行（开始于 %(since)s），暂不能重新评定单户，请在该批次完成后再试。")
        % {"date": day.isoformat(), "since": timezone.localtime(attempt_started).strftime("%Y-%m-%d %H:%M")}
    )


def _latest_succeeded_for_update() -> RatingRun | None:
    """The latest succeeded run, its row locked. RerateBlocked if a run on or after its date is
    pending or running (a rerun of it, or the next month's run): that run may already have
    rated the customer from the old facts, or will rate it anyway."""
    from .runs import stale_after

    latest = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    active = RatingRun.objects.filter(
        status__in=(RatingRun.Status.PENDING, RatingRun.Status.RUNNING),
        attempt__gt=0,
        started_at__gt=timezone.now() - stale_after(),
    )
    if latest is not None:
        active = active.filter(as_of__gte=latest.as_of)
    going = active.order_by("-as_of").first()
    if going is not None:
        raise _blocked(going.as_of, going.started_at)
    if latest is None:
        return None
    run = RatingRun.objects.select_for_update().get(pk=latest.pk)
    if run.status != RatingRun.Status.SUCCEEDED:  # claimed again since we looked
        raise _blocked(run.as_of, run.started_at or run.created_at)
    return run


def _shift_count(run: RatingRun, company_id: int, before: str | None, after: str | None) -> None:
    """Move one customer between levels in the run's counts (before/after None: not counted)."""
    if before == after:
        return
    if before is not None:
        RunLevelCount.objects.filter(run=run, company_id=company_id, level=before, n__gt=0).update(n=F("n") - 1)
    if after is not None:
        summary.add_counts(run.pk, {(company_id, after): 1})


def rerate_customer(customer: Customer, *, user, reason: str) -> tuple[str | None, str | None]:
    """Rate `customer` again in the latest succeeded run, as of that run's date (after a credit repair).

    Returns (computed level before, after): (None, level) when the customer had no result in the
    run (one is inserted if the customer is rated on that date), (level, level) when unchanged.
    The result row (level and criteria), the run's counts and movers (and the movers of a later
    succeeded run compared with it) are updated and an audit entry is written (who, reason,
    before → after), all in one transaction. With no succeeded run it returns (None, the live
    level as of today) and stores nothing.

    Locks the customer row, then the run row: a rerun of that date cannot be claimed (its claim
    waits) or commit a chunk while this runs. If a run for that date or a later one is pending
    or running (and not stale, see `runs.claim_run`), RerateBlocked — a clear error, nothing
    written — rather than waiting for it: a run takes minutes, and its chunks may already have
    rated the customer from the old facts. Once it has finished, re-rate again.
    The caller checks the user's permission and scope (the repair workflow).
    """
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError(_("重新评定原因：必须填写。"))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        run = _latest_succeeded_for_update()
        if run is None:
            live = rate_customer(customer, timezone.localdate())
            return None, (live.level if live is not None else None)
        rating = rate_customer(customer, run.as_of)
        result = RatingResult.objects.filter(run=run, customer=customer).first()
        before = result.level if result is not None else None
        after = rating.level if rating is not None else None
        if result is None and rating is None:
            return None, None
        old = {"level": before, "criteria": result.criteria if result is not None else None}
        criteria = ";".join(rating.criteria) if rating is not None else ""
        if result is None:
            result = RatingResult.objects.create(run=run, customer=customer, level=after, criteria=criteria)
        elif rating is None:  # no longer rated on the run's date (e.g. its USCC was removed)
            pk = result.pk
            result.delete()
            result.pk = pk  # the audit entry names the row that was removed
        else:
            result.level, result.criteria = after, criteria
            result.save(update_fields=["level", "criteria"])
        _shift_count(run, customer.company_id, before, after)
        summary.refresh_customer_move(run, customer)
        following = RatingRun.objects.filter(moves_from=run, status=RatingRun.Status.SUCCEEDED).first()
        if following is not None:
            summary.refresh_customer_move(following, customer)
        with audit.acting_as(user=user):
            audit.record(
                AuditEntry.UPDATE,
                result,
                {"run": run.as_of.isoformat(), **old},
                {"run": run.as_of.isoformat(), "level": after, "criteria": criteria if rating is not None else None},
                note=_("重新评定：%(reason)s") % {"reason": reason},
            )
    return before, after
