"""Coverage per company (rateable customers with a signed, unrevoked pledge) and batch printing."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import exports
from customers.roles import CLERK_WORK, READ, role_required
from customers.services import TransitionError
from suizhou_credit import jobs

from ..batches import (
    MAX_BATCH,
    BatchPending,
    customers_without_pledge,
    start_batch,
    start_selected_batch,
)
from ..coverage import coverage_counts
from ..models import PledgeBatch, PledgeState
from .scope import get_batch, scoped_companies, scoped_pledges

MISSING_PAGE_SIZE = 50
MISSING_EXPORT_COLUMNS = ["户号", "单位名称", "统一社会信用代码", "立户日期"]


def coverage_rows(companies) -> list[dict]:
    """Per company: rateable customers, those with a signed pledge, and the share (stored counts, two
    queries whatever the companies: pledges/coverage.py)."""
    companies = list(companies)
    counts = coverage_counts(companies)
    rows = []
    for company in companies:
        rateable, signed = counts[company.pk]
        rows.append(
            {
                "company": company,
                "rateable": rateable,
                "signed": signed,
                "missing": rateable - signed,
                "percent": round(100 * signed / rateable, 1) if rateable else 0,
            }
        )
    return rows


@role_required(READ)
def coverage(request: HttpRequest) -> HttpResponse:
    companies = list(scoped_companies(request))
    if not companies:
        raise Http404(_("没有可查看的公司"))
    selected = companies[0]
    wanted = request.GET.get("company")
    if wanted:
        selected = next((c for c in companies if str(c.pk) == wanted), None)
        if selected is None:
            raise Http404(_("没有这个公司"))
    missing = customers_without_pledge(selected).select_related("company")
    fmt = exports.requested(request)
    if fmt is not None:
        return exports.export_response(
            fmt,
            _("%(company)s未签署承诺书客户") % {"company": selected.name},
            MISSING_EXPORT_COLUMNS,
            ([c.account_no, c.name, c.uscc, c.opened_on] for c in missing.iterator(chunk_size=exports.CHUNK_SIZE)),
        )
    rows = coverage_rows(companies)
    paginator = Paginator(missing, MISSING_PAGE_SIZE)
    # The stored count of the customers without a pledge, not a COUNT of the anti-join (a company's scan).
    paginator.count = next(row["missing"] for row in rows if row["company"] == selected)
    page = paginator.get_page(request.GET.get("page"))
    batches = list(PledgeBatch.objects.filter(company=selected).select_related("created_by")[:10])
    return render(
        request,
        "pledges/coverage.html",
        {
            "rows": rows,
            "selected": selected,
            "page": page,
            "batches": batches,
            "max_batch": MAX_BATCH,
            "export_links": exports.export_links(request, company=str(selected.pk)),
        },
    )


@role_required(CLERK_WORK)
@require_POST
def batch_start(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("company", "")
    if not wanted.isdecimal():
        raise Http404(_("没有这个公司"))
    company = get_object_or_404(scoped_companies(request), pk=int(wanted))
    try:
        batch = start_batch(company, user=request.user)
    except BatchPending as exc:
        messages.warning(request, str(exc))
        return redirect(exc.batch)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(f"{_coverage_url()}?company={company.pk}")
    return redirect(batch)


@role_required(CLERK_WORK)
@require_POST
def batch_start_selected(request: HttpRequest) -> HttpResponse:
    """打印所选: one batch of the ticked customers' pledges (pledges.batches.start_selected_batch)."""
    wanted = request.POST.get("company", "")
    if not wanted.isdecimal():
        raise Http404(_("没有这个公司"))
    company = get_object_or_404(scoped_companies(request), pk=int(wanted))
    try:
        batch = start_selected_batch(company, request.POST.getlist("account_no"), user=request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
        page = request.POST.get("page", "")
        return redirect(f"{_coverage_url()}?company={company.pk}" + (f"&page={page}" if page.isdigit() else ""))
    messages.success(request, _("已开始打印所选 %(n)d 户的承诺书。") % {"n": batch.total})
    return redirect(batch)


@role_required(CLERK_WORK)
@require_POST
def batch_print_selected(request: HttpRequest) -> HttpResponse:
    """打印所选承诺书 on the pledge list: one batch of exactly the ticked pledges (`start_batch`), all or
    nothing; only unsigned pledges of the user's own customers, of one company."""
    wanted = [v for v in request.POST.getlist("pledge") if v.isdecimal()]
    back = reverse("pledges:list")
    if not wanted:
        messages.error(request, _("请先勾选要打印的承诺书"))
        return redirect(back)
    pledges = list(scoped_pledges(request).filter(pk__in=[int(v) for v in wanted]).select_related("company"))
    unprintable = [p for p in pledges if p.state not in (PledgeState.PREPARED, PledgeState.PRINTED) or p.is_paper]
    if len(pledges) != len(set(wanted)) or unprintable:
        names = "、".join(p.display_number for p in unprintable) or _("所选承诺书")
        messages.error(request, _("%(nos)s 不存在或已签署、已撤销，未打印任何承诺书") % {"nos": names})
        return redirect(back)
    companies = {p.company_id for p in pledges}
    if len(companies) != 1:
        messages.error(request, _("批量打印只能包含同一公司的承诺书，请按公司分别勾选"))
        return redirect(back)
    try:
        batch = start_batch(pledges[0].company, user=request.user, pledges=pledges)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, _("已开始打印所选 %(n)d 份承诺书。") % {"n": batch.total})
    return redirect(batch)


def _coverage_url() -> str:
    from django.urls import reverse

    return reverse("pledges:coverage")


def batch_progress(batch: PledgeBatch) -> dict:
    return {
        "id": batch.pk,
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "done": batch.done,
        "total": batch.total,
        "percent": batch.percent,
        "finished": batch.finished,
        "download": batch.output.name != "" and batch.status == PledgeBatch.Status.SUCCEEDED,
    }


@role_required(READ)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch(request, pk)
    detail = batch.error_detail if jobs.may_see_error_detail(request.user) else ""
    context = {"batch": batch, "progress": batch_progress(batch), "error_detail": detail}
    return render(request, "pledges/batch.html", context)


@role_required(READ)
def batch_progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(batch_progress(get_batch(request, pk)))


@role_required(READ)
def batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch(request, pk)
    if batch.status != PledgeBatch.Status.SUCCEEDED or not batch.output:
        if batch.status == PledgeBatch.Status.FAILED:
            messages.error(request, _("这批承诺书生成失败，没有可下载的文件"))
        else:
            messages.info(request, _("批量打印尚未完成，完成后本页会出现下载按钮"))
        return redirect(batch)
    try:
        handle = batch.output.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("文件不存在")) from exc
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pledges-batch-{batch.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
