"""Recording and voiding events in a credit file. State changes go through `customers.services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from .. import services
from ..forms import EventForm, VoidEventForm
from ..models import EVENT_ALLOWED_FIELDS, EVENT_REQUIRED_FIELDS, Event
from ..roles import CLERK_WORK, SUPERVISOR_WORK, role_required
from .files import get_customer
from .scope import customer_scope


def _type_fields() -> dict[str, dict[str, list[str]]]:
    """Which special fields each event type allows and requires, for the form's script."""
    return {
        "allowed": {str(k): list(v) for k, v in EVENT_ALLOWED_FIELDS.items()},
        "required": {str(k): list(v) for k, v in EVENT_REQUIRED_FIELDS.items()},
    }


def _event_scope(request: HttpRequest, account_no: str, pk: int) -> None:
    get_object_or_404(Event, pk=pk, customer=get_customer(request, account_no))


@role_required(CLERK_WORK, scope=customer_scope)
def event_create(request: HttpRequest, account_no: str) -> HttpResponse:
    """GET: the event form. POST: validate every field, record the event, go back to the file."""
    customer = get_customer(request, account_no)
    if request.method == "POST":
        form = EventForm(request.POST, customer=customer)
        if form.is_valid():
            try:
                event = services.record_event(customer, user=request.user, **form.event_fields())
            except ValidationError as e:  # model-level checks that the form does not repeat
                for name, msgs in e.message_dict.items():
                    form.add_error(name if name in form.fields else None, msgs)
            else:
                messages.success(
                    request,
                    _("已录入事件：%(type)s（单据编号 %(ref)s）")
                    % {"type": event.get_type_display(), "ref": event.ref},
                )
                return redirect(customer)
    else:
        form = EventForm(customer=customer, initial={"type": request.GET.get("type", "")})
    return render(
        request,
        "customers/event_form.html",
        {"customer": customer, "form": form, "type_fields": _type_fields()},
    )


@role_required(SUPERVISOR_WORK, scope=_event_scope)
def event_void(request: HttpRequest, account_no: str, pk: int) -> HttpResponse:
    """Supervisors only. GET: confirm with a reason. POST: void the event; it stays in the file, marked void.

    Order of refusals (`role_required`): another company's customer or an event not in this file is 404;
    then a non-supervisor is 403.
    """
    customer = get_customer(request, account_no)
    event = get_object_or_404(Event.objects.select_related("created_by", "voided_by"), pk=pk, customer=customer)
    if event.is_voided:
        messages.warning(request, _("该事件已作废，无需再次作废。"))
        return redirect(customer)
    if request.method == "POST":
        form = VoidEventForm(request.POST)
        if form.is_valid():
            try:
                services.void_event(event.pk, user=request.user, reason=form.cleaned_data["reason"])
            except services.TransitionError as e:  # e.g. voided meanwhile by someone else
                messages.error(request, str(e))
                return redirect(customer)
            messages.success(request, _("事件 %(ref)s 已作废。") % {"ref": event.ref})
            return redirect(customer)
    else:
        form = VoidEventForm()
    return render(request, "customers/event_void.html", {"customer": customer, "event": event, "form": form})
