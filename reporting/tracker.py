"""The task tracker (Annexes 1 and 2): the task force, the key tasks, and each unit's monthly progress on each
of its tasks — a text and the figures the product already knows — with the 客户服务中心's comments, the
month-by-month grid of who has reported, and the yearly summary per company for the 绩效考核.

Who reports for a unit (`may_report`): a unit of a company (城市供水公司, 随县供水公司) by that company's clerks
and supervisors; a unit of the group (综合办公室, 法务审计部, 客户服务中心) by a supervisor of both companies (a
group-level supervisor) or a superuser. The 客户服务中心 does not report: it comments (`may_comment`), so it
never comments on its own report. One function per transition (style.md), each locks, checks, saves and logs.

The figures (`month_figures`) are computed for every company at once in a fixed number of queries, whatever
the data, and stored with the report when it is sent: the report keeps what the unit saw.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from customers import audit
from customers.models import AuditEntry, Company, company_ids_for
from customers.roles import is_clerk, is_service_center, is_supervisor
from customers.services import TransitionError
from pledges.coverage import coverage_counts
from pledges.models import Pledge
from ratings.models import LEVEL_ORDER, Level, RatingRun, RunLevelCount
from ratings.overrides import adjust_counts, run_overrides
from repair.models import RepairRequest

from .models import BatchRow, BatchStatus
from .models_cases import CaseKind, CaseStatus, CreditCase
from .models_checks import CreditCheck
from .models_publicity import PublicityItem, PublicityKind
from .models_tracker import KeyTask, ProgressReport, ReportStatus, TaskForceMember, Unit

TEXT_MAX = 5000
SNAPSHOT_FIELDS = ("text", "figures", "status", "comment")
SENT_STATUSES = (BatchStatus.SUBMITTED, BatchStatus.ACCEPTED, BatchStatus.RETURNED)

# The figures the product knows, by key, with their Chinese labels (a report stores {key: value}).
FIGURE_LABELS = {
    "pledges_signed": _l("本月签订信用承诺书（份）"),
    "coverage_customers": _l("应签承诺客户（户）"),
    "coverage_signed": _l("已签承诺客户（户）"),
    "coverage_rate": _l("承诺覆盖率"),
    "run_as_of": _l("最近评级基准日"),
    "rated": _l("已评级客户（户）"),
    **{f"level_{level}": _l("其中%(level)s") for level in LEVEL_ORDER},
    "batch_sent": _l("本月报送“信易供水”信息（行）"),
    "batch_returned": _l("其中被平台退回（行）"),
    "repairs_decided": _l("本月办结信用修复及异议（件）"),
    "repairs_on_time": _l("其中按期办结（件）"),
    "checks": _l("本月信用核查（次）"),
    "checks_dishonest": _l("其中发现失信记录（次）"),
    "cases": _l("本月上报信用案例（件）"),
    "cases_graded": _l("本月上报分级分类监管案例（件）"),
    "cases_reward_punish": _l("本月上报守信激励、失信惩戒案例（件）"),
    "publicity_updates": _l("本月工作动态（条）"),
    "publicity_promotion": _l("本月主题宣传及诚信宣传活动（次）"),
}
_LEVELS = [f"level_{level}" for level in LEVEL_ORDER]
# Which figures fill in which key task (附件2's numbers); tasks 1 and 2 are text only.
TASK_FIGURES: dict[int, list[str]] = {
    3: ["batch_sent", "batch_returned"],
    4: ["pledges_signed", "coverage_customers", "coverage_signed", "coverage_rate", "run_as_of", "rated", *_LEVELS],
    5: ["checks", "checks_dishonest"],
    6: ["cases"],
    7: ["cases_graded"],
    8: ["cases_reward_punish"],
    9: ["repairs_decided", "repairs_on_time"],
    10: ["publicity_updates"],
    12: ["publicity_promotion"],
}


def figure_label(key: str) -> str:
    if key.startswith("level_"):
        return _("其中%(level)s") % {"level": dict(Level.choices).get(key[6:], key[6:])}
    return str(FIGURE_LABELS.get(key, key))


def figure_value(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if key == "coverage_rate":
        return f"{value:.1f}%"
    return str(value)


def figure_rows(task_number: int, figures: dict) -> list[tuple[str, str]]:
    return [(figure_label(k), figure_value(k, figures.get(k))) for k in TASK_FIGURES.get(task_number, [])]


# --- months ------------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(first: datetime.date) -> datetime.date:
    return (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def months_of(year: int) -> list[datetime.date]:
    return [datetime.date(year, m, 1) for m in range(1, 13)]


def parse_month(value: str) -> datetime.date | None:
    """YYYY-MM → the month's first day, None when malformed or out of range."""
    try:
        year, month = (int(p) for p in (value or "").split("-"))
    except ValueError:
        return None
    if len(value) != 7 or not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


# --- the figures --------------------------------------------------------------------------------------


def latest_run_by(day: datetime.date) -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED, as_of__lte=day).order_by("-as_of").first()


def month_figures(month: datetime.date, company_ids: list[int], today: datetime.date) -> dict[int, dict]:
    """Company id -> {figure key: value} for `month`, in a fixed number of queries (about 12), whatever the
    companies, customers or records. Month counts are of the month; standing figures (coverage, the levels)
    as of the month's end or today, whichever is earlier: the latest succeeded run by then, with the overrides
    in force on its date (as the run pages count them)."""
    first, last = month, month_end(month)
    as_of = min(last, today)
    out: dict[int, dict] = {
        cid: {k: 0 for k in FIGURE_LABELS if k not in ("coverage_rate", "run_as_of")} for cid in company_ids
    }

    def add(rows, key):
        for company_id, n in rows:
            if company_id in out:
                out[company_id][key] = n

    in_month = {"signed_on__gte": first, "signed_on__lte": last}
    add(
        Pledge.objects.filter(**in_month, company_id__in=company_ids)
        .order_by()
        .values("company_id")
        .annotate(n=Count("id"))
        .values_list("company_id", "n"),
        "pledges_signed",
    )
    for company_id, (customers, signed) in coverage_counts(company_ids, as_of).items():
        out[company_id]["coverage_customers"] = customers
        out[company_id]["coverage_signed"] = signed
        out[company_id]["coverage_rate"] = round(100 * signed / customers, 1) if customers else None

    run = latest_run_by(as_of)
    for figures in out.values():
        figures["run_as_of"] = run.as_of.isoformat() if run else None
    if run is not None:
        counts: dict[int, dict[str, int]] = {}
        for company_id, level, n in RunLevelCount.objects.filter(run=run, company_id__in=company_ids).values_list(
            "company_id", "level", "n"
        ):
            counts.setdefault(company_id, {})[level] = n
        counts = adjust_counts({run.pk: counts}, run_overrides([run]))[run.pk]
        for company_id, levels in counts.items():
            if company_id in out:
                for level in LEVEL_ORDER:
                    out[company_id][f"level_{level}"] = levels.get(level, 0)
                out[company_id]["rated"] = sum(levels.get(level, 0) for level in LEVEL_ORDER)

    rows = (
        BatchRow.objects.filter(
            batch__period=first, batch__status__in=SENT_STATUSES, company_id__in=company_ids, held=False
        )
        .order_by()
        .values("company_id")
        .annotate(sent=Count("id"), returned=Count("id", filter=Q(returned_at__isnull=False)))
    )
    for row in rows:
        if row["company_id"] in out:
            out[row["company_id"]]["batch_sent"] = row["sent"]
            out[row["company_id"]]["batch_returned"] = row["returned"]

    repairs = (
        RepairRequest.objects.filter(company_id__in=company_ids, status__in=RepairRequest.DECIDED_STATUSES)
        .annotate(day=TruncDate("decided_at"))
        .filter(day__gte=first, day__lte=last)
        .order_by()
        .values("company_id")
        .annotate(decided=Count("id"), on_time=Count("id", filter=Q(day__lte=Coalesce(F("decide_by"), F("accept_by")))))
    )
    for row in repairs:
        out[row["company_id"]]["repairs_decided"] = row["decided"]
        out[row["company_id"]]["repairs_on_time"] = row["on_time"]

    checks = (
        CreditCheck.objects.filter(customer__company_id__in=company_ids, checked_on__gte=first, checked_on__lte=last)
        .order_by()
        .values("customer__company_id")
        .annotate(n=Count("id"), bad=Count("id", filter=~Q(result=CreditCheck.Result.CLEAN)))
    )
    for row in checks:
        out[row["customer__company_id"]]["checks"] = row["n"]
        out[row["customer__company_id"]]["checks_dishonest"] = row["bad"]

    cases = (
        CreditCase.objects.filter(
            company_id__in=company_ids, status=CaseStatus.REPORTED, reported_on__gte=first, reported_on__lte=last
        )
        .order_by()
        .values("company_id")
        .annotate(
            n=Count("id"),
            graded=Count("id", filter=Q(kind=CaseKind.GRADED)),
            rp=Count("id", filter=Q(kind__in=[CaseKind.REWARD, CaseKind.PUNISH])),
        )
    )
    for row in cases:
        out[row["company_id"]].update(cases=row["n"], cases_graded=row["graded"], cases_reward_punish=row["rp"])

    items = (
        PublicityItem.objects.filter(company_id__in=company_ids, published_on__gte=first, published_on__lte=last)
        .order_by()
        .values("company_id")
        .annotate(
            updates=Count("id", filter=Q(kind=PublicityKind.UPDATE)),
            promotion=Count("id", filter=~Q(kind=PublicityKind.UPDATE)),
        )
    )
    for row in items:
        out[row["company_id"]].update(publicity_updates=row["updates"], publicity_promotion=row["promotion"])
    return out


def task_figures(task: KeyTask, unit: Unit, month: datetime.date, today: datetime.date) -> dict:
    """The figures that fill in `task` for `unit` (none for a group unit or a text-only task)."""
    keys = TASK_FIGURES.get(task.number, [])
    if unit.company_id is None or not keys:
        return {}
    figures = month_figures(month, [unit.company_id], today)[unit.company_id]
    return {k: figures.get(k) for k in keys}


# --- who may do what ------------------------------------------------------------------------------------


def may_report(user, unit: Unit) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if unit.company_id is not None:
        return is_clerk(user) and unit.company_id in company_ids_for(user)
    all_companies = set(Company.objects.values_list("id", flat=True))
    return is_supervisor(user) and all_companies <= set(company_ids_for(user))


def reporters_text(unit: Unit) -> str:
    """Who reports for `unit`, in a sentence for the page of a user who may not."""
    if unit.company_id is not None:
        return _("由%(unit)s的客服专员或审核主管报送。") % {"unit": unit.name}
    return _("集团部室的推进情况由兼管两家供水公司的审核主管（或系统管理员）报送。")


def may_comment(user) -> bool:
    return user.is_authenticated and user.is_active and is_service_center(user)


def visible_units(user) -> list[Unit]:
    """The units whose reports `user` reads: the group's units and the units of their companies."""
    allowed = set(company_ids_for(user))
    return [u for u in Unit.objects.all() if u.company_id is None or u.company_id in allowed]


def _log(action: str, report: ProgressReport, before: dict | None, user, note: str = "") -> None:
    after = audit.snapshot(report, SNAPSHOT_FIELDS)
    if user is not None and user.is_authenticated and audit.current_actor() == audit.SYSTEM:
        with audit.acting_as(user=user):
            audit.record(action, report, before, after, note=note)
    else:
        audit.record(action, report, before, after, note=note)


def _clean_text(text: str, field_name: str, label: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field_name: _("请填写%(label)s") % {"label": label}})
    if len(text) > TEXT_MAX:
        raise ValidationError(
            {
                field_name: _("%(label)s最多 %(max)s 个字（现有 %(n)s 个）")
                % {"label": label, "max": TEXT_MAX, "n": len(text)}
            }
        )
    return text


def _check_month(month: datetime.date, today: datetime.date) -> None:
    if month > month_start(today):
        raise ValidationError({"month": _("%(month)s 尚未开始，不能报送") % {"month": f"{month:%Y年%m月}"}})


# --- transitions ------------------------------------------------------------------------------------------


@transaction.atomic
def submit_report(unit: Unit, task: KeyTask, month: datetime.date, *, text: str, user) -> ProgressReport:
    """未报 → 已报送: the unit's first report on the task for the month, with the month's figures."""
    if not may_report(user, unit):
        raise PermissionDenied(_("您无权报送%(unit)s的推进情况") % {"unit": unit.name})
    if not task.units.filter(pk=unit.pk).exists():
        raise ValidationError({"task": _("%(task)s不是%(unit)s的重点工作") % {"task": task, "unit": unit.name}})
    today = timezone.localdate()
    _check_month(month, today)
    text = _clean_text(text, "text", _("推进情况"))
    Unit.objects.select_for_update().get(pk=unit.pk)  # one report per unit, task and month, even when two post
    if ProgressReport.objects.filter(unit=unit, task=task, month=month).exists():
        raise TransitionError(
            _("%(unit)s已报送%(month)s的该项工作") % {"unit": unit.name, "month": f"{month:%Y年%m月}"}
        )
    report = ProgressReport.objects.create(
        unit=unit,
        task=task,
        month=month,
        text=text,
        figures=task_figures(task, unit, month, today),
        reported_at=timezone.now(),
        reported_by=user,
    )
    _log(AuditEntry.CREATE, report, None, user, note=_("报送推进情况"))
    return report


@transaction.atomic
def revise_report(report_id: int, *, text: str, user) -> ProgressReport:
    """已报送 → 已报送: the unit rewrites its text before the 客户服务中心 has commented; figures are refreshed."""
    report = ProgressReport.objects.select_for_update().select_related("unit", "task").get(pk=report_id)
    if not may_report(user, report.unit):
        raise PermissionDenied(_("您无权修改%(unit)s的推进情况") % {"unit": report.unit.name})
    if report.status != ReportStatus.REPORTED:
        raise TransitionError(_("客户服务中心已点评，推进情况不能再修改"))
    text = _clean_text(text, "text", _("推进情况"))
    before = audit.snapshot(report, SNAPSHOT_FIELDS)
    report.text = text
    report.figures = task_figures(report.task, report.unit, report.month, timezone.localdate())
    report.reported_at, report.reported_by = timezone.now(), user
    report.save(update_fields=["text", "figures", "reported_at", "reported_by"])
    _log(AuditEntry.UPDATE, report, before, user, note=_("修改推进情况"))
    return report


@transaction.atomic
def comment_report(report_id: int, *, comment: str, user) -> ProgressReport:
    """已报送 → 已点评: the 客户服务中心's comment (it may comment again; the latest stands, each is logged)."""
    report = ProgressReport.objects.select_for_update().get(pk=report_id)
    if not may_comment(user):
        raise PermissionDenied(_("只有客户服务中心可以点评推进情况"))
    if report.reported_by_id == user.pk:
        raise TransitionError(_("推进情况由您报送，不能由您点评"))
    comment = _clean_text(comment, "comment", _("点评意见"))
    before = audit.snapshot(report, SNAPSHOT_FIELDS)
    report.comment, report.status = comment, ReportStatus.COMMENTED
    report.commented_at, report.commented_by = timezone.now(), user
    report.save(update_fields=["comment", "status", "commented_at", "commented_by"])
    _log(AuditEntry.UPDATE, report, before, user, note=_("客户服务中心点评"))
    return report


# --- reading: the task force, the tasks, the grid, the summary ---------------------------------------------


@dataclass(frozen=True)
class TaskForce:
    leaders: list[TaskForceMember]
    liaisons: list[TaskForceMember]


def task_force() -> TaskForce:
    members = list(TaskForceMember.objects.select_related("unit").order_by("position", "id"))
    return TaskForce(
        leaders=[m for m in members if m.role == TaskForceMember.Role.LEADER],
        liaisons=[m for m in members if m.role == TaskForceMember.Role.LIAISON],
    )


def key_tasks() -> list[KeyTask]:
    return list(KeyTask.objects.filter(active=True).prefetch_related("units").order_by("number"))


@dataclass
class Cell:
    month: datetime.date
    state: str  # "reported", "commented", "due" (this month, not yet), "missing" (a past month), "future"
    report: ProgressReport | None = None


@dataclass
class GridRow:
    task: KeyTask
    unit: Unit
    cells: list[Cell] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return sum(1 for c in self.cells if c.report is not None)


def tracking_start(today: datetime.date) -> datetime.date:
    """The first month reports are due: the month of the first report ever sent (this month before any), so
    that the months before the tracker was used do not count as missing (one query)."""
    first = ProgressReport.objects.order_by("month").values_list("month", flat=True).first()
    return min(first, month_start(today)) if first else month_start(today)


def grid(user, year: int, today: datetime.date) -> list[GridRow]:
    """One row per (task, unit) the user may read, one cell per month of `year`: three queries."""
    units = {u.pk: u for u in visible_units(user)}
    reports = {
        (r.task_id, r.unit_id, r.month): r
        for r in ProgressReport.objects.filter(month__year=year, unit_id__in=units).only(
            "id", "task_id", "unit_id", "month", "status"
        )
    }
    current, start = month_start(today), tracking_start(today)
    rows = []
    for task in key_tasks():
        for unit in task.units.all():
            if unit.pk not in units:
                continue
            row = GridRow(task=task, unit=units[unit.pk])
            for month in months_of(year):
                report = reports.get((task.pk, unit.pk, month))
                if report is not None:
                    state = report.status
                else:
                    state = "future" if month > current or month < start else "due" if month == current else "missing"
                row.cells.append(Cell(month=month, state=state, report=report))
            rows.append(row)
    return rows


@dataclass
class CompanySummary:
    company: Company
    unit: Unit | None
    due: int = 0  # (task, month) pairs of the months up to now
    reported: int = 0
    commented: int = 0
    missing: list[tuple[datetime.date, KeyTask]] = field(default_factory=list)
    totals: dict = field(default_factory=dict)  # summed month figures, from the reports
    latest: dict = field(default_factory=dict)  # standing figures from the latest report of task 4

    @property
    def rate(self) -> float | None:
        return round(100 * self.reported / self.due, 1) if self.due else None


SUMMED = [
    "pledges_signed",
    "batch_sent",
    "batch_returned",
    "repairs_decided",
    "repairs_on_time",
    "checks",
    "checks_dishonest",
    "cases",
    "cases_graded",
    "cases_reward_punish",
    "publicity_updates",
    "publicity_promotion",
]
STANDING = ["coverage_customers", "coverage_signed", "coverage_rate", "run_as_of", "rated", *_LEVELS]


def yearly_summary(user, year: int, today: datetime.date) -> list[CompanySummary]:
    """Per company the user may see: how many of its unit's (task, month) reports of `year` up to the current
    month (from the tracker's first month) were sent and commented, which are missing, and the year's figures
    summed from the reports (as the units reported them). Five queries."""
    companies = list(Company.objects.filter(pk__in=company_ids_for(user)).select_related("tracker_unit").order_by("id"))
    tasks = key_tasks()
    last = min(month_start(today), datetime.date(year, 12, 1))
    start = tracking_start(today)
    months = [m for m in months_of(year) if start <= m <= last]
    unit_ids = [c.tracker_unit.pk for c in companies if hasattr(c, "tracker_unit")]
    reports = defaultdict(dict)
    for r in ProgressReport.objects.filter(month__year=year, unit_id__in=unit_ids).order_by("month"):
        reports[r.unit_id][(r.task_id, r.month)] = r
    out = []
    for company in companies:
        unit = getattr(company, "tracker_unit", None)
        summary = CompanySummary(company=company, unit=unit, totals={k: 0 for k in SUMMED})
        if unit is not None:
            mine = [t for t in tasks if any(u.pk == unit.pk for u in t.units.all())]
            for month in months:
                for task in mine:
                    summary.due += 1
                    report = reports[unit.pk].get((task.pk, month))
                    if report is None:
                        summary.missing.append((month, task))
                        continue
                    summary.reported += 1
                    summary.commented += report.status == ReportStatus.COMMENTED
                    for key in SUMMED:
                        summary.totals[key] += report.figures.get(key) or 0
                    if task.number == 4:
                        summary.latest = {k: report.figures.get(k) for k in STANDING}
        out.append(summary)
    return out


def summary_rows(summary: CompanySummary) -> list[tuple[str, str]]:
    rows = [(figure_label(k).replace("本月", "全年"), figure_value(k, summary.totals.get(k))) for k in SUMMED]
    rows += [(figure_label(k), figure_value(k, summary.latest.get(k))) for k in STANDING if summary.latest]
    return rows


def summary_export(summaries: list[CompanySummary]) -> tuple[list[str], list[list]]:
    """The yearly summary as one row a company (the 绩效考核's sheet): reports due, sent, commented, the rate,
    the missing ones, and the year's figures."""
    columns = [_("公司"), _("应报（项）"), _("已报（项）"), _("已点评（项）"), _("报送率"), _("未报")]
    columns += [figure_label(k).replace("本月", "全年") for k in SUMMED]
    rows = []
    for s in summaries:
        missing = "；".join(f"{m.month}月第{t.number}项" for m, t in s.missing)
        rate = f"{s.rate:.1f}%" if s.rate is not None else ""
        rows.append(
            [s.company.name, s.due, s.reported, s.commented, rate, missing, *(s.totals.get(k, 0) for k in SUMMED)]
        )
    return columns, rows
