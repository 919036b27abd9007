"""The staff dashboard's figures (工作台): per company the user may see, read from stored or indexed counts.

Every figure is scoped by `company_ids_for(user)` (the companies `Customer.objects.for_user` limits to)
and reuses the counting of the page it links to, so the two always agree:

- open repair requests and objections: `repair.views.queue.open_counts` (the queue's numbers, by the
  request's stored company; one grouped query on an index);
- pledge coverage: `pledges.views.coverage.coverage_rows` (one aggregate per company, as on the
  coverage page);
- the latest rating run: `ratings.models.RunLevelCount`, the run's stored counts per company and level;
- decided repairs waiting for the next platform batch: `repair.reporting.queued_requests`, grouped.

The number of queries is fixed: it does not grow with customers, requests or runs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count

from customers.models import Company, company_ids_for
from pledges.views.coverage import coverage_rows
from ratings.models import LEVEL_ORDER, RatingRun, RunLevelCount
from repair.reporting import queued_requests
from repair.views.queue import open_counts


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


@dataclass
class Dashboard:
    companies: list[CompanyBoard]
    run: RatingRun | None  # the run whose counts are shown: the latest succeeded one
    newer_run: RatingRun | None  # a later run not (yet) succeeded: running, pending or failed
    today: datetime.date


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

    return Dashboard(companies=list(boards.values()), run=run, newer_run=newer_run, today=today)
