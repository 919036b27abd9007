"""The monthly work report (月度工作报告): the page and its PDF, for the group or one company
(`?month=YYYY-MM&company=<code>`); the rules and figures in reporting.monthly."""

from __future__ import annotations

import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Company, company_ids_for
from customers.roles import READ, role_required
from pledges.pdf import render_pdf

from .. import monthly, tracker


def _params(request: HttpRequest) -> tuple[datetime.date, Company | None, str]:
    """The month (default: this month) and the company (default: the group); a bad one is named."""
    today = timezone.localdate()
    error = ""
    month = tracker.month_start(today)
    if request.GET.get("month"):
        parsed = tracker.parse_month(request.GET["month"])
        if parsed is None:
            error = _("月份应为 YYYY-MM（如 %(example)s），已显示本月。") % {"example": f"{today:%Y-%m}"}
        elif parsed > month:
            error = _("%(month)s 尚未开始，已显示本月。") % {"month": f"{parsed:%Y年%m月}"}
        else:
            month = parsed
    company = None
    code = request.GET.get("company", "")
    if code:
        company = Company.objects.filter(code=code, pk__in=company_ids_for(request.user)).first()
        if company is None:
            raise Http404(_("没有这个公司"))
    return month, company, error


@role_required(READ)
def report(request: HttpRequest) -> HttpResponse:
    month, company, error = _params(request)
    data = monthly.build(request.user, month, company, timezone.localdate())
    companies = list(Company.objects.filter(pk__in=company_ids_for(request.user)).order_by("id"))
    return render(
        request,
        "reporting/monthly.html",
        {
            "r": data,
            "error": error,
            "month_key": f"{month:%Y-%m}",
            "company_code": company.code if company else "",
            "companies": companies if len(companies) > 1 else [],
        },
    )


@role_required(READ)
def report_pdf(request: HttpRequest) -> HttpResponse:
    month, company, _error = _params(request)
    data = monthly.build(request.user, month, company, timezone.localdate())
    pdf = render_pdf("pdf/monthly_report.html", {"r": data})
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"monthly-{company.code if company else 'group'}-{month:%Y%m}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
