"""告知书: who needs one, one notice's page, printing (one, or all who need one), recording delivery.

Every lookup goes through the user's companies (`reporting.notices.visible_notices`,
`Customer.objects.for_user`): another company's notice or customer is simply not found (404).
Clerks and supervisors prepare notices and record their delivery; the service functions check
it again, so no page can bypass them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Company, Customer, company_ids_for
from customers.roles import CLERK_WORK, READ, is_clerk, role_required
from customers.views.scope import customer_scope
from pledges.models import Pledge

from .. import notices as service
from ..forms_notices import STATE_GIVEN, STATE_PREPARED, GivenForm, NoticeFilterForm
from ..models import Notice

PAGE_SIZE = 50
# The needing list is counted only up to this cap ("超过 1000 户" beyond it), like the customer list: counting
# every yellow and red customer of a million took 1.5 s, the capped count stops early.
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()


def get_notice(request: HttpRequest, number: str) -> Notice:
    return get_object_or_404(
        service.visible_notices(request.user).select_related(
            "customer__company", "company", "pledge", "created_by", "given_by"
        ),
        number=number,
    )


def _notice_scope(request: HttpRequest, number: str) -> None:
    get_notice(request, number)


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@role_required(READ)
def notice_list(request: HttpRequest) -> HttpResponse:
    """Who needs a notice (per company, with 生成告知书 and 全部打印) and the notices prepared or given.

    A fixed number of queries: the companies, the needing rows (count and page), the breached pledges,
    the notices (count and page).
    """
    companies = list(Company.objects.filter(pk__in=company_ids_for(request.user)).order_by("id"))
    form = NoticeFilterForm(request.GET or None, companies=companies)
    code, state = form.value("company"), form.value("state")
    company = next((c for c in companies if c.code == code), None)

    needing = service.needing_notice(request.user, company=company)
    levels_page = CappedPaginator(needing.levels, PAGE_SIZE).get_page(request.GET.get("npage"))
    breaches = list(needing.breaches[: service.MAX_PRINT_ALL])

    notices = service.visible_notices(request.user).select_related("customer", "company", "pledge", "given_by")
    if company is not None:
        notices = notices.filter(customer__company=company)
    if state == STATE_PREPARED:
        notices = notices.filter(given_on__isnull=True)
    elif state == STATE_GIVEN:
        notices = notices.filter(given_on__isnull=False)
    notices_page = Paginator(notices.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))

    query = request.GET.copy()
    query.pop("page", None)
    nquery = request.GET.copy()
    nquery.pop("npage", None)
    return render(
        request,
        "reporting/notice_list.html",
        {
            "filter_form": form,
            "companies": companies if company is None else [company],
            "run": needing.run,
            "levels_page": levels_page,
            "breaches": breaches,
            "needing_total": min(levels_page.paginator.count, COUNT_CAP) + len(breaches),
            "needing_more": levels_page.paginator.count > COUNT_CAP,
            "notices_page": notices_page,
            "can_act": is_clerk(request.user),
            "query": query.urlencode(),
            "nquery": nquery.urlencode(),
            "max_print": service.MAX_PRINT_ALL,
        },
    )


@role_required(CLERK_WORK, scope=customer_scope)
@require_POST
def prepare(request: HttpRequest, account_no: str) -> HttpResponse:
    """Prepare a notice for the customer: of its level, or (`pledge`=id) of that breached pledge."""
    customer = get_object_or_404(Customer.objects.for_user(request.user), account_no=account_no)
    pledge_id = request.POST.get("pledge", "")
    try:
        if pledge_id:
            if not pledge_id.isdecimal():
                raise Http404(_("没有这份承诺书"))
            pledge = get_object_or_404(Pledge, pk=pledge_id, customer=customer)
            notice = service.prepare_breach_notice(pledge, user=request.user)
        else:
            notice = service.prepare_level_notice(customer, user=request.user)
    except service.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(_back(request, reverse("customers:detail", args=[customer.account_no])))
    messages.success(
        request,
        _("已生成告知书 %(number)s，请打印后送达客户并登记送达情况。") % {"number": notice.number},
    )
    return redirect(notice)


def _detail_context(request: HttpRequest, notice: Notice, form: GivenForm | None = None) -> dict:
    lines = notice.content.split("\n")
    return {
        "notice": notice,
        "customer": notice.customer,
        "addressee": lines[0] if lines else "",
        "paragraphs": lines[1:],
        "form": form or GivenForm(),
        "can_act": is_clerk(request.user) and not notice.is_given,
    }


@role_required(READ)
def notice_detail(request: HttpRequest, number: str) -> HttpResponse:
    notice = get_notice(request, number)
    return render(request, "reporting/notice_detail.html", _detail_context(request, notice))


@role_required(READ)
def notice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    notice = get_notice(request, number)
    response = HttpResponse(service.render_pdf([notice]), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    return response


@role_required(CLERK_WORK, scope=_notice_scope)
@require_POST
def record_given(request: HttpRequest, number: str) -> HttpResponse:
    """The delivery form; bad input shows the page again naming the field, nothing written."""
    notice = get_notice(request, number)
    form = GivenForm(request.POST)
    if form.is_valid():
        try:
            service.record_given(
                notice,
                given_on=form.cleaned_data["given_on"],
                method=form.cleaned_data["method"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except service.TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(notice)
        else:
            notice.refresh_from_db()
            messages.success(
                request,
                _("已登记告知书 %(number)s 于 %(day)s %(method)s。")
                % {
                    "number": notice.number,
                    "day": notice.given_on,
                    "method": notice.get_method_display(),
                },
            )
            return redirect(notice)
    return render(
        request,
        "reporting/notice_detail.html",
        _detail_context(request, notice, form),
        status=400,
    )


@role_required(CLERK_WORK)
@require_POST
def print_all(request: HttpRequest) -> HttpResponse:
    """One PDF of every notice a company still has to deliver, preparing the missing ones first."""
    code = request.POST.get("company", "")
    if "\x00" in code:  # PostgreSQL cannot compare text holding NUL: no such company
        raise Http404
    company = get_object_or_404(Company, code=code, pk__in=company_ids_for(request.user))
    service.prepare_missing(request.user, company)
    notices = service.notices_to_print(request.user, company)
    if not notices:
        messages.info(request, _("%(company)s 没有需要告知的客户。") % {"company": company.name})
        return redirect("reporting:notices")
    response = HttpResponse(service.render_pdf(notices), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notices-{company.code}.pdf"'
    return response
