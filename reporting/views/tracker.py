"""The task tracker's pages: the 工作专班 and key tasks (附件1, 附件2); the month-by-month grid of which unit has
reported on which task; one unit's report on one task for one month (read, send, revise, the 客户服务中心's
comment); the yearly summary per company for the 绩效考核. Rules in reporting.tracker."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import exports
from customers.models import company_ids_for
from customers.roles import CLERK_WORK, READ, role_required
from customers.services import TransitionError

from .. import tracker
from ..forms_tracker import CommentForm, ReportForm
from ..models_tracker import KeyTask, ProgressReport, Unit


@role_required(READ)
def task_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reporting/tracker_tasks.html",
        {"task_force": tracker.task_force(), "tasks": tracker.key_tasks(), "can_edit": request.user.is_staff},
    )


def _year(request: HttpRequest, today: datetime.date) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdecimal() and 2000 <= int(value) <= 2100 else today.year


@role_required(READ)
def progress(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year = _year(request, today)
    return render(
        request,
        "reporting/tracker_progress.html",
        {
            "year": year,
            "years": [year - 1, year + 1],
            "months": tracker.months_of(year),
            "rows": tracker.grid(request.user, year, today),
            "bad_year": "year" in request.GET and str(year) != request.GET["year"],
        },
    )


@role_required(READ)
def summary(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year = _year(request, today)
    summaries = tracker.yearly_summary(request.user, year, today)
    fmt = exports.requested(request)
    if fmt is not None:
        columns, rows = tracker.summary_export(summaries)
        return exports.export_response(fmt, _("%(year)s年信用工作推进情况汇总") % {"year": year}, columns, rows)
    return render(
        request,
        "reporting/tracker_summary.html",
        {
            "year": year,
            "years": [year - 1, year + 1],
            "summaries": [(s, tracker.summary_rows(s)) for s in summaries],
            "export_links": exports.export_links(request, year=str(year)),
        },
    )


def _lookup(request: HttpRequest, month: str, task: int, unit: int) -> tuple[datetime.date, KeyTask, Unit]:
    """The month, the task and the unit of a report URL; a unit of a company the user is not in is 404."""
    first = tracker.parse_month(month)
    if first is None:
        raise Http404(_("月份格式应为 YYYY-MM"))
    task_obj = get_object_or_404(KeyTask, number=task)
    unit_obj = get_object_or_404(task_obj.units.all(), pk=unit)
    if unit_obj.company_id is not None and unit_obj.company_id not in company_ids_for(request.user):
        raise Http404(_("没有找到该单位"))
    return first, task_obj, unit_obj


def report_scope(request: HttpRequest, month: str, task: int, unit: int, **_kwargs) -> None:
    _lookup(request, month, task, unit)


def _page(request, month, task, unit, *, form=None, comment_form=None, status=200):
    report = (
        ProgressReport.objects.select_related("reported_by", "commented_by")
        .filter(unit=unit, task=task, month=month)
        .first()
    )
    today = timezone.localdate()
    may_report = tracker.may_report(request.user, unit) and month <= tracker.month_start(today)
    may_report = may_report and (report is None or report.status == "reported")
    figures = report.figures if report is not None else tracker.task_figures(task, unit, month, today)
    if form is None and may_report:
        form = ReportForm(initial={"text": report.text if report else ""})
    may_comment = report is not None and tracker.may_comment(request.user) and report.reported_by_id != request.user.pk
    if comment_form is None and may_comment:
        comment_form = CommentForm(initial={"comment": report.comment})
    return render(
        request,
        "reporting/tracker_report.html",
        {
            "month": month,
            "month_key": f"{month:%Y-%m}",
            "task": task,
            "unit": unit,
            "report": report,
            "figures": tracker.figure_rows(task.number, figures),
            "live": report is None,
            "reporters": tracker.reporters_text(unit),
            "form": form if may_report or (form is not None and form.is_bound) else None,
            "comment_form": comment_form if may_comment else None,
        },
        status=status,
    )


@role_required(READ, scope=report_scope)
def report(request: HttpRequest, month: str, task: int, unit: int) -> HttpResponse:
    first, task_obj, unit_obj = _lookup(request, month, task, unit)
    return _page(request, first, task_obj, unit_obj)


def _errors(form, exc: ValidationError) -> None:
    for name, msgs in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, msgs)


@role_required(CLERK_WORK, scope=report_scope)
@require_POST
def submit(request: HttpRequest, month: str, task: int, unit: int) -> HttpResponse:
    first, task_obj, unit_obj = _lookup(request, month, task, unit)
    if not tracker.may_report(request.user, unit_obj):
        raise PermissionDenied(_("您无权报送%(unit)s的推进情况") % {"unit": unit_obj.name})
    form = ReportForm(request.POST)
    if form.is_valid():
        existing = ProgressReport.objects.filter(unit=unit_obj, task=task_obj, month=first).first()
        try:
            if existing is None:
                tracker.submit_report(unit_obj, task_obj, first, text=form.cleaned_data["text"], user=request.user)
            else:
                tracker.revise_report(existing.pk, text=form.cleaned_data["text"], user=request.user)
        except ValidationError as exc:
            _errors(form, exc)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(request.path.rsplit("submit/", 1)[0])
        else:
            messages.success(
                request,
                _("已报送%(unit)s%(month)s“%(task)s”的推进情况。")
                % {"unit": unit_obj.name, "month": f"{first:%Y年%m月}", "task": task_obj.title},
            )
            return redirect(reverse("reporting:work_tracker_report", args=[month, task, unit]))
    return _page(request, first, task_obj, unit_obj, form=form, status=400)


@role_required(READ, scope=report_scope)
def comment(request: HttpRequest, month: str, task: int, unit: int) -> HttpResponse:
    """The 客户服务中心 only (READ level, refused to every other role here, GET too)."""
    first, task_obj, unit_obj = _lookup(request, month, task, unit)
    if not tracker.may_comment(request.user):
        raise PermissionDenied(_("只有客户服务中心可以点评推进情况"))
    if request.method != "POST":
        return redirect(reverse("reporting:work_tracker_report", args=[month, task, unit]))
    report_obj = ProgressReport.objects.filter(unit=unit_obj, task=task_obj, month=first).first()
    if report_obj is None:
        raise Http404(_("该单位尚未报送，无法点评"))
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            tracker.comment_report(report_obj.pk, comment=form.cleaned_data["comment"], user=request.user)
        except ValidationError as exc:
            _errors(form, exc)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(reverse("reporting:work_tracker_report", args=[month, task, unit]))
        else:
            messages.success(request, _("已点评%(unit)s的推进情况。") % {"unit": unit_obj.name})
            return redirect(reverse("reporting:work_tracker_report", args=[month, task, unit]))
    return _page(request, first, task_obj, unit_obj, comment_form=form, status=400)
