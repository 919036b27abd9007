"""Django admin for administrators: users with their roles and companies, companies, and a
read-only view of the credit records and the audit log.

Credit records are never deleted here: bills and events are read-only (events are voided
with a reason on the customer page), and the audit log cannot be added to, changed or
deleted. Changes to a customer made here are written to the audit log like any other.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import AuditEntry, Bill, Company, Customer, Event
from .uscc import uscc_error
from .validation import TextRulesAdminMixin


class ReadOnlyAdminMixin:
    """View only: no add, no change, no delete."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Users: role (group) and company membership on one page ----------------------------------


Membership = Company.members.through
# The auto-created through model has no __str__ of its own; the inline shows it above each row.
Membership.__str__ = lambda self: str(self.company)


class CompanyMembershipInline(TextRulesAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    verbose_name = _("所属公司")
    verbose_name_plural = _("所属公司（客服专员只能看到所属公司的客户）")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "company":
            field.label = _("供水公司")
            # Companies are managed on their own page, not from a user's.
            for flag in ("can_add_related", "can_change_related", "can_view_related", "can_delete_related"):
                setattr(field.widget, flag, False)
        return field


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(TextRulesAdminMixin, DjangoUserAdmin):
    inlines = [CompanyMembershipInline]
    list_display = ("username", "first_name", "role_list", "company_list", "is_active", "is_staff", "last_login")
    list_filter = ("groups", "companies", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups", "companies")

    @admin.display(description=_("角色"))
    def role_list(self, obj: User) -> str:
        from .roles import ROLE_LABELS

        return "、".join(str(ROLE_LABELS.get(g.name, g.name)) for g in obj.groups.all())

    @admin.display(description=_("所属公司"))
    def company_list(self, obj: User) -> str:
        return "、".join(c.name for c in obj.companies.all())


# --- Companies ------------------------------------------------------------------------------


@admin.register(Company)
class CompanyAdmin(TextRulesAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "registered_name", "uscc", "member_count")
    filter_horizontal = ("members",)
    readonly_fields = ("code",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("members"))

    @admin.display(description=_("员工数"), ordering="_members")
    def member_count(self, obj: Company) -> int:
        return obj._members

    def has_add_permission(self, request) -> bool:
        return False  # the two companies are created by a migration

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Customers ------------------------------------------------------------------------------


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = "__all__"

    def clean_uscc(self) -> str:
        value = self.cleaned_data["uscc"]
        error = uscc_error(value)
        if error:
            raise forms.ValidationError(error)
        return value


class BillInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Bill
    fields = ("period", "amount", "due_on", "paid_on", "repaired_at")
    readonly_fields = fields
    ordering = ("-period",)
    max_num = 0
    show_change_link = False
    classes = ("collapse",)


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Event
    fk_name = "customer"
    fields = ("ref", "type", "occurred_on", "detail_text", "voided_at", "void_reason", "repaired_at")
    readonly_fields = fields
    max_num = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(TextRulesAdminMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ("account_no", "name", "uscc", "kind", "company", "payment_mode", "opened_on")
    list_filter = ("company", "payment_mode", "kind", ("opened_on", admin.DateFieldListFilter))
    search_fields = ("=account_no", "name", "=uscc")
    list_select_related = ("company",)
    readonly_fields = ("kind", "created_at", "updated_at")
    date_hierarchy = "opened_on"
    list_per_page = 50
    show_full_result_count = False  # a count(*) over a million customers on every page is slow
    inlines = [EventInline, BillInline]
    fieldsets = (
        (None, {"fields": ("account_no", "name", "uscc", "kind", "company", "opened_on", "payment_mode")}),
        (_("联系信息"), {"fields": ("legal_representative", "phone", "address")}),
        (_("记录"), {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The account number is the import key: it never changes once the account exists.
        return ("account_no", *fields) if obj is not None else fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a credit file is never deleted

    def save_model(self, request, obj: Customer, form, change: bool) -> None:
        before = audit.snapshot(Customer.objects.get(pk=obj.pk)) if change else None
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        with audit.acting_as(user=request.user):
            audit.record(
                AuditEntry.UPDATE if change else AuditEntry.CREATE,
                obj,
                before,
                audit.snapshot(obj),
                note=str(_("在管理后台修改")) if change else str(_("在管理后台新建")),
            )


# --- Bills and events: read-only ----------------------------------------------------------


@admin.register(Bill)
class BillAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "period", "amount", "due_on", "paid_on", "repaired_at")
    list_filter = ("customer__company", ("paid_on", admin.EmptyFieldListFilter))
    search_fields = ("=customer__account_no", "=period")
    list_select_related = ("customer",)
    show_full_result_count = False


class VoidedFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("有效")), ("voided", _("已作废")), ("repaired", _("已修复"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.active()
        if self.value() == "voided":
            return queryset.filter(voided_at__isnull=False)
        if self.value() == "repaired":
            return queryset.filter(repaired_at__isnull=False)
        return queryset


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ref", "customer", "type", "occurred_on", "detail_text", "state", "created_by")
    list_filter = (VoidedFilter, "type", "customer__company", "force_majeure", "severity")
    search_fields = ("=ref", "=customer__account_no", "customer__name")
    list_select_related = ("customer", "created_by")
    date_hierarchy = "occurred_on"
    show_full_result_count = False

    @admin.display(description=_("状态"))
    def state(self, obj: Event) -> str:
        if obj.is_voided:
            return str(_("已作废"))
        if obj.is_repaired:
            return str(_("已修复"))
        return str(_("有效"))


# --- Audit log: read-only, no exceptions -------------------------------------------------------


def _audit_formatter(entries):
    from .views.files import HistoryFormatter

    return HistoryFormatter(list(entries))


def _audit_model_names() -> list[str]:
    """The names the audit log gives the models it records (AuditEntry.model)."""
    from .views.files import audited_models

    names = dict.fromkeys(audited_models())
    for model in apps.get_models():
        if "audit_model_name" in model.__dict__:
            names[model.audit_model_name] = None
    return list(names)


class AuditModelFilter(admin.SimpleListFilter):
    title = _("对象类型")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        from .views.files import model_label

        return [(name, model_label(name)) for name in _audit_model_names()]

    def queryset(self, request, queryset):
        return queryset.filter(model=self.value()) if self.value() else queryset


class AuditActorFilter(admin.SimpleListFilter):
    title = _("操作者")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        labels = list(AuditEntry.objects.order_by("actor").values_list("actor", flat=True).distinct())
        people = {
            u.get_username(): audit.person_name(u)
            for u in User.objects.filter(username__in=[a for a in labels if not audit.is_system_actor(a)])
        }
        return [(label, audit.actor_label(label, people.get(label))) for label in labels]

    def queryset(self, request, queryset):
        return queryset.filter(actor=self.value()) if self.value() else queryset


class _Named:
    """An entry as the change page's breadcrumb names it."""

    def __init__(self, pk: int, words: str) -> None:
        self.pk, self.words = pk, words

    def __str__(self) -> str:
        return self.words


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at_local", "actor_display", "action", "model_label", "object_display", "customer", "note")
    list_filter = ("action", AuditModelFilter, AuditActorFilter)
    search_fields = ("=object_id",)
    list_select_related = ("customer",)
    date_hierarchy = "at"
    show_full_result_count = False
    fields = (
        "at_local",
        "actor_display",
        "action",
        "model_label",
        "object_display",
        "customer",
        "change_table",
        "note",
    )
    readonly_fields = fields

    def get_actions(self, request):
        return {}  # not even "delete selected"

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One formatter for the page: the records and people the entries name, a query per kind.
        formatter = _audit_formatter(changelist.result_list)
        for entry in changelist.result_list:
            entry._formatter = formatter
        return changelist

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:  # the title and breadcrumb in words, not AuditEntry.__str__'s codes
            fmt = self._fmt(obj)
            words = f"{self.at_local(obj)} {fmt.actor(obj)} {obj.get_action_display()} {fmt.object(obj)}"
            context.update({"subtitle": words, "original": _Named(obj.pk, words)})
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _fmt(self, obj: AuditEntry):
        if getattr(obj, "_formatter", None) is None:
            obj._formatter = _audit_formatter([obj])
        return obj._formatter

    @admin.display(description=_("时间"), ordering="at")
    def at_local(self, obj: AuditEntry) -> str:
        return timezone.localtime(obj.at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("操作者"), ordering="actor")
    def actor_display(self, obj: AuditEntry) -> str:
        return self._fmt(obj).actor(obj)

    @admin.display(description=_("对象类型"), ordering="model")
    def model_label(self, obj: AuditEntry) -> str:
        from .views.files import model_label

        return model_label(obj.model)

    @admin.display(description=_("对象"), ordering="object_id")
    def object_display(self, obj: AuditEntry) -> str:
        return self._fmt(obj).object(obj).removeprefix(self.model_label(obj)).strip()

    @admin.display(description=_("变更内容"))
    def change_table(self, obj: AuditEntry) -> str:
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            self._fmt(obj).changes(obj),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("字段"),
            _("修改前"),
            _("修改后"),
            rows,
        )

    # --- 导出 Excel / CSV: the changelist's rows under its filters, search and date drill-down ---------

    EXPORT_COLUMNS = ("时间", "操作者", "操作", "对象类型", "对象", "客户", "备注")
    EXPORT_FORMATTER_CHUNK = 500

    def get_urls(self):
        from django.urls import path

        # cacheable: the response sets its own "private, no-store" (never_cache would add to it)
        export = self.admin_site.admin_view(self.export_view, cacheable=True)
        return [
            path("export/<str:fmt>/", export, name="customers_auditentry_export"),
            *super().get_urls(),
        ]

    def export_view(self, request, fmt: str):
        """The filtered changelist as a file (customers/exports.py): the same ChangeList the page builds
        from the query string, every matching entry streamed, named as the page names them."""
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        from . import exports
        from .views.files import model_label

        if fmt not in exports.FORMATS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = admin.ModelAdmin.get_changelist_instance(self, request)
        entries = changelist.get_queryset(request).select_related("customer")
        actions = dict(AuditEntry._meta.get_field("action").flatchoices)

        def rows():
            chunk: list[AuditEntry] = []

            def flush():
                formatter = _audit_formatter(chunk)
                for e in chunk:
                    obj = formatter.object(e).removeprefix(model_label(e.model)).strip()
                    customer = f"{e.customer.account_no} {e.customer.name}" if e.customer_id else ""
                    action = str(actions.get(e.action, e.action))
                    yield [e.at, formatter.actor(e), action, model_label(e.model), obj, customer, e.note]

            for entry in entries.iterator(chunk_size=exports.CHUNK_SIZE):
                chunk.append(entry)
                if len(chunk) >= self.EXPORT_FORMATTER_CHUNK:
                    yield from flush()
                    chunk = []
            if chunk:
                yield from flush()

        return exports.export_response(fmt, str(_("审计日志")), self.EXPORT_COLUMNS, rows())
