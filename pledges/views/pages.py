"""The pledge list, one pledge's page, its PDF, its scan, preparing and printing."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from customers.models import AuditEntry, Event
from customers.paging import BoundedLazyPaginator
from customers.roles import CLERK_WORK, READ, is_clerk, is_supervisor, role_required
from customers.services import TransitionError
from customers.views.scope import customer_scope

from .. import pdf, services
from ..filters import PledgeFilter
from ..models import PledgeKind, PledgeState
from ..tables import STATE_BADGES, PledgeTable
from ..uploads import stored_file_response
from .scope import get_pledge, pledge_scope, scoped_customers, scoped_pledges

PAGE_SIZE = 50


@role_required(READ)
def pledge_list(request: HttpRequest) -> HttpResponse:
    base = scoped_pledges(request).select_related("customer", "company").order_by("-created_at", "-id")
    pledge_filter = PledgeFilter(request.GET or None, queryset=base, request=request)
    queryset = pledge_filter.qs if pledge_filter.is_bound else base
    # 打印所选's boxes only for those who may print (clerk's work)
    table = PledgeTable(queryset, exclude=() if is_clerk(request.user) else ("pick",))
    RequestConfig(request, paginate={"per_page": PAGE_SIZE, "paginator_class": BoundedLazyPaginator}).configure(table)
    return render(request, "pledges/list.html", {"filter": pledge_filter, "table": table})


def actions_for(pledge, user) -> dict[str, bool]:
    """Which actions the page offers for the pledge's state and the user's role."""
    state = pledge.state
    supervisor = is_supervisor(user)
    clerk = is_clerk(user)
    return {
        # A paper pledge (纸质补录) was never printed from here: its document is the scan.
        # printing a prepared pledge marks it printed (clerk's work); reprinting a printed one only reads its PDF
        "print": state != PledgeState.REVOKED and not pledge.is_paper and (clerk or state != PledgeState.PREPARED),
        "sign": clerk and state == PledgeState.PRINTED,
        "fulfil": supervisor and state == PledgeState.SIGNED,
        "revoke": supervisor and state != PledgeState.REVOKED,
    }


@role_required(READ)
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = get_pledge(request, pk)
    labels = dict(PledgeState.choices)
    history = [
        {"entry": entry, "state": labels.get((entry.after or {}).get("state"), "")}
        for entry in AuditEntry.objects.filter(
            model="pledge", object_id=str(pledge.pk), customer_id=pledge.customer_id
        ).order_by("-at", "-id")
    ]
    breach_event = (
        Event.objects.filter(pk=pledge.breach_event_id).first() if pledge.breach_event_id is not None else None
    )
    return render(
        request,
        "pledges/detail.html",
        {
            "pledge": pledge,
            "customer": pledge.customer,
            "history": history,
            "breach_event": breach_event,
            "actions": actions_for(pledge, request.user),
            "badge": STATE_BADGES.get(pledge.state, ""),
            "consequences_index": next((i for i, c in enumerate(pledge.clauses, 1) if c == pledge.consequences), None),
        },
    )


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(READ)
def pledge_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The pledge as a PDF, inline (viewing or reprinting changes nothing)."""
    pledge = get_pledge(request, pk)
    if pledge.state == PledgeState.REVOKED:
        messages.error(request, _("已撤销的承诺书不能打印"))
        return redirect(pledge)
    data = pdf.render_pdf("pdf/pledge.html", {"pledges": [pledge]})
    return _pdf_response(data, f"pledge-{pledge.display_number}.pdf")


@role_required(CLERK_WORK, scope=pledge_scope)
@require_POST
def pledge_print(request: HttpRequest, pk: int) -> HttpResponse:
    """Print: a prepared pledge becomes printed, then its PDF opens."""
    pledge = get_pledge(request, pk)
    try:
        services.mark_printed([pledge], user=request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(pledge)
    return redirect("pledges:pdf", pk=pledge.pk)


@role_required(CLERK_WORK, scope=customer_scope)
@require_POST
def pledge_prepare(request: HttpRequest, account_no: str) -> HttpResponse:
    customer = get_object_or_404(scoped_customers(request), account_no=account_no)
    # Only 主动型 pledges are made here: a 信用修复型 one belongs to a repair request (repair app).
    kind = request.POST.get("kind") or PledgeKind.VOLUNTARY
    if kind != PledgeKind.VOLUNTARY:
        if kind == PledgeKind.REPAIR:
            messages.error(request, _("信用修复型承诺书在信用修复申请中生成"))
        else:
            messages.error(request, _("未知的承诺类型 %(kind)s") % {"kind": kind[:20]})
        return redirect(customer)
    try:
        pledge = services.prepare_pledge(customer, kind=kind, user=request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(customer)
    messages.success(request, _("已生成承诺书，请打印后交客户签署"))
    return redirect(pledge)


@role_required(READ)
def pledge_scan(request: HttpRequest, pk: int) -> FileResponse:
    """The signed copy, served only to users who may see the pledge."""
    pledge = get_pledge(request, pk)
    if not pledge.scan:
        raise Http404(_("没有扫描件"))
    try:
        handle = pledge.scan.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("扫描件文件不存在")) from exc
    return stored_file_response(
        handle, content_type=pledge.scan_content_type, name=f"pledge-{pledge.display_number}-scan"
    )


def customer_pledges(customer) -> list:
    """The customer's pledges for the credit file card (one query)."""
    return list(customer.pledges.select_related(None).order_by("-created_at", "-id")) if customer.pk else []


def pledge_card_context(customer) -> dict:
    pledges = customer_pledges(customer)
    has_active = any(p.kind == PledgeKind.VOLUNTARY and p.state != PledgeState.REVOKED for p in pledges)
    return {
        "pledges": [{"pledge": p, "badge": STATE_BADGES.get(p.state, "")} for p in pledges],
        "can_prepare_pledge": not has_active and bool(customer.uscc),
    }
