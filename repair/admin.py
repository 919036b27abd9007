"""Admin: working-day overrides are edited here; requests and their evidence are read-only (they
change only through the workflow's services, which log every step)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from customers.admin import ReadOnlyAdminMixin
from customers.validation import TextRulesAdminMixin

from .models import Evidence, RepairRequest, RestrictionRelease, WorkdayOverride
from .workdays import library_years


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(TextRulesAdminMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["note"]

    def changelist_view(self, request, extra_context=None):
        first, last = library_years()
        self.message_user(
            request,
            _(
                "节假日库已包含 %(first)s–%(last)s 年的国务院放假安排（含调休上班日）；"
                "其后年份请在此录入放假日期（不勾选“是工作日”）和调休上班日期（勾选）。此处的日期优先于节假日库。"
            )
            % {"first": first, "last": last},
            level=messages.INFO,
        )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("星期"))
    def weekday(self, obj: WorkdayOverride) -> str:
        return "一二三四五六日"[obj.date.weekday()]


class EvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["purpose", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(RepairRequest)
class RepairRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "kind", "customer", "company", "status", "submitted_at", "accept_by", "decide_by"]
    list_filter = ["kind", "status", "company", "queued_for_report"]
    search_fields = ["number", "customer__account_no", "customer__name"]
    list_select_related = ["customer", "company"]
    inlines = [EvidenceInline]


@admin.register(RestrictionRelease)
class RestrictionReleaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "request", "released_on", "level_before", "level_after", "released_by"]
    list_select_related = ["customer", "request", "released_by"]
