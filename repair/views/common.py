"""Finding requests: always through the customers the user may see (`Customer.objects.for_user`)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from customers.models import Customer, company_ids_for

from ..models import RepairRequest


def scoped_requests(user) -> QuerySet[RepairRequest]:
    """Requests of the customers `user` may see: another company's request is simply not found."""
    return RepairRequest.objects.filter(customer__in=Customer.objects.for_user(user))


def company_requests(user) -> QuerySet[RepairRequest]:
    """Requests of customers now in the user's companies, for COUNTS (the queue's and the dashboard's
    numbers, the navigation badge): the same rule as `scoped_requests` (the customer's current company,
    not the request's stored one), so a customer that moved counts where its requests are listed."""
    if not user.is_authenticated:
        return RepairRequest.objects.none()
    return RepairRequest.objects.filter(customer__company_id__in=company_ids_for(user))


def request_scope(request: HttpRequest, number: str, **_url_kwargs) -> None:
    """`role_required`'s scope for the views of one request: 404 outside the user's companies."""
    get_object_or_404(scoped_requests(request.user), number=number)


def get_request(request: HttpRequest, number: str) -> RepairRequest:
    return get_object_or_404(
        scoped_requests(request.user).select_related(
            "customer",
            "customer__company",
            "company",
            "submitted_by",
            "accepted_by",
            "decided_by",
            "extended_by",
            "pledge",
        ),
        number=number,
    )
