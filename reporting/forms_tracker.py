"""The task tracker's forms: a unit's monthly progress text, and the 客户服务中心's comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .tracker import TEXT_MAX


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("推进情况"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("本月该项工作的推进情况、存在问题和下步打算；系统数据随报送一并保存"),
        error_messages={"required": _("请填写推进情况"), "max_length": _("推进情况不能超过 %(limit_value)d 个字")},
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("点评意见"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写点评意见"), "max_length": _("点评意见不能超过 %(limit_value)d 个字")},
    )
