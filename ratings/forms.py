"""Forms of the rating pages: rate as of a date, start a run, set and revoke an override."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.validation import TextRulesMixin

from .models import Level

EARLIEST = datetime.date(2000, 1, 1)


def _date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("请输入有效日期，格式为 YYYY-MM-DD")},
        **kwargs,
    )


class PastDateForm(TextRulesMixin, forms.Form):
    """A date no later than today (ratings are never computed for the future)."""

    as_of = _date_field(_("评定基准日"))

    def clean_as_of(self) -> datetime.date:
        day = self.cleaned_data["as_of"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("评定基准日不能晚于今天"))
        if day < EARLIEST:
            raise forms.ValidationError(_("评定基准日不能早于 2000-01-01"))
        return day


class RateAsOfForm(PastDateForm):
    """The credit file's "按日期评定" box (GET)."""


class StartRunForm(PastDateForm):
    """A supervisor starts a run for a date (POST)."""


class OverrideForm(TextRulesMixin, forms.Form):
    level = forms.ChoiceField(label=_("调整后等级"), choices=[("", _("请选择等级"))] + Level.choices)
    reason = forms.CharField(label=_("调整原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), strip=True)
    ends_on = _date_field(_("截止日期"), required=False, help_text=_("含当日；留空表示长期有效，直至撤销"))

    def clean_ends_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("ends_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("截止日期不能早于今天"))
        return day


class RevokeOverrideForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "revoke")
        super().__init__(*args, **kwargs)
