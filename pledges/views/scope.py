"""Scoping: every pledge page finds pledges, customers and batches through the user's customers.

`scoped_pledges` keeps the pledges whose customer is in `Customer.objects.for_user(user)` (the
one scoping method); a pledge of another company is not found (404), never refused.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from customers.models import Company, Customer, company_ids_for

from ..models import Pledge, PledgeBatch


def scoped_customers(request: HttpRequest) -> QuerySet[Customer]:
    return Customer.objects.for_user(request.user)


def scoped_pledges(request: HttpRequest) -> QuerySet[Pledge]:
    return Pledge.objects.filter(Exists(scoped_customers(request).filter(pk=OuterRef("customer_id"))))


def get_pledge(request: HttpRequest, pk: int) -> Pledge:
    return get_object_or_404(scoped_pledges(request).select_related("customer", "company", "template"), pk=pk)


def pledge_scope(request: HttpRequest, pk: int, **_url_kwargs) -> None:
    """`role_required`'s scope for the views of one pledge: 404 outside the user's companies."""
    get_pledge(request, pk)


def scoped_companies(request: HttpRequest) -> QuerySet[Company]:
    return Company.objects.filter(id__in=company_ids_for(request.user)).order_by("id")


def get_batch(request: HttpRequest, pk: int) -> PledgeBatch:
    return get_object_or_404(
        PledgeBatch.objects.select_related("company", "created_by"), pk=pk, company__in=scoped_companies(request)
    )
