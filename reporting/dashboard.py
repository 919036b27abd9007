"""The staff dashboard's figures (工作台): per company the user may see, read from stored or indexed counts.

Every figure is scoped by `company_ids_for(user)` (the companies `Customer.objects.for_user` limits to)
and reuses the counting of the page it links to, so the two always agree:

- open repair requests and objections: `repair.views.queue.open_counts` (the queue's numbers, by the
  request's stored company; one grouped query on an index);
- pledge coverage: `pledges.views.coverage.coverage_rows` (one aggregate per company, as on the
  coverage page);
- the latest rating run: `ratings.models.RunLevelCount`, the run's stored counts per company and level, adjusted
  for the overrides in force on its date (`ratings.overrides.adjust_counts`), as the run pages show them;
- decided repairs waiting for the next platform batch: `repair.reporting.queued_requests`, grouped;
- the platform batch (`reporting_figures`): the latest period's draft with the company's held-back rows
  (from the batch's stored counts), and every past period not yet 已报送 with how many days it is late
  (due on the REPORTING_DUE_DAY-th of the following month): three queries, whatever the batches.

The number of queries is fixed: it does not grow with customers, requests or runs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, DateField, ExpressionWrapper, F, Max, Min, Q
from django.db.models.functions import ExtractDay

from customers.models import Company, company_ids_for
from pledges.views.coverage import coverage_rows
from ratings.models import LEVEL_ORDER, RatingRun, RunLevelCount
from ratings.overrides import adjust_counts, run_overrides
from repair.reporting import queued_requests
from repair.views.queue import open_counts

from .models import SHEET_ORDER, Batch, BatchStatus

# A period counts as reported (已报送) once one of its batches reached one of these.
SUBMITTED_STATUSES = (BatchStatus.SUBMITTED, BatchStatus.ACCEPTED, BatchStatus.RETURNED)


@dataclass
class KindCounts:
    kind: str
    label: str
    submitted: int = 0  # 待受理
    accepted: int = 0  # 待决定
    overdue: int = 0  # 超期 (of the two)

    @property
    def open(self) -> int:
        return self.submitted + self.accepted


@dataclass
class CompanyBoard:
    company: Company
    requests: list[KindCounts] = field(default_factory=list)
    coverage: dict = field(default_factory=dict)
    levels: list[tuple[str, int]] = field(default_factory=list)
    rated: int = 0
    queued: int = 0
    draft_held: int = 0  # this company's held-back rows in the current draft


@dataclass
class PendingPeriod:
    """A past period not yet 已报送: its latest batch (if any), its due date and how late it is."""

    period: datetime.date
    due: datetime.date
    days_late: int
    number: str = ""  # the period's latest batch

    @property
    def is_late(self) -> bool:
        return self.days_late > 0


@dataclass
class Dashboard:
    companies: list[CompanyBoard]
    run: RatingRun | None  # the run whose counts are shown: the latest succeeded one
    newer_run: RatingRun | None  # a later run not (yet) succeeded: running, pending or failed
    today: datetime.date
    draft: Batch | None = None  # the draft batch of the latest period that has a batch
    pending: list[PendingPeriod] = field(default_factory=list)


def latest_runs() -> tuple[RatingRun | None, RatingRun | None]:
    """The latest succeeded run, and the latest run of all when it is a later one that has not succeeded
    (two small queries on the unique as_of index, always both: the count does not depend on the data)."""
    latest = RatingRun.objects.order_by("-as_of").first()
    succeeded = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    newer = latest if latest is not None and latest != succeeded else None
    return succeeded, newer


def build(user, today: datetime.date) -> Dashboard:
    """The dashboard of `user`: one board per company they may see (a clerk: theirs; a supervisor: both)."""
    allowed = company_ids_for(user)
    companies = list(Company.objects.filter(pk__in=allowed).order_by("id"))
    boards = {c.pk: CompanyBoard(company=c) for c in companies}

    for row in open_counts(user, today):
        board = boards.get(row["company"].pk)
        if board is not None:
            board.requests.append(
                KindCounts(
                    kind=row["kind"],
                    label=row["kind_label"],
                    submitted=row["submitted"],
                    accepted=row["open"] - row["submitted"],
                    overdue=row["overdue"],
                )
            )

    for row in coverage_rows(companies):
        boards[row["company"].pk].coverage = row

    run, newer_run = latest_runs()
    by_company: dict[int, dict[str, int]] = {}
    if run is not None:
        for company_id, level, n in RunLevelCount.objects.filter(run=run, company__in=allowed).values_list(
            "company_id", "level", "n"
        ):
            by_company.setdefault(company_id, {})[level] = n
        # Effective levels, as the run pages count them: customers with an override in force on the run's
        # date move from their computed level to the override's (ratings.overrides, two small queries).
        by_company = adjust_counts({run.pk: by_company}, run_overrides([run]))[run.pk]
    for board in boards.values():
        counts = by_company.get(board.company.pk, {})
        board.levels = [(level, counts.get(level, 0)) for level in LEVEL_ORDER]
        board.rated = sum(n for _, n in board.levels)

    queued = (
        queued_requests()
        .prefetch_related(None)
        .filter(company__in=allowed)
        .order_by()
        .values("company")
        .annotate(n=Count("id"))
        .values_list("company", "n")
    )
    for company_id, n in queued:
        boards[company_id].queued = n

    draft, pending = reporting_figures(today)
    if draft is not None:
        by_company = (draft.counts or {}).get("by_company", {})
        for board in boards.values():
            counts = by_company.get(str(board.company.pk), {})
            board.draft_held = sum(counts.get(s, {}).get("held", 0) for s in SHEET_ORDER)

    return Dashboard(
        companies=list(boards.values()), run=run, newer_run=newer_run, today=today, draft=draft, pending=pending
    )


def _month_after(period: datetime.date) -> datetime.date:
    return (period.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def due_date(period: datetime.date) -> datetime.date:
    """A period's batch is due on the REPORTING_DUE_DAY-th (default 10) of the following month."""
    day = int(getattr(settings, "REPORTING_DUE_DAY", 10))
    following = _month_after(period)
    last = _month_after(following) - datetime.timedelta(days=1)
    return following.replace(day=max(1, min(day, last.day)))


def reporting_figures(today: datetime.date) -> tuple[Batch | None, list[PendingPeriod]]:
    """The current draft, and the past periods not yet reported, oldest first.

    Past periods run from the first month that has a batch or a succeeded month-end run up to the last
    finished month. Three queries: the periods with batches (grouped), the first month-end run, the draft.
    """
    periods = {
        row["period"]: row
        for row in Batch.objects.order_by()
        .values("period")
        .annotate(last=Max("number"), handed=Count("id", filter=Q(status__in=SUBMITTED_STATUSES)))
    }
    first_run = (
        RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED)
        .annotate(next_day=ExpressionWrapper(F("as_of") + datetime.timedelta(days=1), output_field=DateField()))
        .annotate(next_dom=ExtractDay("next_day"))
        .filter(next_dom=1)
        .aggregate(first=Min("as_of"))["first"]
    )
    draft = Batch.objects.filter(status=BatchStatus.DRAFT).order_by("-period", "-number").select_related(None).first()
    if draft is not None and periods and draft.period != max(periods):
        draft = None  # a draft of an older period is listed among the periods not yet reported

    starts = [p for p in (min(periods) if periods else None, first_run.replace(day=1) if first_run else None) if p]
    pending: list[PendingPeriod] = []
    if starts:
        period, last = min(starts), (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        while period <= last:
            row = periods.get(period)
            if row is None or not row["handed"]:
                due = due_date(period)
                pending.append(
                    PendingPeriod(period, due, (today - due).days, number=row["last"] if row is not None else "")
                )
            period = _month_after(period)
    return draft, pending
