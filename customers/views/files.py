"""Finding customers and reading their credit file: list and search, the file, its history.

Every customer is looked up through `Customer.objects.for_user`, so a customer of another
company is simply not found (404), never refused (403), and never listed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import DateTimeField, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from pledges.models import Pledge
from pledges.views.pages import pledge_card_context
from ratings.models import LevelOverride, RatingResult
from ratings.views.customer import rating_card_context
from repair.models import RepairRequest, RestrictionRelease
from reporting.models import Notice
from reporting.notices import notice_card_context

from .. import services
from ..filters import CustomerFilter
from ..models import AuditEntry, Bill, Company, Customer, Event
from ..roles import is_supervisor
from ..tables import CustomerTable

LIST_PAGE_SIZE = 50
# The list never counts a million rows: it pages without COUNT(*) (LazyPaginator) and
# counts the matches only up to this cap ("超过 1000 户" beyond it).
LIST_COUNT_CAP = 1000
HISTORY_PAGE_SIZE = 25


def scoped_customers(request: HttpRequest) -> QuerySet[Customer]:
    """The customers the logged-in user may see; the only entry point views use."""
    return Customer.objects.for_user(request.user)


def get_customer(request: HttpRequest, account_no: str) -> Customer:
    """The customer with that account number among the user's own; 404 otherwise."""
    return get_object_or_404(scoped_customers(request).select_related("company"), account_no=account_no)


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search (`q`) and filter the user's customers; 50 a page, ordered by account number.

    Two bounded queries whatever the table size: the page (plus one row to know whether a
    next page exists) and a count that stops at LIST_COUNT_CAP + 1.
    """
    base = scoped_customers(request).select_related("company").order_by("account_no")
    customer_filter = CustomerFilter(request.GET or None, queryset=base, request=request)
    queryset = customer_filter.qs if customer_filter.is_bound else base
    table = CustomerTable(queryset)
    RequestConfig(request, paginate={"per_page": LIST_PAGE_SIZE, "paginator_class": LazyPaginator}).configure(table)
    matches = queryset.order_by()[: LIST_COUNT_CAP + 1].count()
    return render(
        request,
        "customers/list.html",
        {
            "filter": customer_filter,
            "table": table,
            "matches": min(matches, LIST_COUNT_CAP),
            "more_than_cap": matches > LIST_COUNT_CAP,
        },
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
    repair_requests = list(
        RepairRequest.objects.filter(customer=customer).select_related("release").order_by("-submitted_at", "-id")
    )
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
            "repair_requests": repair_requests,
            "restriction_releases": [r.release for r in repair_requests if hasattr(r, "release")],
            **rating_card_context(request, customer, today),
            **pledge_card_context(customer),
            **notice_card_context(customer),
        },
    )


AUDITED_MODELS = {
    "customer": Customer,
    "bill": Bill,
    "event": Event,
    "override": LevelOverride,
    "ratingresult": RatingResult,  # a single customer re-rated after a repair (ratings.services.rerate_customer)
    "repair": RepairRequest,
    "restrictionrelease": RestrictionRelease,
    "pledge": Pledge,
    "notice": Notice,
}
USER_FIELDS = {
    "created_by",
    "voided_by",
    "revoked_by",
    "accepted_by",
    "decided_by",
    "extended_by",
    "released_by",
    "received_by",
    "fulfilled_by",
    "given_by",
}
# Not shown in the history: the customer itself (the page is about it), bookkeeping stamps, and a
# pledge's copy of the template text (shown on the pledge's own page).
HIDDEN_HISTORY_FIELDS = {"customer", "created_at", "updated_at", "title", "intro", "preamble", "clauses", "content"}


def _field(model_name: str, field_name: str):
    model = AUDITED_MODELS.get(model_name)
    if model is None:
        return None
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:  # a field that no longer exists: show the stored name
        return None
    return field if hasattr(field, "verbose_name") else None  # not a reverse relation


def _extra_label(model_name: str, field_name: str) -> str:
    """A key a model logs besides its fields (`audit_labels`), else the stored name."""
    labels = getattr(AUDITED_MODELS.get(model_name), "audit_labels", {})
    return str(labels.get(field_name, field_name))


def _model_label(model_name: str) -> str:
    model = AUDITED_MODELS.get(model_name)
    return str(model._meta.verbose_name) if model else model_name


class _ValueFormatter:
    """Turns the JSON values of audit entries into what a clerk reads: labels, names, local times."""

    def __init__(self, entries: list[AuditEntry]) -> None:
        user_ids, company_ids = set(), set()
        for entry in entries:
            for data in (entry.before or {}, entry.after or {}):
                user_ids.update(v for k, v in data.items() if k in USER_FIELDS and v)
                if entry.model == "customer" and data.get("company"):
                    company_ids.add(data["company"])
        User = get_user_model()
        self.users = (
            dict(User.objects.filter(pk__in=user_ids).values_list("pk", User.USERNAME_FIELD)) if user_ids else {}
        )
        self.companies = (
            dict(Company.objects.filter(pk__in=company_ids).values_list("pk", "name")) if company_ids else {}
        )

    def __call__(self, model_name: str, field_name: str, value: object) -> str:
        if value is None or value == "":
            return "—"
        field = _field(model_name, field_name)
        if field_name in USER_FIELDS:
            return self.users.get(value, str(value))
        if model_name == "customer" and field_name == "company":
            return self.companies.get(value, str(value))
        if isinstance(value, bool):
            return str(_("是") if value else _("否"))
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, DateTimeField) and isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is not None:
                return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M:%S")
        return str(value)

    def label(self, model_name: str, field_name: str) -> str:
        field = _field(model_name, field_name)
        return str(field.verbose_name) if field is not None else _extra_label(model_name, field_name)


@login_required
def customer_history(request: HttpRequest, account_no: str) -> HttpResponse:
    """Who changed what in this credit file: the customer's audit entries, newest first."""
    customer = get_customer(request, account_no)
    entries = AuditEntry.objects.filter(customer=customer).order_by("-at", "-id")
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    fmt = _ValueFormatter(list(page))
    rows = [
        {
            "entry": entry,
            "object_label": _model_label(entry.model),
            "changes": [
                (fmt.label(entry.model, name), fmt(entry.model, name, before), fmt(entry.model, name, after))
                for name, before, after in entry.changes()
                if name not in HIDDEN_HISTORY_FIELDS
                and (entry.action != AuditEntry.CREATE or after not in (None, "", False))
            ],
        }
        for entry in page
    ]
    return render(request, "customers/history.html", {"customer": customer, "page": page, "rows": rows})
