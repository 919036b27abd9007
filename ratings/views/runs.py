"""Rating runs: the list, one run's page (counts, progress, movers, chart), starting a run, level lists.

Counts and lists are scoped: a clerk counts and sees only their own companies' customers
(counts summed over `company_ids_for`, lists through `Customer.objects.for_user`). Progress (customers done of total) is the run's own, unscoped.
Figures come from the runs' persisted summaries (`RunLevelCount`, `RunMove`; `ratings.summary`):
no page reads the results table except for the rows it lists (and the few results of the
customers with an override in force). Level figures are of effective levels, as the level
lists list them (`ratings.overrides`: the override in force on the run's date, else the stored
result); the run page shows the computed figures beside them.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import exports
from customers.models import Company, Customer, company_ids_for
from customers.roles import READ, SUPERVISOR_WORK, is_supervisor, role_required
from suizhou_credit import jobs

from ..charts import Column, level_distribution_svg
from ..criteria import sort_codes
from ..forms import StartRunForm
from ..measures import measures_for
from ..models import LEVEL_ORDER, Level, RatingResult, RatingRun, RunMove
from ..overrides import effective_level_sql
from ..runs import RunInProgress, start_run
from .scope import counts_by_company, effective_counts_by_company, latest_succeeded_run, level_totals

log = logging.getLogger(__name__)

RUNS_PAGE_SIZE = 20
MOVERS_PAGE_SIZE = 25
LEVEL_PAGE_SIZE = 50
CHART_RUNS = 12
ACTIVE = (RatingRun.Status.PENDING, RatingRun.Status.RUNNING)
UP, DOWN = "up", "down"


class KnownCountPaginator(Paginator):
    """A paginator told its count (already computed with the page's other figures)."""

    def __init__(self, *args, known_count: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known_count = known_count

    @property
    def count(self) -> int:
        return self._known_count


def _chart(user, upto: RatingRun | None) -> str:
    """The distribution of the last CHART_RUNS succeeded runs up to `upto` (all, if None)."""
    runs = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED)
    if upto is not None:
        runs = runs.filter(as_of__lte=upto.as_of)
    runs = list(runs.order_by("-as_of")[:CHART_RUNS])
    counts, _overridden = effective_counts_by_company(runs)
    return level_distribution_svg([Column(run.as_of, level_totals(counts[run.pk], user)) for run in runs])


def progress(run: RatingRun) -> dict:
    """The run's progress, for the page and the JSON poll."""
    percent = (
        round(100 * run.done / run.total) if run.total else (100 if run.status == RatingRun.Status.SUCCEEDED else 0)
    )
    return {
        "id": run.pk,
        "as_of": run.as_of.isoformat(),
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "active": run.status in ACTIVE,
        "done": run.done,
        "total": run.total,
        "chunks_done": run.chunks_done,
        "chunks_total": run.chunks_total,
        "percent": min(percent, 100),
        "error": run.error,
    }


@role_required(READ)
def run_list(request: HttpRequest) -> HttpResponse:
    """Every run, newest date first, with its (scoped) counts per level; supervisors may start one."""
    runs = RatingRun.objects.select_related("started_by").order_by("-as_of")
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    by_run, _overridden = effective_counts_by_company(page)
    counts = {run_id: level_totals(by_company, request.user) for run_id, by_company in by_run.items()}
    return render(
        request,
        "ratings/run_list.html",
        {
            "page": page,
            "rows": [
                {
                    "run": run,
                    "counts": [counts[run.pk][level] for level in LEVEL_ORDER],
                    "total": sum(counts[run.pk].values()),
                    "progress": progress(run),
                }
                for run in page
            ],
            "levels": LEVEL_ORDER,
            "chart": _chart(request.user, None),
            "can_start": is_supervisor(request.user),
            "start_form": StartRunForm() if is_supervisor(request.user) else None,
        },
    )


def _mover_counts(user, run: RatingRun) -> dict[str, int]:
    """How many of the run's movers the user may see went up and down (grouped by company, one query)."""
    allowed = set(company_ids_for(user))
    counts = {UP: 0, DOWN: 0}
    rows = RunMove.objects.filter(run=run).values_list("company_id", "direction").annotate(n=Count("id")).order_by()
    for company_id, direction, n in rows:
        if company_id in allowed:
            counts[direction] += n
    return counts


MOVERS_EXPORT_COLUMNS = ["户号", "单位名称", "供水公司", "上一批次", "本批次", "条款"]


def _movers_listing(request: HttpRequest, run: RatingRun, direction: str):
    """The run's movers in one direction that the user may see (the page's table, and its export)."""
    return (
        RunMove.objects.filter(run=run, direction=direction, customer__in=Customer.objects.for_user(request.user))
        .select_related("customer", "customer__company")
        .order_by("customer_id")
    )


def _movers_export(request: HttpRequest, run: RatingRun, fmt: str) -> HttpResponse:
    """The movers tab shown (`?move=up|down`) as a file: the page's columns, levels by name."""
    if run.moves_from_id is None:
        raise Http404(_("该批次没有等级变动"))
    direction = DOWN if request.GET.get("move") == DOWN else UP
    labels = dict(Level.choices)

    def rows():
        for move in _movers_listing(request, run, direction).iterator(chunk_size=exports.CHUNK_SIZE):
            yield [
                move.customer.account_no,
                move.customer.name,
                move.customer.company.name,
                str(labels.get(move.from_level, move.from_level)),
                str(labels.get(move.to_level, move.to_level)),
                move.criteria,
            ]

    stem = _("等级%(dir)s-%(day)s") % {
        "dir": _("上升") if direction == UP else _("下降"),
        "day": run.as_of.strftime("%Y%m%d"),
    }
    return exports.export_response(fmt, stem, MOVERS_EXPORT_COLUMNS, rows())


@role_required(READ)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: progress, error, counts per level (effective and computed) and company, movers, the chart."""
    run = get_object_or_404(RatingRun.objects.select_related("started_by", "moves_from"), pk=pk)
    fmt = exports.requested(request)
    if fmt is not None:
        return _movers_export(request, run, fmt)
    computed_by_company = counts_by_company([run])[run.pk]
    effective, overridden_rows = effective_counts_by_company([run])
    by_company = effective[run.pk]
    level_counts = level_totals(by_company, request.user)
    computed_counts = level_totals(computed_by_company, request.user)
    allowed = set(company_ids_for(request.user))
    company_rows = [
        {
            "name": company.name,
            "counts": [by_company[company.pk].get(lv, 0) for lv in LEVEL_ORDER],
            "total": sum(by_company[company.pk].values()),
        }
        for company in Company.objects.order_by("id")
        if company.pk in allowed and company.pk in by_company
    ]

    previous = run.moves_from
    direction = DOWN if request.GET.get("move") == DOWN else UP
    mover_page = None
    mover_counts = {UP: 0, DOWN: 0}
    if previous is not None:
        mover_counts = _mover_counts(request.user, run)
        if request.GET.get("move") not in (UP, DOWN) and not mover_counts[UP] and mover_counts[DOWN]:
            direction = DOWN  # no tab chosen: open the one that has rows
        listing = _movers_listing(request, run, direction)
        mover_page = KnownCountPaginator(listing, MOVERS_PAGE_SIZE, known_count=mover_counts[direction]).get_page(
            request.GET.get("page")
        )

    visible = [o for o in overridden_rows[run.pk] if o.company_id in allowed]
    overridden = len(visible)
    changed = sum(1 for o in visible if o.computed != o.effective)
    return render(
        request,
        "ratings/run_detail.html",
        {
            "run": run,
            "progress": progress(run),
            "error_detail": run.error_detail if jobs.may_see_error_detail(request.user) else "",
            "levels": LEVEL_ORDER,
            "level_counts": [(lv, level_counts[lv]) for lv in LEVEL_ORDER],
            "computed_counts": [(lv, computed_counts[lv]) for lv in LEVEL_ORDER],
            "level_rows": [(lv, level_counts[lv], computed_counts[lv]) for lv in LEVEL_ORDER],
            "total": sum(level_counts.values()),
            "company_rows": company_rows,
            "previous": previous,
            "direction": direction,
            "mover_page": mover_page,
            "mover_counts": mover_counts,
            "overridden": overridden,
            "overridden_changed": changed,
            "chart": _chart(request.user, run),
            "is_latest": latest_succeeded_run() == run,
            "export_links": exports.export_links(request, move=direction) if previous is not None else None,
        },
    )


@role_required(READ)
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """The JSON the run page polls every 2 s while the run is pending or running."""
    run = get_object_or_404(RatingRun, pk=pk)
    return JsonResponse(progress(run))


@role_required(SUPERVISOR_WORK)
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    """Supervisors only: start a run for a date; on success go to its page, otherwise say why."""
    form = StartRunForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("as_of", []) or form.non_field_errors():
            messages.error(request, _("无法发起评级：%(error)s") % {"error": error})
        return redirect("ratings:runs")
    as_of: datetime.date = form.cleaned_data["as_of"]
    try:
        run = start_run(as_of, request.user)
    except RunInProgress as e:  # another attempt for that date is going: say so, nothing written
        messages.error(request, str(e))
        existing = RatingRun.objects.filter(as_of=as_of).first()
        return redirect("ratings:run", pk=existing.pk) if existing else redirect("ratings:runs")
    except Exception:  # with eager Celery a failing run raises here; the run is marked failed
        log.exception("starting the rating run as of %s failed", as_of)
        existing = RatingRun.objects.filter(as_of=as_of).first()
        failed = existing.error if existing is not None and existing.error else str(jobs.FAILED)
        messages.error(request, _("%(day)s 的评级未能完成：%(error)s") % {"day": as_of.isoformat(), "error": failed})
        return redirect("ratings:run", pk=existing.pk) if existing else redirect("ratings:runs")
    run.refresh_from_db()
    if run.status == RatingRun.Status.FAILED:
        messages.error(request, _("%(day)s 的评级失败：%(error)s") % {"day": as_of.isoformat(), "error": run.error})
    elif run.status == RatingRun.Status.SUCCEEDED:
        messages.success(request, _("%(day)s 的评级已完成。") % {"day": as_of.isoformat()})
    else:
        messages.success(request, _("已发起 %(day)s 的评级，正在后台执行。") % {"day": as_of.isoformat()})
    return redirect("ratings:run", pk=run.pk)


@dataclass(frozen=True)
class LevelRow:
    """One line of a level list: the customer, its computed level and criteria, whether an override puts it here."""

    customer: Customer
    level: str
    codes: tuple[str, ...]
    overridden: bool


def _effective_count(user, run: RatingRun, level: str, company: Company | None = None) -> int:
    """How many of the run's customers the user may see (of `company` only, when given) have effective level
    `level` (the level list's count).

    The run's stored counts, adjusted by the few overrides in force on the run's date, as the run pages count.
    """
    counts, _overridden = effective_counts_by_company([run])
    by_company = counts[run.pk]
    if company is not None:
        by_company = {company.pk: by_company.get(company.pk, {})}
    return level_totals(by_company, user)[level]


def _company_of(request: HttpRequest) -> Company | None:
    """`?company=<id>`: one of the user's companies (another company's id, or garbage, is not found)."""
    value = request.GET.get("company") or ""
    if not value:
        return None
    if not value.isdecimal() or int(value) not in company_ids_for(request.user):
        raise Http404(_("没有这个供水公司"))
    return Company.objects.get(pk=int(value))


LEVEL_EXPORT_COLUMNS = ["户号", "单位名称", "供水公司", "评定等级", "符合条款"]


def _level_export_rows(listing):
    """The level list's rows as the page shows them, one customer at a time from a server-side cursor."""
    labels = dict(Level.choices)
    for customer in listing.iterator(chunk_size=exports.CHUNK_SIZE):
        level = str(labels.get(customer.result_level, customer.result_level))
        if customer.override_level is not None:
            level += "（人工调整）"
        codes = sort_codes(c for c in customer.result_criteria.split(";") if c)
        yield [customer.account_no, customer.name, customer.company.name, level, " ".join(codes)]


@role_required(READ)
def level_list(request: HttpRequest, level: str) -> HttpResponse:
    """Customers whose effective level (override in force on the run's date, else computed) is `level`.

    In the latest succeeded run by default, or in `?run=<id>`; scoped; 50 a page.
    """
    if level not in LEVEL_ORDER:
        raise Http404(_("没有这个等级"))
    run_id = request.GET.get("run")
    if run_id:
        if not run_id.isdecimal():
            raise Http404(_("没有这个评级批次"))
        run = get_object_or_404(RatingRun, pk=run_id, status=RatingRun.Status.SUCCEEDED)
    else:
        run = latest_succeeded_run()
    company = _company_of(request)
    page = None
    if run is not None:
        # Walk the user's customers in account order and look each one's result up by the unique
        # (run, customer) index, stopping at the page's end: a page of 50 reads a few hundred
        # customers, not the run's million results (1.2 s when the results were filtered and sorted).
        result = RatingResult.objects.filter(run=run, customer_id=OuterRef("pk"))
        listing = (
            Customer.objects.for_user(request.user)
            .annotate(
                result_level=Subquery(result.values("level")[:1]),
                result_criteria=Subquery(result.values("criteria")[:1]),
                override_level=effective_level_sql(run.as_of),
            )
            .filter(result_level__isnull=False)
            .annotate(effective_level=Coalesce("override_level", "result_level"))
            .filter(effective_level=level)
            .select_related("company")
            .order_by("account_no")
        )
        if company is not None:
            listing = listing.filter(company=company)
        fmt = exports.requested(request)
        if fmt is not None:
            return exports.export_response(
                fmt,
                _("%(level)s客户名单-%(day)s") % {"level": Level(level).label, "day": run.as_of.strftime("%Y%m%d")},
                LEVEL_EXPORT_COLUMNS,
                _level_export_rows(listing),
            )
        count = _effective_count(request.user, run, level, company)
        page = KnownCountPaginator(listing, LEVEL_PAGE_SIZE, known_count=count).get_page(request.GET.get("page"))
        page.object_list = [
            LevelRow(
                customer=customer,
                level=customer.result_level,
                codes=sort_codes(c for c in customer.result_criteria.split(";") if c),
                overridden=customer.override_level is not None,
            )
            for customer in page
        ]
    return render(
        request,
        "ratings/level_list.html",
        {
            "level": level,
            "level_label": Level(level).label,
            "levels": LEVEL_ORDER,
            "run": run,
            "page": page,
            "measures": measures_for(level),
            "list_url": reverse("ratings:level", args=[level]),
            "company": company,
            "companies": Company.objects.filter(pk__in=company_ids_for(request.user)).order_by("id"),
            "query": "&".join(
                part for part in (f"run={run.pk}" if run else "", f"company={company.pk}" if company else "") if part
            ),
            "export_links": exports.export_links(request) if run is not None else None,
        },
    )
