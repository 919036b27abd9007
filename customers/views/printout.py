"""The credit file as a PDF (信用档案打印件), for the counter or a meeting.

Scoped like the file itself: a customer of another company is not found (404). The level and
its explanation come from the rating card's own context (`rating_card_context`): the stored
result of the latest succeeded run, its criteria in Annex 4's words, the effective level when
overridden, and the measures, so the paper never says something the card does not.

A fixed number of queries whatever the number of records; WeasyPrint lays out long tables over
as many A4 pages as needed, repeating each table's header.
"""

from __future__ import annotations

import copy

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

from customers.roles import READ, role_required
from pledges.models import Pledge
from pledges.pdf import render_pdf
from ratings.models import Level
from ratings.views.customer import rating_card_context
from repair.models import RepairRequest
from reporting.models import Notice

from .. import services
from ..audit import mask_phone
from ..models import Bill, Event
from .files import get_customer

LEVEL_LABELS = dict(Level.choices)


def person_name(user) -> str:
    """A person by name (陈静), the username only when no name is recorded."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def credit_file_context(request: HttpRequest, customer) -> dict:
    """Everything the printout shows, loaded once."""
    now = timezone.localtime()
    today = now.date()
    # The printout is the stored state: a `?as_of=` on the URL does not change what is printed.
    plain = copy.copy(request)
    plain.GET = QueryDict()
    card = rating_card_context(plain, customer, today)["rating"]

    events = list(Event.objects.filter(customer=customer).select_related("voided_by").order_by("-occurred_on", "-id"))
    bills = list(Bill.objects.filter(customer=customer).order_by("-period"))
    arrears = services.arrears_as_of(bills, today)
    overdue_ids = {b.pk for b in arrears.bills}
    bill_rows = [
        {"bill": b, "overdue": b.pk in overdue_ids, "paid_late": b.paid_late()}
        for b in bills
        if b.pk in overdue_ids or b.paid_late()
    ]
    pledges = list(Pledge.objects.filter(customer=customer).order_by("-created_at", "-id"))
    repairs = list(
        RepairRequest.objects.filter(customer=customer).select_related("release").order_by("-submitted_at", "-id")
    )
    notices = list(Notice.objects.filter(customer=customer).order_by("-created_at", "-id"))
    company = customer.company
    return {
        "customer": customer,
        "company_name": company.registered_name or company.name,
        "printed_at": now,
        "printed_by": person_name(request.user),
        "today": today,
        "phone": mask_phone(customer.phone) if customer.phone else "",
        "rating": card,
        "computed_label": LEVEL_LABELS.get(card.computed, ""),
        "effective_label": LEVEL_LABELS.get(card.effective, ""),
        "live_label": LEVEL_LABELS.get(card.live.level, "") if card.live else "",
        "events": events,
        "bill_rows": bill_rows,
        "arrears": arrears,
        "pledges": pledges,
        "repairs": repairs,
        "notices": notices,
        "level_labels": LEVEL_LABELS,
    }


@role_required(READ)
def credit_file_pdf(request: HttpRequest, account_no: str) -> HttpResponse:
    """/customers/file/<account_no>/pdf/: the credit file as an A4 PDF (inline)."""
    customer = get_customer(request, account_no)
    context = credit_file_context(request, customer)
    data = render_pdf("pdf/credit_file.html", context)
    response = HttpResponse(data, content_type="application/pdf")
    stamp = context["printed_at"].strftime("%Y%m%d")
    response["Content-Disposition"] = f'inline; filename="credit-file-{customer.account_no}-{stamp}.pdf"'
    return response
