"""Forms of the credit-file pages: recording an event and voiding one.

The type-dependent rules are not repeated here: `EventForm.clean` hands the typed values
to `validation.event_field_errors`, the same rules the importer applies.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import EVENT_TYPE_FIELDS, Customer, EventType, Severity
from .validation import TextRulesMixin, event_field_errors


class EventForm(TextRulesMixin, forms.Form):
    """A new event for one customer; only the fields its type uses may be filled in."""

    type = forms.ChoiceField(label=_("事件类型"), choices=[("", _("请选择事件类型"))] + EventType.choices)
    occurred_on = forms.DateField(
        label=_("发生日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    amount = forms.DecimalField(
        label=_("金额（元）"),
        required=False,
        help_text=_("大于0，最多两位小数"),
        error_messages={"invalid": _("金额应为数字，最多两位小数")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    pipe_diameter_mm = forms.IntegerField(
        label=_("管径（mm）"),
        required=False,
        help_text=_("整数毫米，15-3000"),
        error_messages={"invalid": _("管径应为整数毫米")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    force_majeure = forms.BooleanField(
        label=_("不可抗力"), required=False, help_text=_("因不可抗力造成的停水不计入评级")
    )
    severity = forms.ChoiceField(label=_("情节"), required=False, choices=[("", _("请选择情节"))] + Severity.choices)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        self.customer = customer
        super().__init__(*args, **kwargs)

    def given_type_fields(self) -> dict[str, object]:
        """The type-specific fields that were filled in, typed; unchecked 不可抗力 counts as not given."""
        data = self.cleaned_data
        return {
            "amount": data.get("amount"),
            "pipe_diameter_mm": data.get("pipe_diameter_mm"),
            "force_majeure": True if data.get("force_majeure") else None,
            "severity": data.get("severity") or None,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        event_type = cleaned.get("type")
        if not event_type:
            return cleaned
        errors = event_field_errors(
            event_type,
            self.given_type_fields(),
            occurred_on=cleaned.get("occurred_on"),
            opened_on=self.customer.opened_on,
            today=timezone.localdate(),
        )
        for name, message in errors.items():
            if name not in self.errors:  # keep the parse error ("输入一个数字") when there is one
                self.add_error(name, message)
        return cleaned

    def event_fields(self) -> dict[str, Any]:
        """Keyword arguments for `services.record_event`, from a valid form."""
        data = self.cleaned_data
        given = self.given_type_fields()
        fields: dict[str, Any] = {
            "type": data["type"],
            "occurred_on": data["occurred_on"],
            "note": data.get("note", "").strip(),
        }
        for name in EVENT_TYPE_FIELDS:
            if given.get(name) is not None:
                fields[name] = given[name]
        return fields


class VoidEventForm(TextRulesMixin, forms.Form):
    """The reason a supervisor gives for voiding an event; required and not blank."""

    reason = forms.CharField(
        label=_("作废原因"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("说明该记录为何错误，将记入操作日志"),
        max_length=2000,
    )
