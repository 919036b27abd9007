"""The supervisors' actions on a request, and the decision letter.

Order of refusals on every action URL: a request of another company's customer is 404; then a
user who is not a supervisor is 403; then the service refuses what the state or the four-eyes
rule does not allow, with a message on the request page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.roles import READ, SUPERVISOR_WORK, role_required
from customers.services import TransitionError
from pledges.pdf import render_pdf
from ratings.models import Level

from .. import services
from ..forms import AcceptForm, ReasonForm, UpholdForm
from ..models import RepairRequest
from .common import get_request, request_scope
from .requests import detail_context

LEVEL_LABELS = dict(Level.choices)

# action: (form class, done message)
ACTIONS = {
    "accept": (AcceptForm, gettext_lazy("已受理申请 %(number)s，办结期限 %(deadline)s。")),
    "refuse": (ReasonForm, gettext_lazy("申请 %(number)s 不予受理。")),
    "extend": (ReasonForm, gettext_lazy("申请 %(number)s 已延期，新的办结期限 %(deadline)s。")),
    "approve": (ReasonForm, gettext_lazy("申请 %(number)s 准予修复。")),
    "reject": (ReasonForm, gettext_lazy("申请 %(number)s 不予修复。")),
    "uphold": (UpholdForm, gettext_lazy("申请 %(number)s 异议成立，相关记录已作废或更正。")),
    "dismiss": (ReasonForm, gettext_lazy("申请 %(number)s 异议不成立。")),
}


def _run(action: str, req: RepairRequest, form, user) -> RepairRequest:
    reason = form.cleaned_data.get("reason", "")
    if action == "accept":
        return services.accept(req.pk, user=user, note=reason)
    if action == "uphold":
        return services.uphold(req.pk, user=user, reason=reason, bill_corrections=form.corrections())
    return getattr(services, action)(req.pk, user=user, reason=reason)


def _level_change(req: RepairRequest) -> str:
    sentences = req.level_sentences  # an approved repair: its own effect, and other changes apart
    if sentences:
        return ";".join(sentences) + "。"
    before = LEVEL_LABELS.get(req.level_before, _("未评级"))
    after = LEVEL_LABELS.get(req.level_after, _("未评级"))
    if req.level_before == req.level_after:
        return _("信用等级未变化（%(level)s）。") % {"level": after}
    return _("信用等级由%(before)s变为%(after)s。") % {"before": before, "after": after}


@role_required(SUPERVISOR_WORK, scope=request_scope)
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    req = get_request(request, number)
    if action not in ACTIONS:
        raise Http404
    if request.method != "POST":
        return redirect(req)
    form_class, done = ACTIONS[action]
    kwargs = {"request_obj": req} if form_class is UpholdForm else {}
    form = form_class(request.POST, prefix=action, **kwargs)
    if form.is_valid():
        try:
            req = _run(action, req, form, request.user)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(req)
        except ValidationError as exc:
            for msg in exc.messages:
                form.add_error(None, msg)
        else:
            text = str(done) % {
                "number": req.number,
                "deadline": f"{req.decide_by:%Y-%m-%d}" if req.decide_by else "",
            }
            if action in ("approve", "uphold"):
                text += " " + _level_change(req)
                if hasattr(req, "release"):
                    text += " " + _("已解除惩戒措施。")
            messages.success(request, text)
            return redirect(req)
    context = detail_context(request, req, **{f"{action}_form": form, "open_action": action})
    return render(request, "repair/request_detail.html", context, status=400)


@role_required(READ)
def letter(request: HttpRequest, number: str) -> HttpResponse:
    """信用修复决定书 / 异议处理决定书 (or 不予受理 notice) of a decided request, as a PDF."""
    req = get_request(request, number)
    if not req.is_decided:
        raise Http404(_("申请尚未办结，没有决定书"))
    company = req.company
    pdf = render_pdf(
        "pdf/repair_letter.html",
        {
            "req": req,
            "customer": req.customer,
            "company": company,
            "company_name": company.registered_name or company.name,
            "events": list(req.events.order_by("occurred_on")),
            "bills": list(req.bills.order_by("period")),
            "level_before": LEVEL_LABELS.get(req.level_before, ""),
            "level_after": LEVEL_LABELS.get(req.level_after, ""),
            "level_sentences": req.level_sentences,
            "decided_on": timezone.localdate(req.decided_at),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{req.number}.pdf"'
    return response
