"""批量登记签署: the page that records many printed pledges as signed at once (rules in pledges.bulk)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import company_ids_for
from customers.roles import CLERK_WORK, role_required

from .. import bulk
from ..models import PledgeBatch
from .scope import scoped_companies, scoped_pledges


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _day(value):
    try:
        return bulk.parse_day(value)
    except ValueError:
        return None


def _receivers(request: HttpRequest):
    return (
        get_user_model()
        .objects.filter(is_active=True, companies__in=company_ids_for(request.user))
        .distinct()
        .order_by("username")
    )


def _selection(request: HttpRequest, params) -> dict:
    """The printed pledges offered: of a batch print of the user's companies, or by company and printed date."""
    companies = scoped_companies(request)
    batches = PledgeBatch.objects.filter(company__in=companies).select_related("company").order_by("-created_at")[:30]
    batch_id = _int(params.get("batch"))
    batch = PledgeBatch.objects.filter(pk=batch_id, company__in=companies).first() if batch_id else None
    company_id = _int(params.get("company"))
    if company_id is not None and not companies.filter(pk=company_id).exists():
        company_id = -1  # another company's: nothing offered
    printed_from, printed_to = _day(params.get("printed_from")), _day(params.get("printed_to"))
    pledges = bulk.printed_pledges(
        scoped_pledges(request),
        batch=batch,
        company_id=company_id,
        printed_from=printed_from,
        printed_to=printed_to,
    )
    if batch_id and batch is None:
        pledges = pledges.none()
    return {
        "companies": companies,
        "batches": batches,
        "batch": batch,
        "batch_id": batch_id,
        "company_id": company_id,
        "printed_from": printed_from,
        "printed_to": printed_to,
        "pledges": pledges,
    }


@role_required(CLERK_WORK)
def bulk_sign(request: HttpRequest) -> HttpResponse:
    receivers = _receivers(request)
    context = {"today": timezone.localdate(), "receivers": receivers, "max": bulk.MAX_PLEDGES}
    if request.method == "POST":
        ids = [i for i in (_int(v) for v in request.POST.getlist("pledge")) if i is not None]
        receiver_id = _int(request.POST.get("received_by")) or request.user.pk  # the clerk by default
        received_by = receivers.filter(pk=receiver_id).first() if receiver_id else None
        mode = request.POST.get("mode", "pdf")
        try:
            result = bulk.submit(
                scoped_pledges(request),
                pledge_ids=ids,
                default_day=request.POST.get("signed_on", ""),
                row_days={pk: request.POST.get(f"date_{pk}", "") for pk in ids},
                pdf=request.FILES.get("scan_pdf") if mode == "pdf" else None,
                files=request.FILES.getlist("scan_files") if mode == "files" else (),
                received_by=received_by,
                user=request.user,
            )
        except bulk.BulkSignError as exc:
            failed = {e.pledge_id for e in exc.errors if e.pledge_id is not None}
            pledges = list(bulk.print_order(scoped_pledges(request).filter(pk__in=ids)))
            for pledge in pledges:
                pledge.bulk_errors = [e for e in exc.errors if e.pledge_id == pledge.pk]
                pledge.bulk_day = request.POST.get(f"date_{pledge.pk}", "")
            context.update(
                errors=exc.errors,
                failed=failed,
                rows=pledges,
                signed_on=request.POST.get("signed_on", ""),
                receiver_id=receiver_id,
                mode=mode,
            )
            messages.error(
                request, _("未登记任何承诺书：%(n)d 处问题，请修改后重新选择扫描件提交") % {"n": len(exc.errors)}
            )
            return render(request, "pledges/bulk_sign.html", context, status=400)
        if result.signed:
            messages.success(
                request,
                _("已登记签署 %(n)d 份承诺书，承诺编码 %(first)s 至 %(last)s")
                % {"n": len(result.signed), "first": result.signed[0].number, "last": result.signed[-1].number},
            )
        if result.already:
            messages.info(
                request,
                _("%(n)d 份承诺书此前已登记签署，未重复登记：%(nos)s")
                % {"n": len(result.already), "nos": "、".join(p.display_number for p in result.already[:20])},
            )
        done = ",".join(str(p.pk) for p in result.signed + result.already)
        return redirect(f"{reverse('pledges:bulk_sign')}?done={done}")
    done_ids = [i for i in (_int(v) for v in request.GET.get("done", "").split(",")) if i is not None]
    if done_ids:
        context["done_view"] = True
        context["done"] = list(bulk.print_order(scoped_pledges(request).filter(pk__in=done_ids[: bulk.MAX_PLEDGES])))
        return render(request, "pledges/bulk_sign.html", context)
    selection = _selection(request, request.GET)
    rows = list(selection["pledges"][: bulk.MAX_PLEDGES + 1])
    context.update(
        selection,
        rows=rows[: bulk.MAX_PLEDGES],
        too_many=len(rows) > bulk.MAX_PLEDGES,
        signed_on=context["today"].isoformat(),
        receiver_id=request.user.pk,
        mode="pdf",
        failed=set(),
    )
    return render(request, "pledges/bulk_sign.html", context)
