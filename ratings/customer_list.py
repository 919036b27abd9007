"""The customer list's 当前等级 (column, filter, sort), supplied to `customers.levels` in `RatingsConfig.ready()`.

The list reads a row's effective level in the latest succeeded run as annotations, for the page's rows only:
the run's result through the unique (run, customer) index and the override in force on the run's date.
"""

from __future__ import annotations

from django.db.models import Case, CharField, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, When
from django.db.models import Value as V
from django.db.models.functions import Coalesce

from customers.levels import NO_LEVEL, LevelProvider

from .models import LevelOverride, RatingResult
from .overrides import effective_level_sql, effective_override_sql, in_force_on
from .templatetags.ratings_tags import level_badge
from .views.scope import latest_succeeded_run


def annotate_levels(queryset: QuerySet, run) -> QuerySet:
    """`result_level`, `override_level` and `current_level` of each customer in `run`."""
    # A LEFT JOIN on the unique (run, customer) index: probed per row for a page in account order,
    # hash-joined when every row is needed (the capped count, sorting by level).
    return (
        queryset.annotate(
            run_result=FilteredRelation("rating_results", condition=Q(rating_results__run=run)),
        )
        .annotate(
            result_level=F("run_result__level"),
            override_level=effective_override_sql(run.as_of),
        )
        .annotate(
            current_level=Case(
                When(result_level__isnull=True, then=V(None, output_field=CharField())),
                default=Coalesce("override_level", "result_level"),
                output_field=CharField(),
            )
        )
    )


def filter_level(queryset: QuerySet, run, value: str) -> QuerySet:
    """By the effective level in `run`: the run's results joined on the unique (run, customer) index, as a
    semi-join (`id IN (…)`) the planner can hash, not a per-row lookup.

    A customer is `value` when its stored result is `value` and no override is in force on the run's
    date, or when the newest override in force is `value` (overrides are few: that side is small).
    未评级 (`NO_LEVEL`): no result in the run (an anti-join)."""
    results = RatingResult.objects.filter(run=run)
    if value == NO_LEVEL:
        return queryset.filter(~Exists(results.filter(customer_id=OuterRef("pk"))))
    overridden = LevelOverride.objects.filter(in_force_on(run.as_of)).values("customer_id")
    stored = results.filter(level=value).exclude(customer_id__in=overridden).values("customer_id")
    forced = (
        results.filter(customer_id__in=overridden)
        .annotate(forced_level=effective_level_sql(run.as_of, customer="customer_id"))
        .filter(forced_level=value)
        .values("customer_id")
    )
    return queryset.filter(pk__in=stored.union(forced))


PROVIDER = LevelProvider(
    latest_run=latest_succeeded_run, annotate=annotate_levels, filter=filter_level, badge=level_badge
)
