"""信用案例 pages: the list (filters, export, the month's PDF), writing and editing a draft, a case's page
with 审核 and 上报, and the PDF of one case.

Lookups go through the user's companies (`reporting.cases.visible_cases`): another company's case is 404.
Access through `customers.roles.role_required`: READ to read (the 客户服务中心 too), CLERK_WORK to write,
SUPERVISOR_WORK to review and report; the services check again (and refuse the author's own review).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import exports
from customers.models import Company, company_ids_for
from customers.roles import CLERK_WORK, READ, SUPERVISOR_WORK, is_supervisor, role_required

from .. import cases as service
from ..forms_cases import CaseFilter, CaseForm, ReportForm, month_end, parse_month
from ..models_cases import CaseStatus, CreditCase

PAGE_SIZE = 50
ACTIONS = ("review", "report")


def get_case(request: HttpRequest, number: str) -> CreditCase:
    return get_object_or_404(service.with_links(service.visible_cases(request.user)), number=number)


def case_scope(request: HttpRequest, number: str, **_kwargs) -> CreditCase:
    return get_case(request, number)


@role_required(READ)
def case_list(request: HttpRequest) -> HttpResponse:
    base = service.visible_cases(request.user).select_related("company", "created_by").order_by("-occurred_on", "-id")
    case_filter = CaseFilter(request.GET or None, queryset=base, request=request)
    valid = not case_filter.is_bound or case_filter.is_valid()
    queryset = case_filter.qs if case_filter.is_bound and valid else base
    if not valid:
        queryset = queryset.none()
    fmt = exports.requested(request)
    if fmt is not None:
        return exports.export_response(
            fmt, _("信用案例"), [str(c) for c in service.EXPORT_COLUMNS], service.export_rows(queryset)
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    month = request.GET.get("month", "") if valid else ""
    return render(
        request,
        "reporting/case_list.html",
        {
            "filter": case_filter,
            "page": page,
            "query": query.urlencode(),
            "export_links": exports.export_links(request),
            "month": month if parse_month(month) else "",
            "company_id": request.GET.get("company", "") if valid else "",
            "can_write": service.can_write(request.user),
        },
    )


def _form_response(request, form, case=None, status=200):
    return render(request, "reporting/case_form.html", {"form": form, "case": case}, status=status)


def _apply_errors(form, exc: ValidationError) -> None:
    for name, msgs in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, msgs)


@role_required(CLERK_WORK)
def case_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CaseForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                case = service.create_case(form.cleaned_data["company"], user=request.user, **form.case_fields())
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已保存信用案例 %(number)s（草稿）。") % {"number": case.number})
                return redirect(case)
        return _form_response(request, form, status=400)
    return _form_response(request, CaseForm(user=request.user))


def _initial(case: CreditCase) -> dict:
    records = [e.ref for e in case.events.all()] + [c.number for c in case.checks.all()]
    records += [r.number for r in case.repairs.all()]
    return {
        "company": case.company,
        "kind": case.kind,
        "title": case.title,
        "occurred_on": case.occurred_on,
        "accounts": " ".join(c.account_no for c in case.customers.all()),
        "records": " ".join(records),
        "actions": case.actions,
        "effect": case.effect,
    }


@role_required(CLERK_WORK, scope=case_scope)
def case_edit(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case(request, number)
    if case.status != CaseStatus.DRAFT:
        messages.warning(request, _("案例已%(status)s，不能再修改。") % {"status": case.get_status_display()})
        return redirect(case)
    if request.method == "POST":
        form = CaseForm(request.POST, user=request.user)
        form.fields["company"].required = False  # a case stays with its company
        if form.is_valid():
            try:
                case = service.edit_case(case.pk, user=request.user, **form.case_fields())
            except service.TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(case)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已修改信用案例 %(number)s。") % {"number": case.number})
                return redirect(case)
        return _form_response(request, form, case, status=400)
    form = CaseForm(initial=_initial(case), user=request.user)
    return _form_response(request, form, case)


@role_required(READ)
def case_detail(request: HttpRequest, number: str, report_form: ReportForm | None = None) -> HttpResponse:
    case = get_case(request, number)
    supervisor = is_supervisor(request.user)
    return render(
        request,
        "reporting/case_detail.html",
        {
            "case": case,
            "can_edit": case.status == CaseStatus.DRAFT and service.can_write(request.user),
            "can_review": case.status == CaseStatus.DRAFT and supervisor,
            "own_case": case.created_by_id == request.user.pk,
            "can_report": case.status == CaseStatus.REVIEWED and supervisor,
            "report_form": report_form or ReportForm(),
        },
        status=400 if report_form is not None else 200,
    )


@role_required(SUPERVISOR_WORK, scope=case_scope)
@require_POST
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404(_("没有这个操作"))
    case = get_case(request, number)
    try:
        if action == "review":
            case = service.review_case(case.pk, user=request.user)
            messages.success(request, _("案例 %(number)s 已审核。") % {"number": case.number})
        else:
            form = ReportForm(request.POST)
            if not form.is_valid():
                return case_detail.__wrapped__(request, number, report_form=form)
            try:
                case = service.report_case(case.pk, reported_on=form.cleaned_data["reported_on"], user=request.user)
            except ValidationError as exc:
                _apply_errors(form, exc)
                return case_detail.__wrapped__(request, number, report_form=form)
            messages.success(request, _("案例 %(number)s 已上报。") % {"number": case.number})
    except service.TransitionError as exc:
        messages.error(request, str(exc))
    return redirect(case)


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@role_required(READ)
def case_pdf(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case(request, number)
    return _pdf(service.render_cases_pdf([case], title=case.title), f"{case.number}.pdf")


@role_required(READ)
def month_pdf(request: HttpRequest) -> HttpResponse:
    """The month's cases (`?month=YYYY-MM`, optionally `&company=<id>`) in one PDF, oldest first."""
    first = parse_month(request.GET.get("month", ""))
    if first is None:
        messages.error(request, _("请选择月份（YYYY-MM）后再打印当月案例。"))
        return redirect("reporting:work_cases")
    cases = service.visible_cases(request.user).filter(occurred_on__gte=first, occurred_on__lte=month_end(first))
    company_name = _("集团")
    company_id = request.GET.get("company", "")
    if company_id:
        if not company_id.isdecimal() or int(company_id) not in company_ids_for(request.user):
            raise Http404(_("没有这个公司"))
        cases = cases.filter(company_id=int(company_id))
        company_name = Company.objects.get(pk=int(company_id)).name
    cases = list(service.with_links(cases).order_by("occurred_on", "id"))
    if not cases:
        messages.warning(request, _("%(month)s 没有信用案例。") % {"month": f"{first:%Y-%m}"})
        return redirect(f"{reverse('reporting:work_cases')}?month={first:%Y-%m}")
    title = _("%(company)s %(year)s年%(month)s月信用案例") % {
        "company": company_name,
        "year": first.year,
        "month": first.month,
    }
    return _pdf(service.render_cases_pdf(cases, title=title), f"cases-{first:%Y%m}.pdf")
