"""The reporting app's part of the credit file (`customers.cards`): the 告知书 card and the PDF's section.

Registered in `ReportingConfig.ready()` (with the 信用核查 card, reporting/checks.py); `customers`
shows them without importing this app.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import Notice
from .notices import notice_card_context


def notice_card(request: HttpRequest, customer, so_far: dict) -> dict:
    """The card's context (templates/reporting/_notice_card.html). The pledges already loaded for the
    pledge card before it (`so_far["pledges"]`, registered with a lower order): the breached ones are read
    from them, not queried again."""
    rows = so_far.get("pledges")
    pledges = [row["pledge"] for row in rows] if rows is not None else None
    return notice_card_context(customer, pledges=pledges)


def notice_print_section(request: HttpRequest, customer) -> dict:
    """The PDF's 告知书 (templates/reporting/pdf/_notice_print.html): every notice, newest first (one query)."""
    return {"notices": list(Notice.objects.filter(customer=customer).order_by("-created_at", "-id"))}
