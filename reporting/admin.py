"""Admin: batches, their rows and the platform's return files are read-only here; they change only through
`reporting.services` and `reporting.returns`, which lock, check and log every step."""

from __future__ import annotations

from django.contrib import admin

from customers.admin import ReadOnlyAdminMixin

from .models import Batch, BatchRow, ReturnFile
from .models_cases import CreditCase
from .models_checks import CheckMatter, CreditCheck
from .models_publicity import Occasion, PublicityItem
from .models_tracker import KeyTask, ProgressReport, TaskForceMember, Unit


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "period", "status", "build_state", "built_at", "exported_at", "submitted_at"]
    list_filter = ["status", "build_state"]
    search_fields = ["number"]
    date_hierarchy = "period"
    list_select_related = ["built_by", "exported_by", "submitted_by"]
    exclude = ["counts"]


@admin.register(BatchRow)
class BatchRowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["batch", "sheet", "position", "key", "company", "held", "returned_at"]
    list_filter = ["sheet", "held", "company"]
    search_fields = ["key", "batch__number"]
    list_select_related = ["batch", "company"]
    raw_id_fields = ["batch", "customer", "return_file"]
    show_full_result_count = False


@admin.register(ReturnFile)
class ReturnFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["original_name", "imported_at", "imported_by", "rows_marked"]
    search_fields = ["original_name", "sha256"]
    list_select_related = ["imported_by"]
    exclude = ["imported_by_label"]


# --- 信用核查 (issue 11) ------------------------------------------------------------------------


@admin.register(CheckMatter)
class CheckMatterAdmin(admin.ModelAdmin):
    """The business matters a check can be made for: administrators add them and retire old ones
    (停用); a matter used by a check cannot be deleted, only retired."""

    list_display = ["name", "position", "active"]
    list_editable = ["position", "active"]
    search_fields = ["name"]


@admin.register(CreditCheck)
class CreditCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "checked_on", "customer", "matter", "result", "usage", "created_by"]
    list_filter = ["result", "usage", "matter", "customer__company"]
    search_fields = ["number", "customer__account_no", "customer__name"]
    list_select_related = ["customer", "matter", "created_by"]
    raw_id_fields = ["customer", "event"]
    date_hierarchy = "checked_on"


@admin.register(CreditCase)
class CreditCaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: cases are written, reviewed and reported on their pages (reporting.cases)."""

    list_display = ["number", "occurred_on", "company", "kind", "title", "status", "created_by"]
    list_filter = ["kind", "status", "company"]
    search_fields = ["number", "title"]
    list_select_related = ["company", "created_by"]
    date_hierarchy = "occurred_on"


@admin.register(Occasion)
class OccasionAdmin(admin.ModelAdmin):
    """The occasions publicity is tied to (世界水日, 中国水周…): administrators add them and retire old ones."""

    list_display = ["name", "when", "position", "active"]
    list_editable = ["position", "active"]
    search_fields = ["name"]


@admin.register(PublicityItem)
class PublicityItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "published_on", "company", "kind", "title", "created_by"]
    list_filter = ["kind", "company", "occasion"]
    search_fields = ["number", "title"]
    list_select_related = ["company", "created_by"]
    date_hierarchy = "published_on"


# --- the task tracker's lists (附件1, 附件2): loaded from the document, edited here ------------------


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "position"]
    list_editable = ["position"]


@admin.register(TaskForceMember)
class TaskForceMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "unit", "position"]
    list_editable = ["position"]
    list_select_related = ["unit"]


@admin.register(KeyTask)
class KeyTaskAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "responsible", "active"]
    list_editable = ["active"]
    filter_horizontal = ["units"]
    search_fields = ["title", "content"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: reports change only through reporting.tracker (submit, revise, comment), which log each step."""

    list_display = ["month", "unit", "task", "status", "reported_by", "reported_at", "commented_by"]
    list_filter = ["status", "unit", "month"]
    list_select_related = ["unit", "task", "reported_by", "commented_by"]
