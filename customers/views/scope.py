"""`role_required`'s scope for the views of one customer, importable by every app without a cycle."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from ..models import Customer


def customer_scope(request: HttpRequest, account_no: str, **_url_kwargs) -> None:
    """404 unless the customer is among the user's companies' (`Customer.objects.for_user`)."""
    get_object_or_404(Customer.objects.for_user(request.user), account_no=account_no)
