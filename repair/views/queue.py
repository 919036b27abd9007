"""The supervisors' queue: open requests, soonest deadline first, overdue ones marked; counts per company and kind."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, Q, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from customers.models import Company, company_ids_for

from ..filters import RequestFilter
from ..models import RepairRequest
from ..workdays import year_is_known
from .common import scoped_requests

PAGE_SIZE = 50
Status = RepairRequest.Status


def with_deadline(queryset):
    """`deadline_on`: the date the current step is due (accept_by while submitted, decide_by once accepted)."""
    return queryset.annotate(
        deadline_on=Case(
            When(status=Status.SUBMITTED, then=F("accept_by")),
            When(status=Status.ACCEPTED, then=F("decide_by")),
            default=None,
        )
    )


def open_counts(user, today) -> list[dict]:
    """Per company and kind: open, of which overdue and accepted (one grouped query); the dashboard's numbers."""
    rows = (
        scoped_requests(user)
        .filter(status__in=RepairRequest.OPEN_STATUSES)
        .values("company", "kind")
        .annotate(
            open=Count("id"),
            submitted=Count("id", filter=Q(status=Status.SUBMITTED)),
            overdue=Count(
                "id",
                filter=Q(status=Status.SUBMITTED, accept_by__lt=today) | Q(status=Status.ACCEPTED, decide_by__lt=today),
            ),
        )
    )
    found = {(r["company"], r["kind"]): r for r in rows}
    companies = Company.objects.filter(pk__in=company_ids_for(user)).order_by("id")
    out = []
    for company in companies:
        for kind, label in RepairRequest.Kind.choices:
            r = found.get((company.pk, kind), {})
            out.append(
                {
                    "company": company,
                    "kind": kind,
                    "kind_label": label,
                    "open": r.get("open", 0),
                    "submitted": r.get("submitted", 0),
                    "overdue": r.get("overdue", 0),
                }
            )
    return out


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    base = with_deadline(scoped_requests(request.user)).select_related("customer", "company", "submitted_by")
    request_filter = RequestFilter(request.GET or None, queryset=base, request=request)
    queryset = request_filter.qs.order_by(F("deadline_on").asc(nulls_last=True), "-decided_at", "submitted_at", "id")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"req": r, "overdue": r.deadline_on is not None and r.deadline_on < today} for r in page]
    unknown_years = sorted(
        {r.deadline_on.year for r in page if r.deadline_on and not year_is_known(r.deadline_on.year)}
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "repair/queue.html",
        {
            "filter": request_filter,
            "page": page,
            "rows": rows,
            "counts": open_counts(request.user, today),
            "today": today,
            "unknown_years": unknown_years,
            "query": query.urlencode(),
        },
    )
