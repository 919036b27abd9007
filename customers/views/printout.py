"""The credit file as a PDF (信用档案打印件), for the counter or a meeting.

Scoped like the file itself: a customer of another company is not found (404). The file's own
sections (基本信息, 信用记录: events and bills) are built here; the apps above add theirs through
`customers.cards.register_print_section` in their ready() (信用等级 from the rating card's own
context, so the paper never says something the card does not; 信用承诺, 信用修复与异议, 告知书),
numbered 一、二、… in order.

A fixed number of queries whatever the number of records; WeasyPrint lays out long tables over
as many A4 pages as needed, repeating each table's header.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from customers.roles import READ, role_required

from .. import cards, services
from ..audit import mask_phone
from ..models import Bill, Event
from ..pdf import render_pdf
from .files import get_customer

CHINESE_NUMBERS = "一二三四五六七八九十"
# The file's own sections, placed among the registered ones by `order`.
OWN_SECTIONS = (
    cards.PrintSection(name="basic", template="pdf/_file_basic.html", context=lambda request, customer: {}, order=0),
    cards.PrintSection(
        name="records", template="pdf/_file_records.html", context=lambda request, customer: {}, order=30
    ),
)


def person_name(user) -> str:
    """A person by name (陈静), the username only when no name is recorded."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _numbered(sections: list[cards.PrintSection]) -> list[dict]:
    return [
        {"name": s.name, "template": s.template, "number": CHINESE_NUMBERS[i] if i < len(CHINESE_NUMBERS) else i + 1}
        for i, s in enumerate(sections)
    ]


def credit_file_context(request: HttpRequest, customer) -> dict:
    """Everything the printout shows, loaded once."""
    now = timezone.localtime()
    today = now.date()
    sections = sorted([*OWN_SECTIONS, *cards.print_sections()], key=lambda s: (s.order, s.name))
    registered = cards.print_context(request, customer, [s for s in sections if s not in OWN_SECTIONS])

    events = list(Event.objects.filter(customer=customer).select_related("voided_by").order_by("-occurred_on", "-id"))
    bills = list(Bill.objects.filter(customer=customer).order_by("-period"))
    arrears = services.arrears_as_of(bills, today)
    overdue_ids = {b.pk for b in arrears.bills}
    bill_rows = [
        {"bill": b, "overdue": b.pk in overdue_ids, "paid_late": b.paid_late()}
        for b in bills
        if b.pk in overdue_ids or b.paid_late()
    ]
    company = customer.company
    return {
        **registered,
        "customer": customer,
        "company_name": company.registered_name or company.name,
        "printed_at": now,
        "printed_by": person_name(request.user),
        "today": today,
        "phone": mask_phone(customer.phone) if customer.phone else "",
        "events": events,
        "bill_rows": bill_rows,
        "arrears": arrears,
        "sections": _numbered(sections),
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
