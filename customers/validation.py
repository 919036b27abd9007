"""Field rules of the data contract, shared by the importer and the web forms.

Each parser takes the text of a cell and returns the typed value or raises
`FieldError` with the reason in Chinese; `event_field_errors` holds the rules that
depend on the event type and the customer.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .models import (
    EVENT_ALLOWED_FIELDS,
    EVENT_REQUIRED_FIELDS,
    EVENT_TYPE_FIELDS,
    PIPE_DIAMETER_RANGE,
    EventType,
    Severity,
)
from .uscc import uscc_error

ACCOUNT_NO_RE = re.compile(r"[A-Za-z0-9-]{1,32}")
PHONE_RE = re.compile(r"[0-9+\- ]{5,20}")
PERIOD_RE = re.compile(r"(\d{4})-(\d{2})")
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{4})/(\d{1,2})/(\d{1,2})")
AMOUNT_RE = re.compile(r"-?\d+(\.\d{1,2})?")
MAX_AMOUNT = Decimal("999999999999.99")


class FieldError(ValueError):
    """A cell's value is not acceptable; str(error) is the reason."""


def parse_account_no(text: str) -> str:
    if not ACCOUNT_NO_RE.fullmatch(text):
        raise FieldError(_("户号应为1-32位字母、数字或 -"))
    return text


def parse_date(text: str) -> datetime.date:
    """`YYYY-MM-DD`, or `YYYY/M/D` as Excel shows a date (`2020/3/5`, `2020/03/05`)."""
    m = DATE_RE.fullmatch(text)
    if not m:
        raise FieldError(_("日期格式应为 YYYY-MM-DD 或 YYYY/M/D"))
    year, month, day = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise FieldError(_("不存在的日期")) from None


def parse_period(text: str) -> str:
    m = PERIOD_RE.fullmatch(text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise FieldError(_("账期格式应为 YYYY-MM"))
    return text


def parse_amount(text: str, *, positive: bool) -> Decimal:
    """Yuan with at most two decimals; > 0 when `positive`, else >= 0."""
    if not AMOUNT_RE.fullmatch(text):
        raise FieldError(_("金额应为数字，最多两位小数"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError(_("金额应为数字，最多两位小数")) from None
    check_amount(value, positive=positive)
    return value


def check_amount(value: Decimal, *, positive: bool) -> None:
    if positive and value <= 0:
        raise FieldError(_("金额必须大于0"))
    if not positive and value < 0:
        raise FieldError(_("金额不能为负数"))
    if value > MAX_AMOUNT:
        raise FieldError(_("金额过大"))
    if value != value.quantize(Decimal("0.01")):
        raise FieldError(_("金额最多两位小数"))


def parse_int(text: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise FieldError(_("应为整数"))
    return int(text)


def check_pipe_diameter(value: int) -> None:
    low, high = PIPE_DIAMETER_RANGE
    if not low <= value <= high:
        raise FieldError(_("管径应在 %(low)d-%(high)d mm 之间") % {"low": low, "high": high})


def parse_bool01(text: str) -> bool:
    if text not in ("0", "1"):
        raise FieldError(_("应为 0 或 1"))
    return text == "1"


def parse_severity(text: str) -> str:
    if text not in Severity.values:
        raise FieldError(_("应为 minor（情节较轻）或 serious（情节较重）"))
    return text


def check_not_future(value: datetime.date, today: datetime.date) -> None:
    if value > today:
        raise FieldError(_("不能晚于今天（%(today)s）") % {"today": today.isoformat()})


def check_phone(text: str) -> None:
    if not PHONE_RE.fullmatch(text):
        raise FieldError(_("电话只能包含数字、-、+ 和空格，5-20位"))


def event_field_errors(
    event_type: str,
    given: dict[str, object],
    *,
    occurred_on: datetime.date | None,
    opened_on: datetime.date | None,
    today: datetime.date,
) -> dict[str, str]:
    """Errors by field for an event's type-dependent and date rules.

    `given` maps the type-specific fields (amount, pipe_diameter_mm, force_majeure,
    severity) that were filled in to their typed values; absent or None = not given.
    """
    errors: dict[str, str] = {}
    required = EVENT_REQUIRED_FIELDS.get(event_type, ())
    allowed = EVENT_ALLOWED_FIELDS.get(event_type, ())
    for field in EVENT_TYPE_FIELDS:
        present = given.get(field) is not None
        if field in required and not present:
            errors[field] = _("此类型必须填写")
        elif present and field not in allowed:
            errors[field] = _("此类型不使用该字段")
    if "amount" not in errors and given.get("amount") is not None:
        try:
            check_amount(given["amount"], positive=True)
        except FieldError as e:
            errors["amount"] = str(e)
    if "pipe_diameter_mm" not in errors and given.get("pipe_diameter_mm") is not None:
        try:
            check_pipe_diameter(given["pipe_diameter_mm"])
        except FieldError as e:
            errors["pipe_diameter_mm"] = str(e)
    if occurred_on is not None:
        if occurred_on > today:
            errors["occurred_on"] = _("不能晚于今天（%(today)s）") % {"today": today.isoformat()}
        elif opened_on is not None and occurred_on < opened_on:
            errors["occurred_on"] = _("不能早于立户日期（%(opened)s）") % {"opened": opened_on.isoformat()}
    return errors


# --- Parsers for the remaining contract columns (importer and web forms) ---

COMPANY_ALIASES = {"city": "city", "county": "county", "城市供水公司": "city", "随县供水公司": "county"}
PAYMENT_MODE_ALIASES = {"prepaid": "prepaid", "postpaid": "postpaid", "预存": "prepaid", "后付": "postpaid"}


def parse_text(text: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    """Text of at most `max_length` characters, without control or bidi characters (`check_text`);
    `multiline` text (a note) may hold tabs and line breaks."""
    check_text(text, max_length=max_length, multiline=multiline)
    return text


def parse_uscc(text: str) -> str:
    """An 18-character USCC valid under GB 32100-2015."""
    reason = uscc_error(text)
    if reason:
        raise FieldError(reason)
    return text


def parse_company_code(text: str) -> str:
    """`city`/`county`, or the companies' Chinese names; returns the code."""
    code = COMPANY_ALIASES.get(text)
    if code is None:
        raise FieldError(_("应为 city（城市供水公司）或 county（随县供水公司）"))
    return code


def parse_payment_mode(text: str) -> str:
    """`prepaid`/`postpaid`, or 预存/后付; returns the code."""
    mode = PAYMENT_MODE_ALIASES.get(text)
    if mode is None:
        raise FieldError(_("应为 prepaid（预存）或 postpaid（后付）"))
    return mode


def parse_phone(text: str) -> str:
    check_phone(text)
    return text


def parse_event_type(text: str) -> str:
    """An event type code, or its Chinese label; returns the code."""
    if text in EventType.values:
        return text
    for value, label in EventType.choices:
        if text == str(label):
            return value
    raise FieldError(_("不是有效的事件类型代码"))


# A label typed with half-width punctuation (情节较轻,主动赔偿) is the same label as the one shown (情节较轻，主动赔偿).
_HALF_WIDTH = str.maketrans("，：；（）", ",:;()")


def parse_severity_or_label(text: str) -> str:
    """`minor`/`serious`, or their Chinese labels (either width of punctuation); returns the code."""
    for value, label in Severity.choices:
        if text.translate(_HALF_WIDTH) == str(label).translate(_HALF_WIDTH):
            return value
    return parse_severity(text)


def parse_event_ref(text: str) -> str:
    if len(text) > 64:
        raise FieldError(_("单据编号最多64个字符"))
    check_text(text)
    return text


def check_not_before_opened(occurred_on: datetime.date, opened_on: datetime.date) -> None:
    if occurred_on < opened_on:
        raise FieldError(_("不能早于立户日期（%(opened)s）") % {"opened": opened_on.isoformat()})


# --- Text rules: control characters, bidi controls, length (forms, importer, admin) ---
#
# Refused in every text field: C0 controls, DEL and C1 controls; the bidi embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C),
# which make "ALT\u202egpj.exe" display as "ALTexe.jpg" (in a page, a PDF, a file name); the
# invisible zero-width characters and word joiners (U+200B–U+200D, U+2060–U+2065, U+FEFF) and
# the line/paragraph separators (U+2028, U+2029). Multi-line notes keep tab, LF and CR; a
# single-line field (a name, a code, a number) refuses those too.
FORBIDDEN_CHARS_CLASS = "\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff"
_FORBIDDEN_SINGLE_LINE = re.compile(f"[{FORBIDDEN_CHARS_CLASS}]")
_FORBIDDEN_MULTI_LINE = re.compile(f"(?![\\t\\n\\r])[{FORBIDDEN_CHARS_CLASS}]")

SHORT_TEXT_MAX = 200  # a single-line field without a length of its own
NOTE_MAX = 2000  # a multi-line note, reason or explanation without a length of its own


def _char_name(ch: str) -> str:
    names = {
        "\x00": _("空字符 NUL"),
        "\t": _("制表符"),
        "\n": _("换行符"),
        "\r": _("回车符"),
    }
    if ch in names:
        return names[ch]
    if "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069" or ch in "\u200e\u200f\u061c":
        return _("文字方向控制符 U+%(code)04X") % {"code": ord(ch)}
    if "\u200b" <= ch <= "\u200d" or "\u2060" <= ch <= "\u2065" or ch == "\ufeff":
        return _("不可见字符 U+%(code)04X") % {"code": ord(ch)}
    return _("控制字符 U+%(code)04X") % {"code": ord(ch)}


def check_text(text: str, *, max_length: int | None = None, multiline: bool = False) -> None:
    """Raise FieldError when `text` is longer than `max_length` or holds a refused character."""
    if max_length is not None and len(text) > max_length:
        raise FieldError(_("最多 %(n)d 个字符，实际 %(actual)d 个") % {"n": max_length, "actual": len(text)})
    m = (_FORBIDDEN_MULTI_LINE if multiline else _FORBIDDEN_SINGLE_LINE).search(text)
    if m:
        raise FieldError(
            _("不能包含%(what)s（第 %(pos)d 个字符）") % {"what": _char_name(m.group()), "pos": m.start() + 1}
        )


def clean_text(text: str, *, max_length: int | None = None, multiline: bool = False) -> str:
    check_text(text, max_length=max_length, multiline=multiline)
    return text


class TextRules:
    """A Django field validator applying `check_text`; the message names the field (`label`)."""

    def __init__(self, label, *, max_length: int | None, multiline: bool) -> None:
        self.label, self.max_length, self.multiline = label, max_length, multiline
        self.posted_length: int | None = None  # the length as posted, when the form cut an overlong value
        self.length_message = None  # the field's own max_length message, when it has one

    def __call__(self, value) -> None:
        from django.core.exceptions import ValidationError

        if not isinstance(value, str):
            return
        length = self.posted_length if self.posted_length is not None else len(value)
        if self.length_message is not None and self.max_length is not None and length > self.max_length:
            raise ValidationError(
                self.length_message, code="max_length", params={"limit_value": self.max_length, "show_value": length}
            )
        try:
            if self.posted_length is not None and self.max_length is not None:
                raise FieldError(
                    _("最多 %(n)d 个字符，实际 %(actual)d 个") % {"n": self.max_length, "actual": self.posted_length}
                )
            check_text(value, max_length=self.max_length, multiline=self.multiline)
        except FieldError as exc:
            message = f"{self.label}：{exc}" if self.label else str(exc)
            raise ValidationError(message, code="text_rules") from None

    def __eq__(self, other) -> bool:
        return isinstance(other, TextRules) and (self.label, self.max_length, self.multiline) == (
            other.label,
            other.max_length,
            other.multiline,
        )


def harden_text_field(field, label=None, *, name_in_message: bool = True) -> None:
    """Give a Django form field the text rules: a CharField rendered as a Textarea is multi-line
    (tabs and line breaks allowed), any other CharField single-line; a field without a length gets
    SHORT_TEXT_MAX or NOTE_MAX. Django's own length validator gives way to one that names the field."""
    from django import forms
    from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator

    if not isinstance(field, forms.CharField) or isinstance(field, forms.ChoiceField):
        return
    if any(isinstance(v, TextRules) for v in field.validators):
        return
    multiline = isinstance(field.widget, forms.Textarea)
    if field.max_length is None:
        field.max_length = NOTE_MAX if multiline else SHORT_TEXT_MAX
    field.widget.attrs.setdefault("maxlength", str(field.max_length))
    field.validators = [
        v for v in field.validators if not isinstance(v, (MaxLengthValidator, ProhibitNullCharactersValidator))
    ]
    label = (label or field.label or "") if name_in_message else ""
    rules = TextRules(label, max_length=field.max_length, multiline=multiline)
    rules.length_message = field.error_messages.get("max_length")  # a form's own wording is kept
    field.validators.append(rules)


def harden_text_fields(fields, *, name_in_message: bool = True) -> None:
    for name, field in fields.items():
        harden_text_field(field, field.label or name, name_in_message=name_in_message)


class TextRulesMixin:
    """For a Django form: every text field gets `harden_text_field` (one place for every form)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        harden_text_fields(self.fields)
        if self.is_bound:
            self._cut_overlong_values()

    def _cut_overlong_values(self) -> None:
        """An overlong posted value (a 9 MB note) is refused by its length and not echoed back in full
        when the form is shown again: the form keeps its first max_length characters."""
        data = None
        for name, field in self.fields.items():
            rules = next((v for v in field.validators if isinstance(v, TextRules)), None)
            key = self.add_prefix(name)
            value = self.data.get(key) if rules is not None and rules.max_length is not None else None
            if isinstance(value, str) and len(value) > rules.max_length:
                if data is None:
                    data = self.data.copy()
                data[key] = value[: rules.max_length]
                rules.posted_length = len(value)
        if data is not None:
            self.data = data


class TextRulesAdminMixin:
    """For a ModelAdmin or inline: the admin's text fields follow the same rules as the pages."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            harden_text_field(field, db_field.verbose_name)
        return field

    def get_form(self, request, obj=None, **kwargs):
        # The form's own declared fields (e.g. a template's clauses) too, not only the model's.
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (TextRulesMixin, form), {})
