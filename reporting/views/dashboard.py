"""The staff dashboard (工作台): where every user lands after signing in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from customers.roles import READ, role_required

from .. import dashboard as figures


@role_required(READ)
def dashboard(request: HttpRequest) -> HttpResponse:
    board = figures.build(request.user, timezone.localdate())
    return render(request, "reporting/dashboard.html", {"board": board})
