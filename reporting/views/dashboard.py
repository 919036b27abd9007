"""The staff dashboard (工作台): where every user lands after signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .. import dashboard as figures


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = figures.build(request.user, timezone.localdate())
    return render(request, "reporting/dashboard.html", {"board": board})
