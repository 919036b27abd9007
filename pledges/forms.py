"""Forms of the pledge pages: signing (date, who received it, the scan), fulfilment, revocation."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.validation import TextRulesMixin

from .models import Pledge, PledgeKind, PledgeTemplate
from .services import before_generation
from .uploads import CheckedFileField

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        full = obj.get_full_name()
        return f"{full}（{obj.get_username()}）" if full else obj.get_username()


class _SigningForm(TextRulesMixin, forms.Form):
    """Date, receiver, validity and scan of a signing (登记签署 and 登记纸质承诺书)."""

    signed_on = forms.DateField(
        label=_("签署日期（承诺作出日期）"),
        widget=DATE_WIDGET,
        error_messages={"required": _("请填写签署日期"), "invalid": _("签署日期格式应为 YYYY-MM-DD")},
    )
    received_by = UserChoiceField(
        label=_("接收人"),
        queryset=get_user_model().objects.none(),
        empty_label=_("请选择接收人"),
        error_messages={"required": _("请选择接收人"), "invalid_choice": _("接收人不在可选范围内")},
    )
    valid_until = forms.DateField(
        label=_("承诺有效期（可选）"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": _("承诺有效期格式应为 YYYY-MM-DD")},
    )
    scan = CheckedFileField(label=_("签署后的扫描件"))

    def __init__(self, *args, customer: Customer, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        User = get_user_model()
        self.fields["received_by"].queryset = User.objects.filter(
            is_active=True, companies=customer.company_id
        ).order_by("username")
        if user.is_authenticated and self.fields["received_by"].queryset.filter(pk=user.pk).exists():
            self.fields["received_by"].initial = user.pk
        self.fields["signed_on"].initial = timezone.localdate()

    def clean_signed_on(self):
        """The date checks of the service, here too, so a bad date and a bad file are named at once."""
        day = self.cleaned_data["signed_on"]
        opened = self.customer.opened_on
        if day > timezone.localdate():
            raise forms.ValidationError(_("签署日期 %(day)s 晚于今天") % {"day": day.isoformat()})
        if day < opened:
            raise forms.ValidationError(
                _("签署日期 %(day)s 早于客户立户日期 %(opened)s")
                % {"day": day.isoformat(), "opened": opened.isoformat()}
            )
        return day

    def clean(self):
        data = super().clean()
        signed_on, valid_until = data.get("signed_on"), data.get("valid_until")
        if signed_on and valid_until and valid_until <= signed_on:
            self.add_error("valid_until", _("承诺有效期必须晚于签署日期"))
        return data


class SignForm(_SigningForm):
    """登记签署 of a printed pledge: not before the date it was generated."""

    def __init__(self, *args, pledge: Pledge, user, **kwargs) -> None:
        super().__init__(*args, customer=pledge.customer, user=user, **kwargs)
        self.pledge = pledge

    def clean_signed_on(self):
        day = super().clean_signed_on()
        if (message := before_generation(self.pledge, day)) is not None:
            raise forms.ValidationError(message)
        return day


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _("第 %(version)d 版 · %(title)s（%(day)s 发布）") % {
            "version": obj.version,
            "title": obj.title,
            "day": timezone.localdate(obj.published_at).isoformat(),
        }


class PaperPledgeForm(_SigningForm):
    """登记纸质承诺书: an old paper 主动型 pledge, signed before the system had it (纸质补录)."""

    template = TemplateChoiceField(
        label=_("承诺书文本版本"),
        queryset=PledgeTemplate.objects.none(),
        empty_label=None,
        help_text=_("纸质承诺书所用的文本；默认为当前版本"),
        error_messages={"required": _("请选择承诺书文本版本"), "invalid_choice": _("承诺书文本版本不在可选范围内")},
    )
    field_order = ["signed_on", "received_by", "template", "valid_until", "scan"]

    def __init__(self, *args, customer: Customer, user, **kwargs) -> None:
        super().__init__(*args, customer=customer, user=user, **kwargs)
        versions = PledgeTemplate.objects.filter(kind=PledgeKind.VOLUNTARY).order_by("-version")
        self.fields["template"].queryset = versions
        latest = versions.first()
        if latest is not None:
            self.fields["template"].initial = latest.pk
        self.fields["signed_on"].initial = None
        self.fields["signed_on"].label = _("签署日期（纸质承诺书上的日期）")
        self.fields["scan"].label = _("纸质承诺书的扫描件")


class FulfilForm(TextRulesMixin, forms.Form):
    on = forms.DateField(
        label=_("认定日期"),
        widget=DATE_WIDGET,
        error_messages={"required": _("请填写认定日期"), "invalid": _("认定日期格式应为 YYYY-MM-DD")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class RevokeForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(
        label=_("撤销原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={
            "required": _("必须填写撤销原因"),
            "max_length": _("撤销原因不能超过 %(limit_value)d 字（现有 %(show_value)d 字）"),
        },
    )
