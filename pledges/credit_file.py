"""The pledges app's part of the credit file (`customers.cards`): the 信用承诺书 card and the PDF's section.

Registered in `PledgesConfig.ready()`; `customers` shows them without importing this app. The card's
`pledges` (rows of {"pledge", "badge"}) are read by the notice card after it (no second query).
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import Pledge
from .views.pages import pledge_card_context


def pledge_card(request: HttpRequest, customer) -> dict:
    """The card's context (templates/pledges/_card.html): the customer's pledges (one query)."""
    return pledge_card_context(customer)


def pledge_print_section(request: HttpRequest, customer) -> dict:
    """The PDF's 信用承诺 (templates/pledges/pdf/_file_print.html): every pledge, newest first (one query)."""
    return {"pledges": list(Pledge.objects.filter(customer=customer).order_by("-created_at", "-id"))}
