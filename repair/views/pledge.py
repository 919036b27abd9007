"""The repair pledge (信用承诺书, 信用修复型) of a request: prepare it and record it signed.

The pledge itself is the pledges app's (its template, its print view and PDF, its signing with the
scan); these views only tie it to the request, so the request's history shows each step.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.roles import CLERK_WORK, role_required
from customers.services import TransitionError

from .. import services
from ..forms import SignPledgeForm
from ..models import RepairRequest
from .common import get_request, request_scope
from .requests import detail_context


def _repair_request(request: HttpRequest, number: str) -> RepairRequest:
    req = get_request(request, number)
    if req.kind != RepairRequest.Kind.REPAIR:
        raise Http404(_("异议申请不需要信用修复承诺书"))
    return req


@role_required(CLERK_WORK, scope=request_scope)
@require_POST
def prepare(request: HttpRequest, number: str) -> HttpResponse:
    req = _repair_request(request, number)
    try:
        services.prepare_repair_pledge(req.pk, user=request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已生成信用修复承诺书，请打印后交客户签署盖章。"))
    return redirect(req)


@role_required(CLERK_WORK, scope=request_scope)
@require_POST
def sign(request: HttpRequest, number: str) -> HttpResponse:
    req = _repair_request(request, number)
    if req.pledge is None:
        raise Http404(_("尚未生成信用修复承诺书"))
    form = SignPledgeForm(request.POST, request.FILES)
    if form.is_valid():
        scan = form.cleaned_data["scan"]
        try:
            services.sign_repair_pledge(
                req.pk, signed_on=form.cleaned_data["signed_on"], scan=scan, checked=scan.checked, user=request.user
            )
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(req)
        except ValidationError as exc:
            for name, msgs in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, msgs)
        else:
            messages.success(request, _("已登记客户签署的信用修复承诺书。"))
            return redirect(req)
    return render(request, "repair/request_detail.html", detail_context(request, req, sign_form=form), status=400)
