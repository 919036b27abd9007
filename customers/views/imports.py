"""The import page and the import history: upload a customers, bills or events file, which is
stored and imported all or nothing by a Celery worker (customers.import_jobs); the job's page
shows its progress, then its result; the history lists every import, the page's and
`import_records`'s, with the error list of an invalid file as a CSV or Excel download.

The upload lands in a temporary file (never in memory), hashed as it arrives and cut off past
IMPORT_MAX_UPLOAD_BYTES (forms_import.HashingUploadHandler), then moved under MEDIA_ROOT until
the job has run. The importer is limited to the companies of the user who uploaded.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .. import exports, import_jobs
from ..forms_import import HashingUploadHandler, ImportForm, upload_limit_text, upload_sha256
from ..importer import SPECS, sample
from ..models import ImportJob
from ..roles import CLERK_WORK, role_required

MAX_ERRORS_SHOWN = 1000
HISTORY_PAGE_SIZE = 50


@role_required(CLERK_WORK)
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The .xlsx template of one kind: its headers, an example row and a sheet of allowed values."""
    if kind not in SPECS:
        raise Http404(_("没有这种导入模板"))
    response = HttpResponse(sample.template_workbook(kind), content_type=sample.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{sample.template_filename(kind)}"'
    return response


@csrf_exempt  # the upload handler must be set before the CSRF check reads the body; checked below
@role_required(CLERK_WORK)
def import_records(request: HttpRequest) -> HttpResponse:
    handler = HashingUploadHandler(request)
    request.upload_handlers = [handler]
    return _import_page(request, handler)


@csrf_protect
def _import_page(request: HttpRequest, handler: HashingUploadHandler) -> HttpResponse:
    """GET: the form and the column guide. POST: store the file, queue its import and show the job."""
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, too_large=handler.too_large)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = import_jobs.submit(
                kind=form.cleaned_data["kind"], upload=upload, user=request.user, sha256=upload_sha256(upload)
            )
            return redirect(job)
    else:
        form = ImportForm()
    context = {
        "form": form,
        "guide": column_guide(),
        "date_formats": sample.date_formats_text(),
        "upload_limit": upload_limit_text(),
        "recent": import_jobs.visible_jobs(request.user).filter(user=request.user)[:5],
    }
    return render(request, "customers/import.html", context)


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    job = import_jobs.visible_jobs(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404(_("没有这条导入记录"))
    return job


def _job_scope(request: HttpRequest, pk: int, **_url_kwargs) -> None:
    """`role_required`'s scope: another company's import is 404 before a missing role is 403."""
    _job_or_404(request, pk)


@role_required(CLERK_WORK, scope=_job_scope)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its progress while queued or running (the page polls `import_job_progress`), then
    its result: the counts, or every error (the first MAX_ERRORS_SHOWN shown, all in the download)."""
    job = _job_or_404(request, pk)
    errors = list(job.errors.order_by("id")[:MAX_ERRORS_SHOWN]) if job.state == ImportJob.State.INVALID else []
    context = {
        "job": job,
        "progress": progress_of(job),
        "errors_shown": errors,
        "max_errors_shown": MAX_ERRORS_SHOWN,
    }
    return render(request, "customers/import_job.html", context)


def progress_of(job: ImportJob) -> dict:
    return {
        "state": job.state,
        "state_label": job.get_state_display(),
        "phase": job.phase,
        "phase_label": job.get_phase_display(),
        "read": job.rows_read,
        "checked": job.rows_checked,
        "written": job.rows_written,
        "errors": job.error_count,
        "finished": job.finished,
    }


@role_required(CLERK_WORK, scope=_job_scope)
def import_job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    response = JsonResponse(progress_of(_job_or_404(request, pk)))
    response["Cache-Control"] = "no-store"
    return response


@role_required(CLERK_WORK, scope=_job_scope)
def import_job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The error list of an invalid import as a file (`?export=csv|xlsx`): row, column, reason."""
    job = _job_or_404(request, pk)
    fmt = exports.requested(request)
    if fmt is None or job.state != ImportJob.State.INVALID:
        raise Http404(_("这次导入没有错误清单"))
    stem = _("导入错误-%(name)s") % {"name": job.file_name.rsplit(".", 1)[0]}
    return exports.export_response(fmt, stem, [_("行号"), _("列"), _("原因")], import_jobs.iter_errors(job))


@role_required(CLERK_WORK)
def import_history(request: HttpRequest) -> HttpResponse:
    """Every import the user may see, newest first."""
    page = Paginator(import_jobs.visible_jobs(request.user), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/import_history.html", {"page": page, "jobs": page.object_list})


def column_guide() -> list[dict]:
    """Each kind's columns (with their formats) and allowed values for the page's guide."""
    labels = dict(ImportJob.KIND_CHOICES)
    guide = []
    for kind, spec in SPECS.items():
        hints = sample.column_hints(kind)
        guide.append(
            {
                "kind": kind,
                "label": labels[kind],
                "columns": [
                    {"name": c.name, "zh": c.zh, "required": c.required, "hint": hints[c.name]} for c in spec.columns
                ],
                "allowed": sample.allowed_values(kind),
            }
        )
    return guide
