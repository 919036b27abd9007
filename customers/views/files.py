"""Finding customers and reading their credit file: list and search, the file, its history.

Every customer is looked up through `Customer.objects.for_user`, so a customer of another
company is simply not found (404), never refused (403), and never listed.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import DateTimeField, DecimalField, FileField, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django_tables2 import RequestConfig

from .. import audit, audited, cards, exports, levels, services
from ..filters import CustomerFilter
from ..levels import LEVEL_LABELS
from ..models import AuditEntry, Bill, Company, Customer, Event
from ..money import format_yuan
from ..paging import BoundedLazyPaginator
from ..roles import READ, is_supervisor, role_required
from ..tables import CustomerTable, export_columns, export_rows, with_list_columns
from ..validation import ACCOUNT_NO_RE

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


@role_required(READ)
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search (`q`) and filter the user's customers; 50 a page, by account number or a chosen column.

    A `q` equal to one of the user's account numbers opens that credit file directly (another
    company's account is not found, so it is searched like any text: nothing leaks). Bounded
    queries whatever the table size: the latest run, the page (plus one row to know whether a
    next page exists), with each row's current level and arrears read by index for those rows
    only, and a count that stops at LIST_COUNT_CAP + 1. `?export=xlsx|csv` downloads every
    matching row, streamed (customers/exports.py).
    """
    fmt = exports.requested(request)
    q = (request.GET.get("q") or "").strip()
    if q and fmt is None and ACCOUNT_NO_RE.fullmatch(q):
        exact = scoped_customers(request).filter(account_no__in={q, q.upper()}).values_list("account_no", flat=True)
        account_no = next(iter(exact[:1]), None)
        if account_no is not None:
            return redirect("customers:detail", account_no=account_no)
    run = levels.provider().latest_run()  # the ratings app's latest succeeded run (customers.levels)
    base = with_list_columns(scoped_customers(request).select_related("company").order_by("account_no"), run)
    customer_filter = CustomerFilter(request.GET or None, queryset=base, request=request, run=run)
    queryset = customer_filter.qs if customer_filter.is_bound else base
    table = CustomerTable(queryset)
    if fmt is not None:
        if customer_filter.is_bound and not customer_filter.is_valid():
            queryset = queryset.none()
        # The page's order (a chosen column) applies to the file too.
        RequestConfig(request, paginate=False).configure(table)
        ordered = table.data.data  # the queryset as django-tables2 ordered it
        return exports.export_response(fmt, _("信用档案"), export_columns(), export_rows(ordered, exports.CHUNK_SIZE))
    RequestConfig(request, paginate={"per_page": LIST_PAGE_SIZE, "paginator_class": BoundedLazyPaginator}).configure(
        table
    )
    matches = queryset.order_by()[: LIST_COUNT_CAP + 1].count()
    return render(
        request,
        "customers/list.html",
        {
            "filter": customer_filter,
            "table": table,
            "run": run,
            "matches": min(matches, LIST_COUNT_CAP),
            "more_than_cap": matches > LIST_COUNT_CAP,
            "export_links": exports.export_links(request),
        },
    )


@role_required(READ)
def customer_detail(request: HttpRequest, account_no: str) -> HttpResponse:
    """The credit file: master data, bills with arrears as of today, and every recorded event, with the
    cards the apps above register (`customers.cards`).

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
            # the cards of the apps above (rating, pledges, notices, checks; repairs in the main column)
            **cards.file_cards(request, customer),
        },
    )


# customers' own audited models; the apps above register theirs (`customers.audited`, in their ready()).
OWN_AUDITED_MODELS = {"customer": Customer, "bill": Bill, "event": Event}


def audited_models() -> dict[str, type[Model]]:
    """The models the change history names, customers' own first, then the registered ones in order."""
    return {**OWN_AUDITED_MODELS, **audited.models()}


# Foreign keys to users (all of them are read as the user's name, like any foreign key).
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
# Not shown in the history: the customer itself (the page is about it), bookkeeping stamps, a
# pledge's copy of the template text (shown on the pledge's own page) and its scan's checksum.
HIDDEN_HISTORY_FIELDS = {
    "customer",
    "created_at",
    "updated_at",
    "title",
    "intro",
    "preamble",
    "clauses",
    "content",
    "scan_sha256",
}
# Keys holding a credit level code (green/blue/yellow/red), with or without `choices` on the field.
LEVEL_KEYS = {"level", "level_before", "level_after", "level_unrepaired", "from_level", "to_level"}
MIME_LABELS = {"application/pdf": _l("PDF 文件"), "image/jpeg": _l("JPEG 图片"), "image/png": _l("PNG 图片")}
# Records named by their primary key in AuditEntry.object_id (no number of their own in object_key).
_KEYED_BY_NUMBER = {"customer", "bill", "event"}


@functools.cache
def _models_by_audit_name() -> dict[str, type[Model]]:
    """Every model of the project by the name the audit log gives it (`audit_model_name` / model_name)."""
    found = {audit.model_name(m): m for m in apps.get_models()}
    return {**found, **audited_models()}


def audited_model(model_name: str) -> type[Model] | None:
    return _models_by_audit_name().get(model_name)


def _field(model_name: str, field_name: str):
    model = audited_model(model_name)
    if model is None:
        return None
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:  # a field that no longer exists: show the stored name
        return None
    return field if hasattr(field, "verbose_name") else None  # not a reverse relation


def _extra_label(model_name: str, field_name: str) -> str:
    """A key a model logs besides its fields (`audit_labels`), else the stored name."""
    labels = getattr(audited_model(model_name), "audit_labels", {})
    return str(labels.get(field_name, field_name))


def model_label(model_name: str) -> str:
    """供水客户, 账单, 信用事件, 信用承诺书 …: the verbose name of the model the log calls `model_name`."""
    model = audited_model(model_name)
    return str(model._meta.verbose_name) if model else model_name


_model_label = model_label


def _keyed_by_pk(model_name: str) -> bool:
    model = audited_model(model_name)
    return model is not None and model_name not in _KEYED_BY_NUMBER and not hasattr(model, "audit_key")


def _as_pk(value: object) -> object:
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    return value


def _local(value: str) -> str | None:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")


def _level_label(value: object) -> str:
    return str(LEVEL_LABELS.get(value, value))


def _record_label(obj: Model) -> str:
    """A record as users know it: by its number, name or date, never by its database id."""
    User = get_user_model()
    if isinstance(obj, User):
        return audit.person_name(obj)
    if isinstance(obj, Company):
        return obj.name
    if isinstance(obj, Customer):
        return f"{obj.account_no} {obj.name}"
    if isinstance(obj, Event):
        return f"{obj.ref}（{obj.get_type_display()}）"
    registered = audited.label_for(obj)  # a pledge, a rating result, an override, a restriction release …
    if registered is not None:
        return registered
    if getattr(obj, "as_of", None) is not None and obj._meta.model_name == "ratingrun":
        return str(_("评定基准日 %(day)s") % {"day": obj.as_of.isoformat()})
    if getattr(obj, "number", None):
        return str(obj.number)
    if obj._meta.model_name == "pledgetemplate":
        return str(_("%(kind)s 第 %(version)s 版") % {"kind": obj.get_kind_display(), "version": obj.version})
    if getattr(obj, "original_name", None):
        return str(obj.original_name)
    return str(obj)


class HistoryFormatter:
    """Turns audit entries into what a clerk reads: field labels, choice labels, records by their
    numbers, people by their names, local times.

    One query per kind of record the entries refer to (users, companies, events, pledges …), whatever
    the number of entries.
    """

    def __init__(self, entries: list[AuditEntry]) -> None:
        wanted: dict[type[Model], set] = defaultdict(set)
        User = get_user_model()
        for entry in entries:
            if entry.user_id:
                wanted[User].add(entry.user_id)
            if _keyed_by_pk(entry.model):
                wanted[audited_model(entry.model)].add(_as_pk(entry.object_id))
            for data in (entry.before or {}, entry.after or {}):
                for name, value in data.items():
                    field = _field(entry.model, name)
                    if value and field is not None and field.many_to_one and name not in HIDDEN_HISTORY_FIELDS:
                        wanted[field.related_model].add(value)
        self.records: dict[type[Model], dict] = {}
        for model, pks in wanted.items():
            pks = {pk for pk in pks if isinstance(pk, int)}
            queryset = model._default_manager.filter(pk__in=pks).select_related(*audited.select_related_for(model))
            self.records[model] = {obj.pk: _record_label(obj) for obj in queryset} if pks else {}

    def _record(self, model: type[Model], pk: object) -> str | None:
        return self.records.get(model, {}).get(_as_pk(pk))

    def actor(self, entry: AuditEntry) -> str:
        person = self._record(get_user_model(), entry.user_id) if entry.user_id else None
        return audit.actor_label(entry.actor, person)

    def object(self, entry: AuditEntry) -> str:
        """The record the entry is about, by its number: 信用承诺书 4213002026120300001."""
        key = entry.object_id
        if _keyed_by_pk(entry.model):
            key = self._record(audited_model(entry.model), key) or key
        return f"{model_label(entry.model)} {key}"

    def __call__(self, model_name: str, field_name: str, value: object) -> str:
        if value is None or value == "" or value == []:
            return "—"
        field = _field(model_name, field_name)
        if isinstance(value, bool):
            return str(_("是") if value else _("否"))
        if isinstance(value, list):
            return "、".join(self(model_name, field_name, item) for item in value)
        if isinstance(value, dict):
            return ";".join(f"{k}:{self(model_name, k, v)}" for k, v in value.items())
        if field is not None and field.many_to_one:
            return self._record(field.related_model, value) or str(value)
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if field_name in LEVEL_KEYS:
            return _level_label(value)
        if isinstance(field, DecimalField) or field_name.endswith("amount"):
            return format_yuan(value)  # 12,000.50, as the credit file shows amounts
        if isinstance(field, FileField):
            return str(_("已上传文件"))
        if field_name.endswith("content_type") or value in MIME_LABELS:
            return str(MIME_LABELS.get(value, _("文件")))
        if field_name.endswith("sha256") and isinstance(value, str):
            return f"{value[:12]}…"
        if field_name.endswith("_size") and isinstance(value, int):
            return filesizeformat(value)
        if isinstance(field, DateTimeField) or (field is None and field_name.endswith("_at")):
            local = _local(value)
            if local is not None:
                return local
        return str(value)

    def label(self, model_name: str, field_name: str) -> str:
        field = _field(model_name, field_name)
        return str(field.verbose_name) if field is not None else _extra_label(model_name, field_name)

    def changes(self, entry: AuditEntry, hidden: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str, str]]:
        """(field label, before, after) in words for each field the entry changed."""
        return [
            (self.label(entry.model, name), self(entry.model, name, before), self(entry.model, name, after))
            for name, before, after in entry.changes()
            if name not in hidden and (entry.action != AuditEntry.CREATE or after not in (None, "", False, []))
        ]


_ValueFormatter = HistoryFormatter


@role_required(READ)
def customer_history(request: HttpRequest, account_no: str) -> HttpResponse:
    """Who changed what in this credit file: the customer's audit entries, newest first.

    A fixed number of queries: the page of entries, its count, and one per kind of record they name.
    """
    customer = get_customer(request, account_no)
    entries = AuditEntry.objects.filter(customer=customer).order_by("-at", "-id")
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    fmt = HistoryFormatter(list(page))
    rows = [
        {
            "entry": entry,
            "actor": fmt.actor(entry),
            "object_label": fmt.object(entry),
            "changes": fmt.changes(entry, HIDDEN_HISTORY_FIELDS),
        }
        for entry in page
    ]
    # Records created by an import carry the import as their trail (no audit entry each): listed apart.
    from ..import_jobs import created_by_imports

    created = created_by_imports(customer) if page.number == 1 else []
    context = {"customer": customer, "page": page, "rows": rows, "created_by_imports": created}
    return render(request, "customers/history.html", context)
