"""The monthly work report (月度工作报告, issue 11 part 5): one page and one PDF per month, for the group (every
company the user may see and the group's units) or one company — the tracker's texts and figures, the level
distribution and its change from the month before, pledge coverage, the platform batch, repairs and checks,
with month-by-month charts of the twelve months up to it drawn on the server (reporting.charts,
ratings.charts). A fixed number of queries (about 35), whatever the data."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from customers.models import Company, company_ids_for
from pledges.models import Pledge
from ratings.charts import Column, level_distribution_svg
from ratings.models import LEVEL_ORDER, Level, RatingRun, RunLevelCount
from ratings.overrides import adjust_counts, run_overrides
from repair.models import RepairRequest

from . import tracker
from .charts import monthly_bars_svg
from .models import Batch
from .models_checks import CreditCheck
from .models_publicity import PublicityItem
from .models_tracker import ProgressReport

SUMMED = [
    "pledges_signed",
    "repairs_decided",
    "repairs_on_time",
    "checks",
    "checks_dishonest",
    "cases",
    "publicity_updates",
    "publicity_promotion",
    "batch_sent",
    "batch_returned",
]


@dataclass
class TrackerEntry:
    task_number: int
    task_title: str
    unit: str
    report: ProgressReport | None
    figures: list[tuple[str, str]]


@dataclass
class LevelRow:
    level: str
    label: str
    now: int
    before: int

    @property
    def change(self) -> str:
        d = self.now - self.before
        return f"+{d}" if d > 0 else str(d)


@dataclass
class MonthlyReport:
    month: datetime.date
    title: str
    scope: str  # the company's name or 水务集团
    companies: list[Company]
    figures: dict  # summed over the companies
    run: RatingRun | None
    previous_run: RatingRun | None
    levels: list[LevelRow]
    coverage: list[tuple[str, int, int, str]]  # company, customers, signed, rate
    batches: list[Batch]
    tracker: list[TrackerEntry] = field(default_factory=list)
    per_company: list[tuple[str, list[int], int]] = field(default_factory=list)  # label, per company, total
    level_chart: SafeString | None = None
    activity_chart: SafeString | None = None

    @property
    def reported(self) -> int:
        return sum(1 for e in self.tracker if e.report is not None)


def _level_counts(runs: list[RatingRun], company_ids: list[int]) -> dict[int, dict[str, int]]:
    """run id -> level -> n over the companies, effective levels (two + two queries for any runs)."""
    if not runs:
        return {}
    counts: dict[int, dict[int, dict[str, int]]] = defaultdict(dict)
    for run_id, company_id, level, n in RunLevelCount.objects.filter(
        run__in=runs, company_id__in=company_ids
    ).values_list("run_id", "company_id", "level", "n"):
        counts[run_id].setdefault(company_id, {})[level] = n
    adjusted = adjust_counts({r.pk: counts.get(r.pk, {}) for r in runs}, run_overrides(runs))
    out = {}
    for run_id, by_company in adjusted.items():
        totals = {level: 0 for level in LEVEL_ORDER}
        for company_id, levels in by_company.items():
            if company_id in company_ids:
                for level in LEVEL_ORDER:
                    totals[level] += levels.get(level, 0)
        out[run_id] = totals
    return out


def _by_month(queryset, day_field: str, company_field: str, company_ids, first, last) -> dict[datetime.date, int]:
    rows = (
        queryset.filter(**{f"{company_field}__in": company_ids, f"{day_field}__gte": first, f"{day_field}__lte": last})
        .annotate(m=TruncMonth(day_field))
        .order_by()
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    return {(m.date() if isinstance(m, datetime.datetime) else m): n for m, n in rows}


def build(user, month: datetime.date, company: Company | None, today: datetime.date) -> MonthlyReport:
    allowed = company_ids_for(user)
    companies = [company] if company is not None else list(Company.objects.filter(pk__in=allowed).order_by("id"))
    ids = [c.pk for c in companies]
    last = tracker.month_end(month)
    by_company = tracker.month_figures(month, ids, today)
    figures = {k: sum((by_company[c].get(k) or 0) for c in ids) for k in SUMMED}
    scope = company.name if company is not None else _("水务集团")

    # Levels: the latest run by the month's end and by the end of the month before.
    window_first = (month - datetime.timedelta(days=330)).replace(day=1)
    months = []
    m = window_first
    while m <= month:
        months.append(m)
        m = (m + datetime.timedelta(days=32)).replace(day=1)
    runs = list(
        RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED, as_of__lte=min(last, today)).order_by("-as_of")[:60]
    )
    run = runs[0] if runs else None
    previous_end = month - datetime.timedelta(days=1)
    previous_run = next((r for r in runs if r.as_of <= previous_end), None)
    monthly_runs: dict[datetime.date, RatingRun] = {}
    for r in runs:  # newest first: the first seen of a month is its latest
        key = r.as_of.replace(day=1)
        if key >= window_first and key not in monthly_runs:
            monthly_runs[key] = r
    wanted = {r.pk: r for r in [*monthly_runs.values(), *(x for x in (run, previous_run) if x)]}
    counts = _level_counts(list(wanted.values()), ids)
    now = counts.get(run.pk, {}) if run else {}
    before = counts.get(previous_run.pk, {}) if previous_run else {}
    labels = dict(Level.choices)
    levels = [LevelRow(lv, str(labels[lv]), now.get(lv, 0), before.get(lv, 0)) for lv in LEVEL_ORDER]
    level_chart = level_distribution_svg(
        [Column(r.as_of, counts.get(r.pk, {})) for r in sorted(monthly_runs.values(), key=lambda r: r.as_of)]
    )

    coverage = []
    for c in companies:
        f = by_company[c.pk]
        rate = f"{f['coverage_rate']:.1f}%" if f.get("coverage_rate") is not None else "—"
        coverage.append((c.name, f.get("coverage_customers", 0), f.get("coverage_signed", 0), rate))

    batches = list(Batch.objects.filter(period=month).order_by("number"))

    series_first, series_last = window_first, last
    activity_chart = monthly_bars_svg(
        months,
        [
            (_("签订承诺书"), _by_month(Pledge.objects, "signed_on", "company_id", ids, series_first, series_last)),
            (
                _("信用核查"),
                _by_month(CreditCheck.objects, "checked_on", "customer__company_id", ids, series_first, series_last),
            ),
            (
                _("办结修复及异议"),
                _by_month(
                    RepairRequest.objects.filter(status__in=RepairRequest.DECIDED_STATUSES),
                    "decided_at__date",
                    "company_id",
                    ids,
                    series_first,
                    series_last,
                ),
            ),
            (
                _("宣传与工作动态"),
                _by_month(PublicityItem.objects, "published_on", "company_id", ids, series_first, series_last),
            ),
        ],
        title=_("近十二个月工作量"),
    )

    # The tracker: every (task, unit) of the scope, with its report of the month.
    units = [u for u in tracker.visible_units(user) if (company is None or u.company_id == company.pk)]
    unit_ids = {u.pk for u in units}
    reports = {
        (r.task_id, r.unit_id): r
        for r in ProgressReport.objects.filter(month=month, unit_id__in=unit_ids).select_related(
            "reported_by", "commented_by"
        )
    }
    entries = []
    for task in tracker.key_tasks():
        for unit in task.units.all():
            if unit.pk not in unit_ids:
                continue
            report = reports.get((task.pk, unit.pk))
            rows = tracker.figure_rows(task.number, report.figures) if report and unit.company_id else []
            entries.append(TrackerEntry(task.number, task.title, unit.name, report, rows))

    per_company = [
        (tracker.figure_label(k).replace("本月", ""), [by_company[c].get(k) or 0 for c in ids], figures[k])
        for k in SUMMED
    ]
    title = _("%(scope)s %(year)s年%(month)s月信用工作月度报告") % {
        "scope": scope,
        "year": month.year,
        "month": month.month,
    }
    return MonthlyReport(
        month=month,
        title=title,
        scope=scope,
        companies=companies,
        figures=figures,
        run=run,
        previous_run=previous_run,
        levels=levels,
        coverage=coverage,
        batches=batches,
        tracker=entries,
        per_company=per_company if len(companies) > 1 else [],
        level_chart=level_chart,
        activity_chart=activity_chart,
    )
