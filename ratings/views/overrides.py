"""Setting and revoking a level override from the credit file (supervisors only).

Order of refusals (`customers.roles.role_required`), as for voiding an event: another company's customer (or an override of
another customer) is 404; then a non-supervisor is 403. State changes go through
`ratings.overrides`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.roles import SUPERVISOR_WORK, role_required
from customers.views.files import get_customer
from customers.views.scope import customer_scope

from .. import overrides as services
from ..forms import OverrideForm, RevokeOverrideForm
from ..models import Level, LevelOverride, RatingResult, RatingRun


def _latest_run(customer) -> RatingRun | None:
    """The latest succeeded run that rated the customer (what its file shows)."""
    result = (
        RatingResult.objects.filter(customer=customer, run__status=RatingRun.Status.SUCCEEDED)
        .select_related("run")
        .order_by("-run__as_of")
        .first()
    )
    return result.run if result else None


def _override_scope(request: HttpRequest, account_no: str, pk: int) -> None:
    get_object_or_404(LevelOverride, pk=pk, customer=get_customer(request, account_no))


@role_required(SUPERVISOR_WORK, scope=customer_scope)
def override_set(request: HttpRequest, account_no: str) -> HttpResponse:
    """GET: the override form. POST: set the override (superseding the one in force), back to the file."""
    customer = get_customer(request, account_no)
    today = timezone.localdate()
    current = services.in_force_override(customer, today)
    latest_run = _latest_run(customer)
    if request.method == "POST":
        form = OverrideForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                override = services.set_override(customer, data["level"], data["reason"], data["ends_on"], request.user)
            except services.TransitionError as e:
                form.add_error(None, str(e))
            else:
                until = (
                    _("有效期至 %(day)s") % {"day": override.ends_on.isoformat()}
                    if override.ends_on
                    else _("长期有效，直至撤销")
                )
                messages.success(
                    request,
                    _("已将等级人工调整为%(level)s（%(until)s）。%(applies)s")
                    % {
                        "level": Level(override.level).label,
                        "until": until,
                        "applies": services.applies_to_runs_text(override.starts_on, latest_run),
                    },
                )
                return redirect(customer)
    else:
        form = OverrideForm()
    return render(
        request,
        "ratings/override_form.html",
        {
            "customer": customer,
            "form": form,
            "current": current,
            "applies": services.applies_to_runs_text(today, latest_run),
        },
    )


@role_required(SUPERVISOR_WORK, scope=_override_scope)
def override_revoke(request: HttpRequest, account_no: str, pk: int) -> HttpResponse:
    """GET: confirm with a reason. POST: revoke the override; the computed level counts again."""
    customer = get_customer(request, account_no)
    override = get_object_or_404(LevelOverride.objects.select_related("created_by"), pk=pk, customer=customer)
    if request.method == "POST":
        form = RevokeOverrideForm(request.POST)
        if form.is_valid():
            try:
                services.revoke_override(override.pk, request.user, form.cleaned_data["reason"])
            except services.TransitionError as e:
                messages.error(request, str(e))
                return redirect(customer)
            messages.success(request, _("已撤销人工调整，恢复按评定结果。"))
            return redirect(customer)
    else:
        form = RevokeOverrideForm()
    return render(request, "ratings/override_revoke.html", {"customer": customer, "override": override, "form": form})
