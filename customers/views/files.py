"""Finding customers and reading their credit file: list and search, the file, its history.

Every customer is looked up through `Customer.objects.for_user`, so a customer of another
company is simply not found (404), never refused (403), and never listed.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django_tables2 import RequestConfig

from .. import services
from ..filters import CustomerFilter
from ..models import AuditEntry, Bill, Customer, Event
from ..roles import is_supervisor
from ..tables import CustomerTable

LIST_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 25


def scoped_customers(request: HttpRequest) -> QuerySet[Customer]:
    """The customers the logged-in user may see; the only entry point views use."""
    return Customer.objects.for_user(request.user)


def get_customer(request: HttpRequest, account_no: str) -> Customer:
    """The customer with that account number among the user's own; 404 otherwise."""
    return get_object_or_404(scoped_customers(request).select_related("company"), account_no=account_no)


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search (`q`) and filter the user's customers; 50 a page, ordered by account number."""
    base = scoped_customers(request).select_related("company").order_by("account_no")
    customer_filter = CustomerFilter(request.GET or None, queryset=base, request=request)
    queryset = customer_filter.qs if customer_filter.is_bound else base
    table = CustomerTable(queryset)
    RequestConfig(request, paginate={"per_page": LIST_PAGE_SIZE}).configure(table)
    return render(
        request,
        "customers/list.html",
        {"filter": customer_filter, "table": table, "searching": bool(request.GET.get("q", "").strip())},
    )


@login_required
def customer_detail(request: HttpRequest, account_no: str) -> HttpResponse:
    """The credit file: master data, bills with arrears as of today, and every recorded event.

    A fixed number of queries whatever the number of bills and events.
    """
    customer = get_customer(request, account_no)
    today = timezone.localdate()
    bills = list(Bill.objects.filter(customer=customer).order_by("-period"))
    events = list(
        Event.objects.filter(customer=customer)
        .select_related("created_by", "voided_by")
        .order_by("-occurred_on", "-id")
    )
    arrears = services.arrears_as_of(bills, today)
    overdue_ids = {b.pk for b in arrears.bills}
    bill_rows = [{"bill": b, "overdue": b.pk in overdue_ids, "paid_late": b.paid_late()} for b in bills]
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "today": today,
            "bill_rows": bill_rows,
            "arrears": arrears,
            "events": events,
            "can_void": is_supervisor(request.user),
        },
    )


def _field_label(model_name: str, field_name: str) -> str:
    """The verbose name of an audited field, or the raw name when unknown."""
    model = {"customer": Customer, "bill": Bill, "event": Event}.get(model_name)
    if model is None:
        return field_name
    try:
        return str(model._meta.get_field(field_name).verbose_name)
    except Exception:  # a field that no longer exists: show the stored name
        return field_name


def _model_label(model_name: str) -> str:
    model = {"customer": Customer, "bill": Bill, "event": Event}.get(model_name)
    return str(model._meta.verbose_name) if model else model_name


@login_required
def customer_history(request: HttpRequest, account_no: str) -> HttpResponse:
    """Who changed what in this credit file: the customer's audit entries, newest first."""
    customer = get_customer(request, account_no)
    entries = AuditEntry.objects.filter(customer=customer).order_by("-at", "-id")
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "entry": entry,
            "object_label": _model_label(entry.model),
            "changes": [
                (_field_label(entry.model, name), before, after)
                for name, before, after in entry.changes()
                if entry.action != AuditEntry.CREATE or after not in (None, "", False)
            ],
        }
        for entry in page
    ]
    return render(request, "customers/history.html", {"customer": customer, "page": page, "rows": rows})
