"""Uploading the platform's return file on a batch page.

The file goes through the same `reporting.returns.import_return` as the `import_return` command: all
or nothing; the request's user is the audit actor (AuditActorMiddleware). A return file may name rows
of both companies (and of other batches than this one), so only a supervisor who sees every company
may import it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Company, company_ids_for
from customers.roles import SUPERVISOR_WORK, role_required

from ..forms import ReturnUploadForm
from ..models import Batch, BatchStatus
from ..returns import ReturnFileError, import_return

MAX_ERRORS_SHOWN = 20


def batch_url(number: str) -> str:
    try:
        return reverse("reporting:batch", args=[number])
    except NoReverseMatch:  # the batch page is not wired yet
        return f"/reporting/batches/{number}/"


def sees_every_company(user) -> bool:
    return set(Company.objects.values_list("id", flat=True)) <= set(company_ids_for(user))


@role_required(SUPERVISOR_WORK)
@require_POST
def upload(request: HttpRequest, number: str) -> HttpResponse:
    batch = get_object_or_404(Batch, number=number)
    back = batch_url(batch.number)
    if not sees_every_company(request.user):
        messages.error(request, _("退回文件可能涉及各供水公司的报送行，只有可查看全部供水公司的审核主管可以导入"))
        return redirect(back)
    if batch.status == BatchStatus.DRAFT:
        messages.error(request, _("批次 %(number)s 还是草稿，尚未导出，不能导入退回文件") % {"number": batch.number})
        return redirect(back)
    form = ReturnUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    upload_file = form.cleaned_data["file"]
    try:
        result = import_return(upload_file, name=upload_file.name, user=request.user)
    except ReturnFileError as e:
        messages.error(request, error_message(e))
        return redirect(back)
    if result.duplicate:
        messages.info(request, result.message())
    else:
        messages.success(request, result.message())
    return redirect(back)


def error_message(error: ReturnFileError):
    """The reason, and the first bad lines, one a line (escaped)."""
    if not error.errors:
        return _("退回文件未导入：%(reason)s") % {"reason": error}
    shown = error.errors[:MAX_ERRORS_SHOWN]
    head = _("退回文件未导入：%(reason)s") % {"reason": error}
    if len(error.errors) > len(shown):
        head += _("（只列出前 %(count)d 行）") % {"count": len(shown)}
    return format_html("{}{}", head, format_html_join("", "<br>{}", ((e.display,) for e in shown)))
