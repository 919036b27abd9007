"""The import page: upload a customers, bills or events file and import it all or nothing.

The upload lands in a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE is small) and is
streamed by the same importer as `manage.py import_records`, limited to the companies the
user belongs to; the request's user is the audit actor (AuditActorMiddleware).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..forms_import import KIND_CHOICES, ImportForm
from ..importer import SPECS, ImportFileError, ImportResult, run_import, sample
from ..roles import CLERK_WORK, role_required

MAX_ERRORS_SHOWN = 1000


@role_required(CLERK_WORK)
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The .xlsx template of one kind: its headers, an example row and a sheet of allowed values."""
    if kind not in SPECS:
        raise Http404(_("没有这种导入模板"))
    response = HttpResponse(sample.template_workbook(kind), content_type=sample.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{sample.template_filename(kind)}"'
    return response


@role_required(CLERK_WORK)
def import_records(request: HttpRequest) -> HttpResponse:
    """GET: the form and the column guide. POST: import; success redirects with a summary
    message, failure shows every bad row (up to MAX_ERRORS_SHOWN) and writes nothing."""
    result: ImportResult | None = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            upload = form.cleaned_data["file"]
            try:
                with uploaded_path(upload) as path:
                    result = run_import(
                        kind, path, user=request.user, fmt=form.file_format(upload.name), filename=upload.name
                    )
            except ImportFileError as e:
                form.add_error("file", str(e))
            else:
                if result.ok:
                    messages.success(request, success_message(kind, result))
                    return redirect("customers:import")
    else:
        form = ImportForm()
    context = {
        "form": form,
        "result": result,
        "errors_shown": result.errors[:MAX_ERRORS_SHOWN] if result else [],
        "max_errors_shown": MAX_ERRORS_SHOWN,
        "guide": column_guide(),
        "date_formats": sample.date_formats_text(),
    }
    return render(request, "customers/import.html", context, status=200)


def success_message(kind: str, result: ImportResult) -> str:
    return _("%(kind)s导入完成:%(created)d 条新建, %(updated)d 条更新, %(unchanged)d 条未变") % {
        "kind": dict(KIND_CHOICES)[kind],
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }


@contextlib.contextmanager
def uploaded_path(upload: UploadedFile) -> Iterator[str]:
    """A file-system path for the upload: Django's temporary file, or a copy of a small
    in-memory upload, removed afterwards."""
    if hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path()
        return
    suffix = os.path.splitext(upload.name or "")[1]
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        yield handle.name


def column_guide() -> list[dict]:
    """Each kind's columns (with their formats) and allowed values for the page's guide."""
    labels = dict(KIND_CHOICES)
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
