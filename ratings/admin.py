"""Django admin for ratings: supervision measures are edited here by administrators; runs and
overrides are shown read-only (runs are started from the app or by the schedule, overrides
are set and revoked on the credit file, where they are logged)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from customers.admin import ReadOnlyAdminMixin
from customers.validation import TextRulesAdminMixin

from .models import LevelOverride, RatingRun, SupervisionMeasure


@admin.register(SupervisionMeasure)
class SupervisionMeasureAdmin(TextRulesAdminMixin, admin.ModelAdmin):
    list_display = ("text", "level", "position", "active")
    list_display_links = ("text",)
    list_editable = ("position", "active")
    list_filter = ("level", "active")
    search_fields = ("text",)
    ordering = ("level", "position", "id")
    fields = ("level", "text", "position", "active")


@admin.register(RatingRun)
class RatingRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("as_of", "status", "trigger", "started_by", "done", "total", "result_count", "finished_at")
    list_filter = ("status", "trigger")
    date_hierarchy = "as_of"
    list_select_related = ("started_by",)
    readonly_fields = (
        "as_of",
        "status",
        "trigger",
        "started_by",
        "created_at",
        "started_at",
        "finished_at",
        "total",
        "done",
        "chunks_total",
        "chunks_done",
        "attempt",
        "error",
        "result_count",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_result_count=Count("results"))

    @admin.display(description=_("结果数"), ordering="_result_count")
    def result_count(self, obj: RatingRun) -> int:
        return obj._result_count


@admin.register(LevelOverride)
class LevelOverrideAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "level", "starts_on", "ends_on", "created_by", "revoked_at", "reason")
    list_filter = ("level", "starts_on")
    search_fields = ("=customer__account_no", "customer__name")
    list_select_related = ("customer", "created_by")
    raw_id_fields = ("customer",)
    fields = (
        "customer",
        "level",
        "reason",
        "starts_on",
        "ends_on",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
    )
    readonly_fields = fields
