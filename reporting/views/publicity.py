"""宣传与工作动态 pages: the list per company and month (filters, export), logging an item, an item's page
and its files. Scoped to the user's companies (`reporting.publicity.visible_items`); READ to read,
CLERK_WORK to log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from customers import exports
from customers.roles import CLERK_WORK, READ, role_required

from .. import publicity as service
from ..cases import can_write
from ..forms_publicity import PublicityFilter, PublicityForm
from ..models_publicity import PublicityFile, PublicityItem

PAGE_SIZE = 50


def get_item(request: HttpRequest, number: str) -> PublicityItem:
    return get_object_or_404(
        service.visible_items(request.user).select_related("company", "occasion", "created_by"), number=number
    )


@role_required(READ)
def item_list(request: HttpRequest) -> HttpResponse:
    base = (
        service.visible_items(request.user)
        .select_related("company", "occasion", "created_by")
        .order_by("-published_on", "-id")
    )
    item_filter = PublicityFilter(request.GET or None, queryset=base, request=request)
    valid = not item_filter.is_bound or item_filter.is_valid()
    queryset = item_filter.qs if item_filter.is_bound and valid else base
    if not valid:
        queryset = queryset.none()
    fmt = exports.requested(request)
    if fmt is not None:
        return exports.export_response(
            fmt, _("宣传与工作动态"), [str(c) for c in service.EXPORT_COLUMNS], service.export_rows(queryset)
        )
    page = Paginator(queryset.prefetch_related("files"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reporting/publicity_list.html",
        {
            "filter": item_filter,
            "page": page,
            "query": query.urlencode(),
            "export_links": exports.export_links(request),
            "can_write": can_write(request.user),
        },
    )


@role_required(CLERK_WORK)
def item_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PublicityForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                item = service.log_item(form.cleaned_data["company"], user=request.user, **form.item_fields())
            except ValidationError as exc:
                for name, msgs in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, msgs)
            else:
                messages.success(request, _("已登记 %(number)s。") % {"number": item.number})
                return redirect(item)
        return render(request, "reporting/publicity_form.html", {"form": form}, status=400)
    return render(request, "reporting/publicity_form.html", {"form": PublicityForm(user=request.user)})


@role_required(READ)
def item_detail(request: HttpRequest, number: str) -> HttpResponse:
    item = get_item(request, number)
    return render(request, "reporting/publicity_detail.html", {"item": item, "files": list(item.files.all())})


@role_required(READ)
def item_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    item = get_item(request, number)
    stored = get_object_or_404(PublicityFile, pk=pk, item=item)
    response = FileResponse(
        stored.file.open("rb"), content_type=stored.content_type, filename=stored.original_name, as_attachment=False
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
