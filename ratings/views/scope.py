"""Scoping of rating figures: a clerk counts only their own companies' customers.

The companies come from `company_ids_for`, the helper `Customer.objects.for_user` scopes by.
Counts come from the runs' persisted summaries (`RunLevelCount`, see `ratings.summary`):
(company, level) → n per run, summed over the user's companies, one small query for all
the runs of a page. Those are computed levels; `effective_counts_by_company` moves the few
customers with an override in force on a run's date to their override's level, so the pages
count effective levels as the level lists list them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from customers.models import company_ids_for

from ..models import LEVEL_ORDER, RatingRun, RunLevelCount
from ..overrides import RunOverride, adjust_counts, run_overrides


def counts_by_company(runs: Iterable[RatingRun]) -> dict[int, dict[int, dict[str, int]]]:
    """run id → company id → level → number of results, from the runs' summaries (one query)."""
    runs = list(runs)
    out: dict[int, dict[int, dict[str, int]]] = {run.pk: defaultdict(dict) for run in runs}
    if runs:
        rows = RunLevelCount.objects.filter(run__in=[r.pk for r in runs], n__gt=0).values_list(
            "run_id", "company_id", "level", "n"
        )
        for run_id, company_id, level, n in rows:
            out[run_id][company_id][level] = n
    return out


def effective_counts_by_company(
    runs: Iterable[RatingRun],
) -> tuple[dict[int, dict[int, dict[str, int]]], dict[int, list[RunOverride]]]:
    """(run id → company id → level → number of effective levels, run id → its overridden customers).

    The stored (computed) counts adjusted by the overrides in force on each run's date
    (`ratings.overrides.adjust_counts`): three small queries for all the runs of a page.
    """
    runs = list(runs)
    overridden = run_overrides(runs)
    return adjust_counts(counts_by_company(runs), overridden), overridden


def level_totals(by_company: dict[int, dict[str, int]], user) -> dict[str, int]:
    """Counts per level over the companies the user may see, every level present."""
    allowed = set(company_ids_for(user))
    totals = dict.fromkeys(LEVEL_ORDER, 0)
    for company_id, levels in by_company.items():
        if company_id in allowed:
            for level, n in levels.items():
                totals[level] = totals.get(level, 0) + n
    return totals


def latest_succeeded_run() -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()


def previous_succeeded_run(run: RatingRun) -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED, as_of__lt=run.as_of).order_by("-as_of").first()
