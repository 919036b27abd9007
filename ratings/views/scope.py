"""Scoping of rating results: a clerk sees only the results of their own companies' customers.

The companies come from `company_ids_for`, the helper `Customer.objects.for_user` scopes by.
Counts are read once per run as (company, level) → n and summed over the user's companies,
so a page over a million results runs one grouped query per run instead of one per table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import Count, QuerySet

from customers.models import Company, Customer, company_ids_for

from ..models import LEVEL_ORDER, RatingResult, RatingRun

COUNTS_CACHE_SECONDS = 7 * 24 * 3600


def _sees_every_company(user) -> bool:
    return set(Company.objects.values_list("id", flat=True)) <= set(company_ids_for(user))


def scoped_results(user, run: RatingRun | None = None) -> QuerySet[RatingResult]:
    """Results of customers the user may see, of one run if given."""
    results = RatingResult.objects.all() if run is None else RatingResult.objects.filter(run=run)
    if not user.is_authenticated:
        return results.none()
    if user.is_superuser or _sees_every_company(user):
        return results
    return results.filter(customer__in=Customer.objects.for_user(user))


def cache_key(run: RatingRun) -> str | None:
    """Only a finished, succeeded run's counts are final; a rerun bumps `attempt` and `finished_at`."""
    if run.status != RatingRun.Status.SUCCEEDED or run.finished_at is None:
        return None
    return f"ratings:counts:{run.pk}:{run.attempt}:{run.finished_at.isoformat()}"


def counts_by_company(runs: Iterable[RatingRun]) -> dict[int, dict[int, dict[str, int]]]:
    """run id → company id → level → number of results (one grouped query for the runs not cached yet).

    A finished run's counts never change, so they are kept in the cache (a million results take
    seconds to group; the runs list and the chart read several runs).
    """
    runs = list(runs)
    out: dict[int, dict[int, dict[str, int]]] = {}
    missing = []
    for run in runs:
        key = cache_key(run)
        cached = cache.get(key) if key else None
        if cached is not None:
            out[run.pk] = defaultdict(dict, {int(k): v for k, v in cached.items()})
        else:
            out[run.pk] = defaultdict(dict)
            missing.append(run)
    if missing:
        rows = (
            RatingResult.objects.filter(run__in=[r.pk for r in missing])
            .order_by()
            .values("run_id", "customer__company_id", "level")
            .annotate(n=Count("id"))
        )
        for row in rows:
            out[row["run_id"]][row["customer__company_id"]][row["level"]] = row["n"]
        for run in missing:
            key = cache_key(run)
            if key:
                cache.set(key, {k: dict(v) for k, v in out[run.pk].items()}, COUNTS_CACHE_SECONDS)
    return out


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
