"""Lodging a request from the credit file, the request page, editing it, and its evidence files."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.roles import CLERK_WORK, READ, is_clerk, is_supervisor, role_required
from customers.services import TransitionError
from customers.views.files import get_customer
from customers.views.scope import customer_scope
from pledges.uploads import stored_file_response

from .. import services
from ..forms import AcceptForm, EvidenceForm, ReasonForm, RequestForm, SignPledgeForm, UpholdForm
from ..history import request_history
from ..models import Evidence, RepairRequest
from ..workdays import year_is_known
from .common import get_request, request_scope


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, msgs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, msgs)
    else:
        form.add_error(None, exc.messages)


@role_required(CLERK_WORK, scope=customer_scope)
def lodge(request: HttpRequest, account_no: str) -> HttpResponse:
    """GET: the form (kind, records, reason, evidence). POST: lodge it; every file is checked first."""
    customer = get_customer(request, account_no)
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, customer=customer)
        if form.is_valid():
            data = form.cleaned_data
            try:
                req = services.lodge_request(
                    customer,
                    kind=data["kind"],
                    events=list(data["events"]),
                    bills=list(data["bills"]),
                    reason=data["reason"],
                    evidence=data["files"],
                    user=request.user,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已提交%(kind)s申请 %(number)s，受理期限 %(day)s")
                    % {"kind": req.get_kind_display(), "number": req.number, "day": f"{req.accept_by:%Y-%m-%d}"},
                )
                return redirect(req)
    else:
        form = RequestForm(customer=customer, initial={"kind": request.GET.get("kind", RepairRequest.Kind.REPAIR)})
    return render(request, "repair/request_form.html", {"customer": customer, "form": form, "editing": None})


@role_required(CLERK_WORK, scope=request_scope)
def edit(request: HttpRequest, number: str) -> HttpResponse:
    req = get_request(request, number)
    customer = req.customer
    if req.status != RepairRequest.Status.SUBMITTED:
        messages.warning(request, _("申请已受理或已办结，不能再修改。"))
        return redirect(req)
    if request.method == "POST":
        form = RequestForm(request.POST, customer=customer, instance=req)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.edit_request(
                    req.pk,
                    events=list(data["events"]),
                    bills=list(data["bills"]),
                    reason=data["reason"],
                    user=request.user,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(req)
            else:
                messages.success(request, _("申请 %(number)s 已修改。") % {"number": req.number})
                return redirect(req)
    else:
        form = RequestForm(
            customer=customer,
            instance=req,
            initial={"events": list(req.events.all()), "bills": list(req.bills.all()), "reason": req.reason},
        )
    return render(request, "repair/request_form.html", {"customer": customer, "form": form, "editing": req})


def detail_context(request: HttpRequest, req: RepairRequest, **forms) -> dict:
    """Everything the request page shows; `forms` replaces a blank action form with a bound one (errors)."""
    today = timezone.localdate()
    editor_ids = set(req.editors.values_list("pk", flat=True))
    user = request.user
    can_decide = services.may_decide(req, user, editor_ids)
    evidence = list(req.evidence.select_related("uploaded_by"))
    deadline = req.deadline
    context = {
        "req": req,
        "customer": req.customer,
        "today": today,
        "events": list(req.events.select_related("voided_by").order_by("-occurred_on")),
        "bills": list(req.bills.order_by("-period")),
        "evidence": evidence,
        "history": request_history(req),
        "is_supervisor_user": is_supervisor(user),
        "is_editor": user.pk in editor_ids,
        "can_decide": can_decide,
        "can_edit": req.status == RepairRequest.Status.SUBMITTED and is_clerk(user),
        "overdue": req.is_overdue(today),
        "deadline": deadline,
        "deadline_year_unknown": deadline is not None and not year_is_known(deadline.year),
        "pledge_ready": services.pledge_ready(req) if req.kind == RepairRequest.Kind.REPAIR else True,
        "evidence_form": EvidenceForm(),
        "sign_form": SignPledgeForm(),
        "accept_form": AcceptForm(prefix="accept"),
        "refuse_form": ReasonForm(prefix="refuse"),
        "extend_form": ReasonForm(prefix="extend"),
        "approve_form": ReasonForm(prefix="approve"),
        "reject_form": ReasonForm(prefix="reject"),
        "uphold_form": UpholdForm(prefix="uphold", request_obj=req),
        "dismiss_form": ReasonForm(prefix="dismiss"),
    }
    # What approving a repair, or upholding an objection, would do to the level (repair.effect).
    context["preview"] = services.approval_preview(req) if req.is_open else None
    context["extension_too_late"] = services.extension_refused_overdue(req, today)
    context.update(forms)
    return context


@role_required(READ)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    req = get_request(request, number)
    return render(request, "repair/request_detail.html", detail_context(request, req))


@role_required(CLERK_WORK, scope=request_scope)
@require_POST
def add_evidence(request: HttpRequest, number: str) -> HttpResponse:
    req = get_request(request, number)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        files = form.cleaned_data["files"]
        try:
            stored = services.add_evidence(req.pk, files, user=request.user)
        except (TransitionError, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("已上传 %(n)s 个文件。") % {"n": len(stored)})
            return redirect(req)
    return render(request, "repair/request_detail.html", detail_context(request, req, evidence_form=form), status=400)


@role_required(READ)
def evidence_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """The stored file, only for users who see the customer; inline when verified, named as uploaded
    but with the extension of what it is."""
    req = get_request(request, number)
    evidence = get_object_or_404(Evidence, pk=pk, request=req)
    # Inline only as the verified PDF/JPEG/PNG it is, named with that extension (pledges.uploads).
    return stored_file_response(
        evidence.file.open("rb"), content_type=evidence.content_type, name=evidence.original_name
    )
