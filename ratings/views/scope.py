"""Scoping of rating results: a clerk sees only the results of their own companies' customers."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Customer

from ..models import RatingResult, RatingRun


def scoped_results(user, run: RatingRun | None = None) -> QuerySet[RatingResult]:
    """Results of customers the user may see (through `Customer.objects.for_user`), of one run if given."""
    results = RatingResult.objects.filter(customer__in=Customer.objects.for_user(user))
    return results.filter(run=run) if run is not None else results


def latest_succeeded_run() -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()


def previous_succeeded_run(run: RatingRun) -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED, as_of__lt=run.as_of).order_by("-as_of").first()
