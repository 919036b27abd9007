"""Signing (clerk), fulfilment and revocation (supervisor) forms."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from customers.roles import CLERK_WORK, SUPERVISOR_WORK, role_required
from customers.services import TransitionError
from customers.views.scope import customer_scope

from .. import services
from ..forms import FulfilForm, PaperPledgeForm, RevokeForm, SignForm
from .scope import get_pledge, pledge_scope, scoped_customers


def _refused(request, pledge, action: str) -> HttpResponse | None:
    """Back to the pledge with the reason when its state does not allow `action` (no form to fill in vain)."""
    reason = services.refusal(pledge, action)
    if reason is None:
        return None
    messages.error(request, reason)
    return redirect(pledge)


def _apply(request, form, pledge, call, success: str) -> HttpResponse | None:
    """Run a service; map its errors onto the form (field errors) or a message; redirect on success."""
    try:
        call()
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(pledge)
    messages.success(request, success)
    return redirect(pledge)


@role_required(CLERK_WORK, scope=pledge_scope)
def pledge_sign(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = get_pledge(request, pk)
    if (refused := _refused(request, pledge, "sign")) is not None:
        return refused
    if request.method == "POST":
        form = SignForm(request.POST, request.FILES, pledge=pledge, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            response = _apply(
                request,
                form,
                pledge,
                lambda: services.sign_pledge(
                    pledge,
                    signed_on=data["signed_on"],
                    received_by=data["received_by"],
                    scan=data["scan"],
                    checked=data["scan"].checked,
                    valid_until=data["valid_until"],
                    user=request.user,
                ),
                _("已登记签署"),
            )
            if response is not None:
                return response
    else:
        form = SignForm(pledge=pledge, user=request.user)
    return render(
        request,
        "pledges/action_form.html",
        {
            "pledge": pledge,
            "form": form,
            "title": _("登记签署"),
            "submit": _("登记签署"),
            "multipart": True,
            "hint": _(
                "上传盖章、签字后的承诺书扫描件（PDF、JPEG 或 PNG，不超过 10 MB）。登记后给出承诺编码，签署的承诺书不再改动。"
            ),
        },
    )


@role_required(CLERK_WORK, scope=customer_scope)
def pledge_paper(request: HttpRequest, account_no: str) -> HttpResponse:
    """登记纸质承诺书: enter an old paper 主动型 pledge of the customer, signed before the system had it."""
    customer = get_object_or_404(scoped_customers(request).select_related("company"), account_no=account_no)
    if (reason := services.paper_refusal(customer)) is not None:
        messages.error(request, reason)
        return redirect(customer)
    if request.method == "POST":
        form = PaperPledgeForm(request.POST, request.FILES, customer=customer, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pledge = services.register_paper_pledge(
                    customer,
                    signed_on=data["signed_on"],
                    received_by=data["received_by"],
                    scan=data["scan"],
                    checked=data["scan"].checked,
                    valid_until=data["valid_until"],
                    template=data["template"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(customer)
            else:
                messages.success(
                    request,
                    _("已登记纸质承诺书，承诺编码 %(no)s（纸质补录）") % {"no": pledge.number},
                )
                return redirect(pledge)
    else:
        form = PaperPledgeForm(customer=customer, user=request.user)
    return render(request, "pledges/paper_form.html", {"customer": customer, "form": form})


def _supervisor_action(request: HttpRequest, pk: int, action: str, form_class, perform, done: str, page: dict):
    """A supervisor's action on one pledge (`role_required`: another company's pledge 404, then a
    non-supervisor 403): the form, the service call through `_apply`, or the page again."""
    pledge = get_pledge(request, pk)
    if (refused := _refused(request, pledge, action)) is not None:
        return refused
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _apply(request, form, pledge, lambda: perform(pledge, form.cleaned_data), done)
        if response is not None:
            return response
    return render(request, "pledges/action_form.html", {"pledge": pledge, "form": form, **page})


@role_required(SUPERVISOR_WORK, scope=pledge_scope)
def pledge_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    return _supervisor_action(
        request,
        pk,
        "fulfil",
        FulfilForm,
        lambda pledge, data: services.fulfil_pledge(pledge, on=data["on"], user=request.user),
        _("已认定全部履行"),
        {
            "title": _("认定全部履行"),
            "submit": _("认定全部履行"),
            "hint": _("确认该承诺已全部履行（履约践诺），将报送信用平台。"),
        },
    )


@role_required(SUPERVISOR_WORK, scope=pledge_scope)
def pledge_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _supervisor_action(
        request,
        pk,
        "revoke",
        RevokeForm,
        lambda pledge, data: services.revoke_pledge(pledge, reason=data["reason"], user=request.user),
        _("已撤销承诺书"),
        {
            "title": _("撤销承诺书"),
            "submit": _("撤销"),
            "danger": True,
            "hint": _("撤销后承诺书保留原文、承诺编码和扫描件，不再计入签署覆盖率。"),
        },
    )
