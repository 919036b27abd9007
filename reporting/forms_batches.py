"""Forms of the batch pages (reporting.views.batches)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.validation import TextRulesMixin

from . import services


def last_finished_month(today: datetime.date | None = None) -> str:
    """`YYYY-MM` of the month before `today`'s: the latest period that can be built."""
    today = today or timezone.localdate()
    return f"{today.replace(day=1) - datetime.timedelta(days=1):%Y-%m}"


class BuildForm(TextRulesMixin, forms.Form):
    """生成批次: the period as `YYYY-MM`; services.parse_period says what is wrong with it."""

    period = forms.CharField(
        label=_("报送期间"),
        max_length=7,
        error_messages={"required": _("请选择报送期间（YYYY-MM）")},
        widget=forms.TextInput(
            attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}", "class": "form-control"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("period", last_finished_month())

    def clean_period(self) -> datetime.date:
        try:
            return services.parse_period(self.cleaned_data["period"])
        except services.BatchError as exc:
            raise forms.ValidationError(str(exc), code="period") from exc
