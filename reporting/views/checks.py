"""信用核查 pages: the list per company (filters, 信用核查应用反馈 export), recording a check from the credit
file, a check's page and attachment, and turning a dishonesty it found into a credit event in one step.

Every lookup goes through the user's companies (`reporting.checks.visible_checks`,
`Customer.objects.for_user`): another company's check or customer is not found (404). Access through
`customers.roles.role_required`: reading is READ (the 客户服务中心 too), recording is CLERK_WORK.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from customers import exports
from customers.forms import EventForm
from customers.models import EVENT_ALLOWED_FIELDS, EVENT_REQUIRED_FIELDS, Customer
from customers.roles import CLERK_WORK, READ, role_required

from .. import checks as service
from ..forms_checks import CheckFilter, CheckForm
from ..models_checks import CreditCheck

PAGE_SIZE = 50


def customer_scope(request: HttpRequest, account_no: str, **_kwargs) -> Customer:
    return get_object_or_404(Customer.objects.for_user(request.user).select_related("company"), account_no=account_no)


def check_scope(request: HttpRequest, number: str, **_kwargs) -> CreditCheck:
    return get_check(request, number)


def get_check(request: HttpRequest, number: str) -> CreditCheck:
    if "\x00" in number:
        raise Http404(_("没有这条信用核查记录"))
    return get_object_or_404(
        service.visible_checks(request.user).select_related("customer__company", "matter", "event", "created_by"),
        number=number,
    )


@role_required(READ)
def check_list(request: HttpRequest) -> HttpResponse:
    """The checks of the user's companies, newest first; filters by company, date, matter, result, usage;
    `?export=xlsx|csv` downloads 信用核查应用反馈 with the same filters (one row a check)."""
    base = service.visible_checks(request.user).select_related("customer__company", "matter", "event", "created_by")
    check_filter = CheckFilter(request.GET or None, queryset=base.order_by("-checked_on", "-id"), request=request)
    valid = not check_filter.is_bound or check_filter.is_valid()
    queryset = check_filter.qs if check_filter.is_bound and valid else base.order_by("-checked_on", "-id")
    if not valid:
        queryset = queryset.none()
    fmt = exports.requested(request)
    if fmt is not None:
        return exports.export_response(
            fmt, _("信用核查应用反馈"), [str(c) for c in service.FEEDBACK_COLUMNS], service.feedback_rows(queryset)
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reporting/check_list.html",
        {
            "filter": check_filter,
            "page": page,
            "query": query.urlencode(),
            "export_links": exports.export_links(request),
        },
    )


@role_required(CLERK_WORK, scope=customer_scope)
def check_new(request: HttpRequest, account_no: str) -> HttpResponse:
    """GET: the form for a check of this customer. POST: record it (the attachment is checked first)."""
    customer = customer_scope(request, account_no)
    if request.method == "POST":
        form = CheckForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                check = service.record_check(customer, user=request.user, **form.check_fields())
            except ValidationError as exc:
                for name, msgs in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, msgs)
            else:
                messages.success(request, _("已登记信用核查 %(number)s。") % {"number": check.number})
                return redirect(check)
        status = 400
    else:
        form = CheckForm(initial={"checked_on": None})
        status = 200
    return render(request, "reporting/check_form.html", {"customer": customer, "form": form}, status=status)


@role_required(READ)
def check_detail(request: HttpRequest, number: str) -> HttpResponse:
    check = get_check(request, number)
    can_record = service.can_record(request.user)
    return render(
        request,
        "reporting/check_detail.html",
        {
            "check": check,
            "customer": check.customer,
            "can_make_event": can_record and check.found_dishonesty and check.event_id is None,
        },
    )


@role_required(READ)
def check_attachment(request: HttpRequest, number: str) -> FileResponse:
    """The stored report, only for users who see the customer; inline, under the name it was uploaded with."""
    check = get_check(request, number)
    if not check.attachment:
        raise Http404(_("该核查没有附件"))
    response = FileResponse(
        check.attachment.open("rb"),
        content_type=check.attachment_type,
        filename=check.attachment_name,
        as_attachment=False,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _type_fields() -> dict[str, dict[str, list[str]]]:
    return {
        "allowed": {str(k): list(v) for k, v in EVENT_ALLOWED_FIELDS.items()},
        "required": {str(k): list(v) for k, v in EVENT_REQUIRED_FIELDS.items()},
    }


@role_required(CLERK_WORK, scope=check_scope)
def check_event(request: HttpRequest, number: str) -> HttpResponse:
    """登记为失信事件: the credit file's event form, filled in from the check (type, date, note); saving records
    the event and links the check to it, in one transaction."""
    check = get_check(request, number)
    customer = check.customer
    if not check.found_dishonesty or check.event_id is not None:
        if check.event_id is not None:
            messages.info(request, _("该核查发现的失信记录已登记为事件 %(ref)s。") % {"ref": check.event.ref})
        else:
            messages.warning(request, _("该核查没有发现失信记录，无需登记事件。"))
        return redirect(check)
    if request.method == "POST":
        form = EventForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                check = service.record_event_from_check(check.pk, user=request.user, **form.event_fields())
            except service.TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(check)
            except ValidationError as exc:
                for name, msgs in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, msgs)
            else:
                messages.success(
                    request,
                    _("已将核查 %(number)s 发现的失信记录登记为事件 %(ref)s。")
                    % {"number": check.number, "ref": check.event.ref},
                )
                return redirect(customer)
        status = 400
    else:
        form = EventForm(customer=customer, initial=service.event_initial(check))
        status = 200
    return render(
        request,
        "reporting/check_event_form.html",
        {"customer": customer, "form": form, "type_fields": _type_fields(), "check": check},
        status=status,
    )
