"""The task tracker's page: the 工作专班 (附件1) and the key tasks with their responsible units (附件2)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from customers.roles import READ, role_required

from .. import tracker


@role_required(READ)
def task_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reporting/tracker_tasks.html",
        {"task_force": tracker.task_force(), "tasks": tracker.key_tasks(), "can_edit": request.user.is_staff},
    )
