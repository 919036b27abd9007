"""The platform batches: list, batch page with held-back and returned rows, status actions, downloads.

Everyone on staff reads the pages; what they see is scoped by company: a user who sees one company gets
that company's counts and rows only (`batch.counts["by_company"]`, the rows' `company_id`). The actions
(build, export, submit, accept, return upload) cover both companies' rows, so only a supervisor who sees
every company is shown them, and the services check it again. Views parse and call `reporting.services`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from customers.models import Company, company_ids_for
from customers.roles import READ, SUPERVISOR_WORK, is_supervisor, role_required
from suizhou_credit import jobs

from .. import returns, services
from ..forms_batches import BuildForm
from ..models import SHEET_ORDER, Batch, BatchRow, BatchStatus, BuildState, ReturnFile, Sheet

LIST_PAGE_SIZE = 30
ROWS_PAGE_SIZE = 50

SHEET_LABELS = dict(Sheet.choices)
SHEET_KEYS = {
    Sheet.PLEDGE: gettext_lazy("承诺编码"),
    Sheet.FULFILMENT: gettext_lazy("承诺编码"),
    Sheet.RATING: gettext_lazy("统一社会信用代码"),
    Sheet.REPAIR: gettext_lazy("编号"),
}
ACTIONS = {
    "export": services.export_batch,
    "submit": services.mark_submitted,
    "accept": services.mark_accepted,
}
ACTION_LABELS = {
    "export": gettext_lazy("导出并下载"),
    "submit": gettext_lazy("标记为已报送"),
    "accept": gettext_lazy("标记为已接收"),
}
FILE_KINDS = {
    "xlsx": ("xlsx", "{number}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "zip": ("csv_zip", "{number}-csv.zip", "application/zip"),
}
STATUS_BADGES = {
    BatchStatus.DRAFT: "text-bg-secondary",
    BatchStatus.EXPORTED: "text-bg-primary",
    BatchStatus.SUBMITTED: "text-bg-info",
    BatchStatus.ACCEPTED: "text-bg-success",
    BatchStatus.RETURNED: "text-bg-warning",
}
BUILD_BADGES = {
    BuildState.QUEUED: "text-bg-secondary",
    BuildState.RUNNING: "text-bg-info",
    BuildState.DONE: "text-bg-success",
    BuildState.FAILED: "text-bg-danger",
}


# --- who may see and do what ---------------------------------------------------------------------


@dataclass
class Scope:
    """The companies a user sees, and whether they may act on batches (which hold both companies)."""

    companies: list[Company]
    sees_all: bool
    can_act: bool

    @property
    def ids(self) -> list[int] | None:
        """The company ids to filter rows by; None when the user sees every company."""
        return None if self.sees_all else [c.pk for c in self.companies]


def scope_of(request: HttpRequest) -> Scope:
    every = list(Company.objects.order_by("id"))
    mine = set(company_ids_for(request.user))
    companies = [c for c in every if c.pk in mine]
    sees_all = len(companies) == len(every)
    return Scope(companies=companies, sees_all=sees_all, can_act=sees_all and is_supervisor(request.user))


def require_actor(scope: Scope) -> None:
    if not scope.can_act:
        raise PermissionDenied(_("报送批次包含两家公司的数据，只有可查看两家公司的审核主管才能执行此操作"))


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def builder_name(batch: Batch) -> str:
    """Who built the batch, in words: a person, the scheduled task or the command."""
    if batch.built_by_id:
        return person(batch.built_by)
    label = batch.built_by_label or ""
    if label.startswith("task:"):
        return _("定时任务（月末评级完成后自动生成）")
    if label.startswith("command:"):
        return _("命令行生成")
    return _("系统")


# --- counts --------------------------------------------------------------------------------------


@dataclass
class SheetCount:
    sheet: str
    label: str
    included: int = 0
    held: int = 0


def sheet_counts(counts: dict, company_ids: list[int] | None) -> list[SheetCount]:
    """Included / held per sheet: the batch's, or the sum over `company_ids`' own counts."""
    out = []
    by_company = (counts or {}).get("by_company", {})
    for sheet in SHEET_ORDER:
        item = SheetCount(sheet, str(SHEET_LABELS[sheet]))
        if company_ids is None:
            found = (counts or {}).get(sheet, {})
            item.included, item.held = found.get("included", 0), found.get("held", 0)
        else:
            for cid in company_ids:
                found = by_company.get(str(cid), {}).get(sheet, {})
                item.included += found.get("included", 0)
                item.held += found.get("held", 0)
        out.append(item)
    return out


@dataclass
class CompanyCounts:
    company: Company
    sheets: list[SheetCount]


def company_counts(batch: Batch, companies: list[Company]) -> list[CompanyCounts]:
    return [CompanyCounts(c, sheet_counts(batch.counts, [c.pk])) for c in companies]


# --- held and returned rows, with where each is fixed ---------------------------------------------


@dataclass
class Fix:
    label: str
    url: str = ""
    post_url: str = ""  # a form button (preparing a notice is a POST)
    pledge: int | None = None
    next_url: str = ""
    note: str = ""  # no link for this user: what to do instead


@dataclass
class ShownRow:
    row: BatchRow
    sheet_label: str
    key_label: str
    company_name: str
    reasons: list[str]
    fixes: list[Fix] = field(default_factory=list)


def _fix(kind: str, row: BatchRow, request: HttpRequest, company_names: dict[int, str]) -> Fix | None:
    account = row.customer.account_no if row.customer is not None else ""
    if kind == "customer" and account:
        return Fix(_("修改信用档案"), url=reverse("customers:detail", args=[account]))
    if kind == "pledge" and row.source_id:
        return Fix(_("查看承诺书"), url=reverse("pledges:detail", args=[row.source_id]))
    if kind == "repair" and row.key:
        return Fix(_("查看修复申请"), url=reverse("repair:detail", args=[row.key]))
    if kind == "company":
        name = company_names.get(row.company_id, "")
        if request.user.is_staff:
            url = reverse("admin:customers_company_change", args=[row.company_id])
            return Fix(_("设置%(company)s的登记信息") % {"company": name}, url=url)
        return Fix("", note=_("请联系系统管理员设置"))
    if kind == "notice" and account:
        try:
            post_url = reverse("reporting:notice_new", args=[account])
        except NoReverseMatch:  # the notice pages are not wired: the credit file shows the customer's notices
            return Fix(_("告知书"), url=reverse("customers:detail", args=[account]))
        breach = row.sheet == Sheet.FULFILMENT
        return Fix(
            _("生成违诺告知书") if breach else _("生成告知书"),
            post_url=post_url,
            pledge=row.source_id if breach else None,
            next_url=reverse("customers:detail", args=[account]),
        )
    return None


def shown_rows(rows, request: HttpRequest, company_names: dict[int, str], *, returned: bool = False) -> list[ShownRow]:
    out = []
    for row in rows:
        reasons = [f"{r.get('column', '')}: {r.get('reason', '')}" for r in (row.reasons or [])]
        kinds = [r.get("fix", "") for r in (row.reasons or [])]
        if returned:
            # The platform's reason names no record: the row's own record, and the customer's file.
            kinds = {Sheet.PLEDGE: ["pledge"], Sheet.FULFILMENT: ["pledge"], Sheet.REPAIR: ["repair"]}.get(
                row.sheet, []
            ) + ["customer"]
        fixes, seen = [], set()
        for kind in kinds:
            if kind in seen:
                continue
            seen.add(kind)
            fix = _fix(kind, row, request, company_names)
            if fix is not None:
                fixes.append(fix)
        out.append(
            ShownRow(
                row=row,
                sheet_label=str(SHEET_LABELS.get(row.sheet, "")),
                key_label=str(SHEET_KEYS.get(row.sheet, "")),
                company_name=company_names.get(row.company_id, ""),
                reasons=reasons,
                fixes=fixes,
            )
        )
    return out


# --- pages -----------------------------------------------------------------------------------------


def _list_context(request: HttpRequest, scope: Scope, form: BuildForm | None) -> dict:
    batches = Batch.objects.select_related("built_by", "exported_by", "submitted_by", "accepted_by").order_by(
        "-period", "-number"
    )
    page = Paginator(batches, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    items = [
        {
            "batch": b,
            "counts": sheet_counts(b.counts, scope.ids),
            "built_by": builder_name(b),
            "exported_by": person(b.exported_by),
            "submitted_by": person(b.submitted_by),
            "status_badge": STATUS_BADGES.get(b.status, "text-bg-secondary"),
            "build_badge": BUILD_BADGES.get(b.build_state, "text-bg-secondary"),
        }
        for b in page
    ]
    return {
        "page": page,
        "items": items,
        "sheets": [str(SHEET_LABELS[s]) for s in SHEET_ORDER],
        "form": form if form is not None else (BuildForm() if scope.can_act else None),
        "scope": scope,
    }


@role_required(READ)
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    return render(request, "reporting/batch_list.html", _list_context(request, scope, None))


@role_required(SUPERVISOR_WORK)
@require_POST
def build(request: HttpRequest) -> HttpResponse:
    """生成批次 / 重新生成: queue the build of the period; a bad period shows the form again."""
    scope = scope_of(request)
    require_actor(scope)
    form = BuildForm(request.POST)
    if not form.is_valid():
        return render(request, "reporting/batch_list.html", _list_context(request, scope, form), status=400)
    period = form.cleaned_data["period"]
    try:
        batch = services.start_build(period, user=request.user)
    except services.BatchError as exc:
        messages.warning(request, str(exc))
        draft = Batch.objects.filter(period=period, status=BatchStatus.DRAFT).first()
        return redirect(draft if draft is not None else "reporting:batches")
    batch.refresh_from_db(fields=["build_state"])
    if batch.build_state == BuildState.FAILED:  # the broker could not take it: the page says why
        return redirect(batch)
    messages.success(
        request,
        _("已开始生成 %(period)s 的报送批次 %(number)s，完成后本页显示暂缓报送的行和下载文件。")
        % {"period": batch.period_label, "number": batch.number},
    )
    return redirect(batch)


def get_batch(number: str) -> Batch:
    return get_object_or_404(
        Batch.objects.select_related("built_by", "exported_by", "submitted_by", "accepted_by", "rating_run"),
        number=number,
    )


def progress_of(batch: Batch) -> dict:
    finished = batch.build_state in (BuildState.DONE, BuildState.FAILED)
    return {
        "number": batch.number,
        "state": batch.build_state,
        "state_label": str(batch.get_build_state_display()),
        "done": batch.build_done,
        "total": batch.build_total,
        "percent": batch.percent if batch.build_state != BuildState.QUEUED else 0,
        "finished": finished,
        "failed": batch.build_state == BuildState.FAILED,
    }


def _timeline(batch: Batch, return_file: ReturnFile | None) -> list[dict]:
    steps = [
        {"label": _("生成"), "who": builder_name(batch), "at": batch.built_at},
        {"label": _("导出"), "who": person(batch.exported_by), "at": batch.exported_at},
        {"label": _("报送"), "who": person(batch.submitted_by), "at": batch.submitted_at},
    ]
    if batch.accepted_at or batch.status != BatchStatus.RETURNED:
        steps.append({"label": _("平台接收"), "who": person(batch.accepted_by), "at": batch.accepted_at})
    if batch.returned_at or return_file is not None:
        who = ""
        if return_file is not None:
            who = person(return_file.imported_by) if return_file.imported_by_id else _("命令行导入")
        steps.append({"label": _("平台退回（导入退回文件）"), "who": who, "at": batch.returned_at})
    return steps


@role_required(READ)
@require_GET
def batch_detail(request: HttpRequest, number: str) -> HttpResponse:
    """A fixed number of queries, whatever the rows: the batch, the companies, the refusals, two pages."""
    scope = scope_of(request)
    batch = get_batch(number)
    names = {c.pk: c.name for c in scope.companies}

    sheet = request.GET.get("sheet", "")
    if sheet not in SHEET_ORDER:
        sheet = ""
    held = services.held_rows(batch, scope.ids)
    if sheet:
        held = held.filter(sheet=sheet)
    held_page = Paginator(held, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
    returned_page = Paginator(returns.returned_rows(batch, scope.ids), ROWS_PAGE_SIZE).get_page(
        request.GET.get("rpage")
    )
    return_file = None
    if batch.is_reported:
        return_file = (
            ReturnFile.objects.filter(rows__batch=batch)
            .select_related("imported_by")
            .order_by("-imported_at", "-id")
            .first()
        )

    actions = []
    if scope.can_act:
        for action in ("export", "submit", "accept"):
            actions.append(
                {"action": action, "label": ACTION_LABELS[action], "refusal": services.refusal(batch, action)}
            )
    building = batch.build_state in (BuildState.QUEUED, BuildState.RUNNING)
    can_download = scope.can_act and batch.build_state == BuildState.DONE and bool(batch.xlsx)
    can_rebuild = scope.can_act and batch.status == BatchStatus.DRAFT and not building
    query = request.GET.copy()
    query.pop("page", None)
    rquery = request.GET.copy()
    rquery.pop("rpage", None)
    return render(
        request,
        "reporting/batch_detail.html",
        {
            "batch": batch,
            "error_detail": batch.build_error_detail if jobs.may_see_error_detail(request.user) else "",
            "scope": scope,
            "status_badge": STATUS_BADGES.get(batch.status, "text-bg-secondary"),
            "build_badge": BUILD_BADGES.get(batch.build_state, "text-bg-secondary"),
            "timeline": _timeline(batch, return_file),
            "counts": sheet_counts(batch.counts, scope.ids),
            "company_counts": company_counts(batch, scope.companies),
            "progress": progress_of(batch),
            "building": building,
            "sheet": sheet,
            "sheet_tabs": [(s, str(SHEET_LABELS[s])) for s in SHEET_ORDER],
            "held_page": held_page,
            "held_rows": shown_rows(held_page, request, names),
            "returned_page": returned_page,
            "returned_rows": shown_rows(returned_page, request, names, returned=True),
            "actions": actions,
            "can_download": can_download,
            "is_preview": batch.status == BatchStatus.DRAFT,
            "can_rebuild": can_rebuild,
            "has_buttons": can_download or can_rebuild or any(not a["refusal"] for a in actions),
            "can_upload_return": scope.can_act
            and batch.status in (BatchStatus.EXPORTED, BatchStatus.SUBMITTED, BatchStatus.RETURNED),
            "query": query.urlencode(),
            "rquery": rquery.urlencode(),
        },
    )


@role_required(READ)
@require_GET
def progress(request: HttpRequest, number: str) -> JsonResponse:
    scope_of(request)
    batch = get_object_or_404(Batch, number=number)
    response = JsonResponse(progress_of(batch))
    response["Cache-Control"] = "no-store"
    return response


@role_required(SUPERVISOR_WORK)
@require_POST
def transition(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """导出并下载 / 标记为已报送 / 标记为已接收; a refused one says why and changes nothing."""
    if action not in ACTIONS:
        raise Http404(_("没有这个操作"))
    scope = scope_of(request)
    require_actor(scope)
    batch = get_object_or_404(Batch, number=number)
    try:
        batch = ACTIONS[action](batch, user=request.user)
    except services.BatchError as exc:
        messages.error(request, str(exc))
        return redirect(batch)
    if action == "export":
        # The page reloads itself after the download starts (static/js/batch_progress.js).
        return redirect("reporting:batch_file", number=batch.number, kind="xlsx")
    messages.success(
        request,
        _("批次 %(number)s 的状态已改为“%(status)s”") % {"number": batch.number, "status": batch.get_status_display()},
    )
    return redirect(batch)


@role_required(SUPERVISOR_WORK)
@require_GET
def download(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    """The stored workbook or CSV zip; a draft's are a preview (only the 导出并下载 button exports)."""
    if kind not in FILE_KINDS:
        raise Http404(_("没有这种文件"))
    scope = scope_of(request)
    require_actor(scope)
    batch = get_object_or_404(Batch, number=number)
    attr, name, content_type = FILE_KINDS[kind]
    stored = getattr(batch, attr)
    if batch.build_state != BuildState.DONE or not stored:
        raise Http404(_("批次 %(number)s 的文件尚未生成") % {"number": batch.number})
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=name.format(number=batch.number), content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
