"""Forms of the repair pages: lodging or editing a request, evidence uploads, decisions with reasons."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Bill, Customer, Event
from customers.money import format_yuan
from customers.validation import TextRulesMixin
from pledges.uploads import MAX_UPLOAD_BYTES, check_request_total, check_upload, download_name, shown_name

from . import services
from .models import RepairRequest

MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files at once; each one checked by content (PDF/JPEG/PNG, ≤ 10 MB) and named in the error."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "help_text",
            _("PDF、JPEG 或 PNG，每个不超过 %(mb)s MB，可一次选择多个文件") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png")

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(_("请选择要上传的文件"), code="required")
            return []
        if len(files) > MAX_FILES:
            raise ValidationError(_("一次最多上传 %(n)s 个文件") % {"n": MAX_FILES}, code="too_many")
        check_request_total(files)  # before any file is decoded
        checked, errors = [], []
        for f in files:
            try:
                result = check_upload(f)
            except ValidationError as exc:
                errors.extend(f"{shown_name(f.name)}:{m}" for m in exc.messages)
                continue
            checked.append(
                services.EvidenceFile(
                    file=f,
                    # kept under a name that says what it is: `poly.html` holding a PDF is `poly.pdf`
                    name=download_name(f.name, result.kind),
                    content_type=result.content_type,
                    sha256=result.sha256,
                    size=result.size,
                )
            )
        if errors:
            raise ValidationError(errors)
        return checked


class EventChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, event: Event) -> str:
        detail = event.detail_text()
        return (
            f"{event.occurred_on:%Y-%m-%d} {event.get_type_display()}{(' · ' + detail) if detail else ''} · {event.ref}"
        )


class BillChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, bill: Bill) -> str:
        paid = bill.paid_on.strftime("%Y-%m-%d") if bill.paid_on else str(_("未缴"))
        return str(
            _("%(period)s 账单 %(amount)s 元，缴费期限 %(due)s，缴费日期 %(paid)s")
            % {
                "period": bill.period,
                "amount": format_yuan(bill.amount),
                "due": f"{bill.due_on:%Y-%m-%d}",
                "paid": paid,
            }
        )


class RequestForm(TextRulesMixin, forms.Form):
    """Lodge (kind, records, reason, evidence) or edit (records, reason) a request for one customer."""

    kind = forms.ChoiceField(
        label=_("申请类型"),
        choices=RepairRequest.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_("信用修复：已纠正失信行为并作出信用修复承诺；异议：认为记录有误"),
    )
    events = EventChoiceField(
        label=_("涉及的信用事件"),
        queryset=Event.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选事件（编号 %(value)s）不属于该客户，或已作废、已修复")},
    )
    bills = BillChoiceField(
        label=_("涉及的逾期缴费账单"),
        queryset=Bill.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("所选账单（编号 %(value)s）不属于该客户，或不是逾期账单、已修复")},
    )
    reason = forms.CharField(
        label=_("申请理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("如：已于某日补缴全部欠费及违约金，整改完毕"),
    )
    files = EvidenceField(label=_("证明材料"), required=False)

    def __init__(self, *args, customer: Customer, instance: RepairRequest | None = None, **kwargs):
        self.customer = customer
        self.instance = instance
        super().__init__(*args, **kwargs)
        events = services.eligible_events(customer)
        bills = services.eligible_bills(customer)
        if instance is not None:  # editing: the kind stays, the request's own records stay selectable
            del self.fields["kind"]
            del self.fields["files"]
            events = Event.objects.filter(customer=customer).filter(
                pk__in=[*events.values_list("pk", flat=True), *instance.events.values_list("pk", flat=True)]
            )
            bills = Bill.objects.filter(customer=customer).filter(
                pk__in=[*bills.values_list("pk", flat=True), *instance.bills.values_list("pk", flat=True)]
            )
        busy_events, busy_bills = services.records_in_open_requests(customer, instance.pk if instance else None)
        self.fields["events"].queryset = events.exclude(pk__in=busy_events).order_by("-occurred_on", "-id")
        self.fields["bills"].queryset = bills.exclude(pk__in=busy_bills).order_by("-period")
        if busy_events or busy_bills:
            self.fields["events"].help_text = _("已在办理中的申请所涉及的记录不再列出")
        if not self.fields["bills"].queryset.exists():
            self.fields["bills"].help_text = _("该客户没有可申请的逾期缴费账单")
        if not self.fields["events"].queryset.exists():
            self.fields["events"].help_text = _("该客户没有可申请的有效信用事件")

    def _submitted_ids(self, name: str) -> list[int]:
        return [int(v) for v in self.data.getlist(self.add_prefix(name)) if str(v).isdecimal()] if self.is_bound else []

    def clean(self):
        data = super().clean()
        if "events" in self.errors or "bills" in self.errors:
            # A record left out of the choices because another open request concerns it (a second
            # submission of the same form, or two clerks at once): name that request.
            conflicts = services.open_conflicts(
                self.customer,
                self._submitted_ids("events"),
                self._submitted_ids("bills"),
                self.instance.pk if self.instance else None,
            )
            if conflicts:
                for name in ("events", "bills"):
                    self.errors.pop(name, None)
                self.add_error(
                    "events",
                    _("所选记录已在办理中的申请 %(numbers)s 中，请勿重复提交") % {"numbers": "、".join(conflicts)},
                )
                return data
        if (
            "events" not in self.errors
            and "bills" not in self.errors
            and not data.get("events")
            and not data.get("bills")
        ):
            self.add_error("events", _("请至少选择一条涉及的信用事件或逾期账单"))
        return data


class EvidenceForm(TextRulesMixin, forms.Form):
    files = EvidenceField(label=_("补充证明材料"), required=True)


REASON_LABELS = {
    "refuse": _("不予受理的理由"),
    "extend": _("延期原因"),
    "approve": _("准予修复的理由"),
    "reject": _("不予修复的理由"),
    "uphold": _("异议成立的理由"),
    "dismiss": _("异议不成立的理由"),
}


class ReasonForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.prefix in REASON_LABELS:
            self.fields["reason"].label = REASON_LABELS[self.prefix]


class AcceptForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(
        label=_("受理意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class UpholdForm(ReasonForm):
    """异议成立: the reason, and for each bill concerned an optional corrected payment date."""

    def __init__(self, *args, request_obj: RepairRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_bills = list(request_obj.bills.order_by("-period"))
        for bill in self.request_bills:
            self.fields[f"paid_on_{bill.pk}"] = forms.DateField(
                label=_("%(period)s 账单更正后的缴费日期") % {"period": bill.period},
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                input_formats=["%Y-%m-%d"],
                help_text=_("当前：%(paid)s；不更正请留空并在理由中说明")
                % {"paid": bill.paid_on.strftime("%Y-%m-%d") if bill.paid_on else _("未缴")},
            )

    def corrections(self) -> dict:
        return {b.pk: self.cleaned_data.get(f"paid_on_{b.pk}") for b in self.request_bills}


class SignPledgeForm(TextRulesMixin, forms.Form):
    """Record the customer's signed repair pledge (the pledges app's signing, with its scan)."""

    signed_on = forms.DateField(
        label=_("签署日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    scan = forms.FileField(label=_("签署后的扫描件"), help_text=_("PDF、JPEG 或 PNG，不超过 10 MB"))

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        scan.checked = check_upload(scan)
        return scan
