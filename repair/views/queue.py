"""The supervisors' queue: open requests, soonest deadline first, overdue ones marked; counts per company and kind."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, Count, F, Q, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import exports
from customers.models import Company, company_ids_for
from customers.roles import READ, SUPERVISOR_WORK, is_supervisor, role_required
from customers.services import TransitionError

from .. import services
from ..filters import ALL, DECIDED, OPEN, OVERDUE, RequestFilter
from ..models import RepairRequest
from ..workdays import year_is_known
from .common import company_requests, scoped_requests

PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # keeps the OFFSET within PostgreSQL's bigint
# Open requests: soonest deadline first. Decided ones: latest decision first; all: latest lodged first
# (each on an index, for the years of decided requests).
ORDERING = {
    OPEN: (F("deadline_on").asc(nulls_last=True), "submitted_at", "id"),
    OVERDUE: (F("deadline_on").asc(nulls_last=True), "submitted_at", "id"),
    DECIDED: ("-decided_at", "-id"),
    ALL: ("-submitted_at", "-id"),
}
Status = RepairRequest.Status


class LazyPage:
    """One page of PAGE_SIZE rows and whether another follows, without COUNT(*): years of decided
    requests are not counted on every visit (the counts at the top are the open ones)."""

    def __init__(self, queryset, number) -> None:
        try:
            self.number = min(max(1, int(number or 1)), MAX_PAGE)  # a typed-in huge page is the last possible one
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * PAGE_SIZE
        found = list(queryset[start : start + PAGE_SIZE + 1])
        self.items = found[:PAGE_SIZE]
        self.has_next = len(found) > PAGE_SIZE
        self.has_previous = self.number > 1
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1


def with_deadline(queryset):
    """`deadline_on`: the date the current step is due (accept_by while submitted, decide_by once accepted)."""
    return queryset.annotate(
        deadline_on=Case(
            When(status=Status.SUBMITTED, then=F("accept_by")),
            When(status=Status.ACCEPTED, then=F("decide_by")),
            default=None,
        )
    )


def open_counts(user, today) -> list[dict]:
    """Per company and kind: open, of which overdue and accepted (one grouped query); the dashboard's numbers."""
    rows = (
        company_requests(user)
        .filter(status__in=RepairRequest.OPEN_STATUSES)
        .values("customer__company", "kind")
        .annotate(
            open=Count("id"),
            submitted=Count("id", filter=Q(status=Status.SUBMITTED)),
            overdue=Count(
                "id",
                filter=Q(status=Status.SUBMITTED, accept_by__lt=today) | Q(status=Status.ACCEPTED, decide_by__lt=today),
            ),
        )
    )
    found = {(r["customer__company"], r["kind"]): r for r in rows}
    companies = Company.objects.filter(pk__in=company_ids_for(user)).order_by("id")
    out = []
    for company in companies:
        for kind, label in RepairRequest.Kind.choices:
            r = found.get((company.pk, kind), {})
            out.append(
                {
                    "company": company,
                    "kind": kind,
                    "kind_label": label,
                    "open": r.get("open", 0),
                    "submitted": r.get("submitted", 0),
                    "overdue": r.get("overdue", 0),
                }
            )
    return out


QUEUE_EXPORT_COLUMNS = [
    "期限",
    "期限类型",
    "是否超期",
    "申请编号",
    "类型",
    "客户",
    "户号",
    "公司",
    "状态",
    "提交人",
    "提交时间",
]


def _queue_rows(queryset, today):
    """The queue's rows as the page shows them (choices by label, people by name, Shanghai times), streamed."""
    for r in queryset.iterator(chunk_size=exports.CHUNK_SIZE):
        if r.deadline_on is not None:
            deadline = r.deadline_on
            kind = _("受理期限") if r.status == Status.SUBMITTED else _("办结期限")
        else:
            deadline = timezone.localtime(r.decided_at).date() if r.decided_at else None
            kind = _("办结日期")
        yield [
            deadline,
            kind,
            _("超期") if r.deadline_on is not None and r.deadline_on < today else "",
            r.number,
            r.get_kind_display(),
            r.customer.name,
            r.customer.account_no,
            r.customer.company.name,
            r.get_status_display(),
            exports.person(r.submitted_by),
            r.submitted_at,
        ]


@role_required(READ)
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    base = with_deadline(scoped_requests(request.user)).select_related("customer__company", "submitted_by")
    request_filter = RequestFilter(request.GET or None, queryset=base, request=request)
    queryset = request_filter.qs.order_by(*ORDERING.get(request_filter.form.cleaned_data.get("state"), ORDERING[OPEN]))
    fmt = exports.requested(request)
    if fmt is not None:
        return exports.export_response(fmt, _("修复申请队列"), QUEUE_EXPORT_COLUMNS, _queue_rows(queryset, today))
    page = LazyPage(queryset, request.GET.get("page"))
    rows = [{"req": r, "overdue": r.deadline_on is not None and r.deadline_on < today} for r in page.items]
    deadline_years = {r.deadline_on.year for r in page.items if r.deadline_on}
    unknown_years = sorted(y for y in deadline_years if not year_is_known(y))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "repair/queue.html",
        {
            "filter": request_filter,
            "page": page,
            "rows": rows,
            "counts": open_counts(request.user, today),
            "today": today,
            "unknown_years": unknown_years,
            "query": query.urlencode(),
            "export_links": exports.export_links(request),
            # 受理所选: a supervisor, and a page with a submitted request on it
            "can_accept": is_supervisor(request.user)
            and any(r.status == RepairRequest.Status.SUBMITTED for r in page.items),
        },
    )


MAX_BULK_ACCEPT = 100


@role_required(SUPERVISOR_WORK)
def queue_accept(request: HttpRequest) -> HttpResponse:
    """受理所选: each ticked request accepted by `services.accept`, one transition each (its own
    transaction), so one that cannot be accepted (already handled by someone else, lodged or edited by
    this supervisor: 双人审核) is named with its reason and the others are accepted."""
    back = request.POST.get("next", "")
    back = back if back.startswith("?") else ""
    if request.method != "POST":
        return redirect("repair:queue")
    numbers = list(dict.fromkeys(n.strip() for n in request.POST.getlist("number") if n.strip() and "\x00" not in n))
    if not numbers:
        messages.error(request, _("请先勾选要受理的申请"))
        return redirect(reverse("repair:queue") + back)
    if len(numbers) > MAX_BULK_ACCEPT:
        messages.error(request, _("一次最多受理 %(max)d 件") % {"max": MAX_BULK_ACCEPT})
        return redirect(reverse("repair:queue") + back)
    found = dict(scoped_requests(request.user).filter(number__in=numbers).values_list("number", "pk"))
    accepted, refused = [], []
    for number in numbers:
        if number not in found:
            refused.append(_("%(number)s：申请不存在") % {"number": number})
            continue
        try:
            services.accept(found[number], user=request.user)
        except TransitionError as exc:
            refused.append(str(exc))
        else:
            accepted.append(number)
    if accepted:
        messages.success(
            request, _("已受理 %(n)d 件：%(numbers)s。") % {"n": len(accepted), "numbers": "、".join(accepted)}
        )
    if refused:
        messages.error(request, _("未受理 %(n)d 件：%(why)s") % {"n": len(refused), "why": "；".join(refused)})
    return redirect(reverse("repair:queue") + back)
