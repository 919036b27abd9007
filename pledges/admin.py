"""Django admin for pledges: template versions are published here (a new version only: a published
version is never changed or deleted); pledges and batches are shown read-only (they change only
through the pages, where every transition is logged)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.admin import ReadOnlyAdminMixin
from customers.validation import TextRulesAdminMixin

from . import services
from .models import Pledge, PledgeBatch, PledgeKind, PledgeTemplate


class PledgeTemplateForm(forms.ModelForm):
    """The clauses as one clause per line."""

    clauses_text = forms.CharField(
        label=_("承诺条款"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
        help_text=_("每行一条，按顺序"),
        # Line breaks and spaces around the clauses come on top of the 4,000 characters of content
        # that check_template_fields allows; that check names the real limit.
        max_length=8000,
    )

    class Meta:
        model = PledgeTemplate
        fields = ("kind", "title", "intro", "preamble", "consequences_index", "reason", "disclosure")
        widgets = {"intro": forms.Textarea(attrs={"rows": 2, "cols": 100})}

    def clean(self):
        data = super().clean()
        clauses = [line.strip() for line in (data.get("clauses_text") or "").splitlines() if line.strip()]
        data["clauses"] = clauses
        try:
            services.check_template_fields(
                intro=data.get("intro") or "",
                clauses=clauses,
                consequences_index=data.get("consequences_index"),
                title=data.get("title") or "",
                preamble=data.get("preamble") or "",
            )
        except ValidationError as exc:
            errors = exc.message_dict
            if "clauses" in errors:
                errors["clauses_text"] = errors.pop("clauses")
            raise ValidationError(errors) from exc
        return data


@admin.register(PledgeTemplate)
class PledgeTemplateAdmin(TextRulesAdminMixin, admin.ModelAdmin):
    form = PledgeTemplateForm
    list_display = ("kind", "version", "title", "consequences_index", "disclosure", "published_at", "published_by")
    list_filter = ("kind",)
    ordering = ("kind", "-version")
    readonly_fields = ("version", "clauses_list", "published_at", "published_by")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a published version is never edited: publish a new one

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kind", "title", "intro", "preamble", "clauses_text", "consequences_index", "reason", "disclosure")
        return (
            "kind",
            "version",
            "title",
            "intro",
            "preamble",
            "clauses_list",
            "consequences_index",
            "reason",
            "disclosure",
            "published_at",
            "published_by",
        )

    @admin.display(description=_("承诺条款"))
    def clauses_list(self, obj: PledgeTemplate) -> str:
        return "\n".join(obj.clauses)

    def get_changeform_initial_data(self, request):
        """A new version starts as a copy of the latest version of its kind (?kind=…)."""
        kind = request.GET.get("kind") or PledgeKind.VOLUNTARY
        latest = PledgeTemplate.objects.filter(kind=kind).order_by("-version").first()
        if latest is None:
            return {"kind": kind}
        return {
            "kind": kind,
            "title": latest.title,
            "intro": latest.intro,
            "preamble": latest.preamble,
            "clauses_text": "\n".join(latest.clauses),
            "consequences_index": latest.consequences_index,
            "reason": latest.reason,
            "disclosure": latest.disclosure,
        }

    def save_model(self, request, obj, form, change):
        if change:  # pragma: no cover - change permission is refused
            raise ValidationError("published templates cannot be changed")
        data = form.cleaned_data
        published = services.publish_template(
            kind=data["kind"],
            user=request.user,
            title=data["title"],
            intro=data["intro"],
            preamble=data.get("preamble") or "",
            clauses=data["clauses"],
            consequences_index=data["consequences_index"],
            reason=data["reason"],
            disclosure=data["disclosure"],
        )
        obj.pk = published.pk
        obj.version = published.version


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "number", "customer_name", "kind", "source", "company", "state", "signed_on", "created_at")
    list_filter = ("state", "kind", "source", "company")
    search_fields = ("number", "customer_name", "customer_uscc", "customer__account_no")
    list_select_related = ("company",)
    raw_id_fields = ("customer", "breach_event")


@admin.register(PledgeBatch)
class PledgeBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "company", "status", "done", "total", "created_by", "created_at", "finished_at")
    list_filter = ("status", "company")
    exclude = ("pledges",)
