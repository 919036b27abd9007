"""The repair app's part of the credit file (`customers.cards`): the 信用修复与异议 card and the PDF's section.

Registered in `RepairConfig.ready()`; `customers` shows them without importing this app.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import RepairRequest


def _requests(customer) -> list[RepairRequest]:
    """The customer's requests, newest first, with their restriction releases (one query)."""
    return list(
        RepairRequest.objects.filter(customer=customer).select_related("release").order_by("-submitted_at", "-id")
    )


def repair_card(request: HttpRequest, customer) -> dict:
    """The card's context (templates/repair/_customer_card.html), in the file's main column."""
    repair_requests = _requests(customer)
    return {
        "repair_requests": repair_requests,
        "restriction_releases": [r.release for r in repair_requests if hasattr(r, "release")],
    }


def repair_print_section(request: HttpRequest, customer) -> dict:
    """The PDF's 信用修复与异议 (templates/repair/pdf/_file_print.html)."""
    return {"repairs": _requests(customer)}
