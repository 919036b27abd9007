"""What each import kind looks like: its columns (English and Chinese headers, required
flag, parser), its staging table, the checks that need the database, and its writes.

A parser takes the stripped, non-empty text of a cell and the run's `Context` and returns
the typed value, or raises `FieldError` with the reason in Chinese. `build` turns a
row's parsed values into the staging tuple and adds the rules that span columns.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .. import validation as v
from ..models import EVENT_TYPE_FIELDS
from ..uscc import uscc_kind


@dataclass
class Context:
    """Facts fixed for one run."""

    today: datetime.date
    company_ids: dict[str, int]  # company code -> id
    allowed_company_ids: list[int] | None  # None: every company (command line, superuser)


Parser = Callable[[str, Context], object]


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    required: bool
    parse: Parser
    empty: object = ""  # the value of an empty cell
    period: bool = False  # spreadsheet dates in this column mean a month
    repeats: bool = False  # few distinct values (dates, codes): parse each text once per run


@dataclass(frozen=True)
class StageColumn:
    name: str
    sql_type: str


@dataclass(frozen=True)
class AuditField:
    """One key of the audit JSON: the target's column and the staged value's expression."""

    key: str
    target: str
    staged: str
    kind: str = "plain"  # plain | money | bool | phone


@dataclass(frozen=True)
class KindSpec:
    kind: str
    model: str  # AuditEntry.model
    table: str
    columns: tuple[Column, ...]
    stage: tuple[StageColumn, ...]
    key: tuple[str, ...]  # staging columns that identify a record
    duplicate_column: str  # the column a repeated key is reported on
    build: Callable[[dict, set, Context], tuple[tuple | None, list[tuple[str, str]]]]
    # Classifying staged rows: FROM clause joining staging `s` to the customer `c` where
    # the kind has one, and the condition that finds the existing record `t`.
    source: str
    match: str
    compare: tuple[tuple[str, str], ...]  # (target column, staged expression) compared for changes
    insert: tuple[tuple[str, str], ...]  # (target column, staged expression or %(param)s)
    object_id: str  # SQL expression over `s`
    customer_id: str  # SQL expression: the audit entry's customer for staged row
    audit: tuple[AuditField, ...]
    # Customers get their id only when inserted: their "create" entries are written after.
    audit_create_after_insert: bool = False
    # The writes read the rows to create or change (`d`, see engine) joined to staging `s`
    # and, for bills and events, to their customer `c`.
    has_customer: bool = True
    extra_updates: tuple[tuple[str, str], ...] = field(default=())  # e.g. updated_at on change


# --- parsers ---------------------------------------------------------------


def _not_future_date(text: str, ctx: Context) -> datetime.date:
    value = v.parse_date(text)
    v.check_not_future(value, ctx.today)
    return value


def _date(text: str, ctx: Context) -> datetime.date:
    return v.parse_date(text)


def _text(max_length: int, *, multiline: bool = False) -> Parser:
    return lambda text, ctx: v.parse_text(text, max_length=max_length, multiline=multiline)


def _pipe_diameter(text: str, ctx: Context) -> int:
    return v.parse_int(text)


def _force_majeure(text: str, ctx: Context) -> bool:
    return v.parse_bool01(text)


# --- customers ---------------------------------------------------------------


def _build_customer(values: dict, failed: set, ctx: Context):
    errors: list[tuple[str, str]] = []
    company_id = None
    if "company" not in failed:
        company_id = ctx.company_ids[values["company"]]
        if ctx.allowed_company_ids is not None and company_id not in ctx.allowed_company_ids:
            errors.append(("company", _("无权导入该公司的客户")))
    if failed or errors:
        return None, errors
    row = (
        values["account_no"],
        values["name"],
        values["uscc"],
        uscc_kind(values["uscc"]),
        company_id,
        values["opened_on"],
        values["payment_mode"],
        values["legal_representative"],
        values["phone"],
        values["address"],
    )
    return row, errors


CUSTOMERS = KindSpec(
    kind="customers",
    model="customer",
    table="customers_customer",
    columns=(
        Column("account_no", "户号", True, lambda t, c: v.parse_account_no(t)),
        Column("name", "单位名称", True, _text(200)),
        Column("uscc", "统一社会信用代码", True, lambda t, c: v.parse_uscc(t)),
        Column("company", "所属公司", True, lambda t, c: v.parse_company_code(t), repeats=True),
        Column("opened_on", "立户日期", True, _not_future_date, repeats=True),
        Column("payment_mode", "缴费方式", True, lambda t, c: v.parse_payment_mode(t), repeats=True),
        Column("legal_representative", "法定代表人", False, _text(100)),
        Column("phone", "联系电话", False, lambda t, c: v.parse_phone(t)),
        Column("address", "用水地址", False, _text(300, multiline=True)),  # free text: tabs and line breaks kept
    ),
    stage=(
        StageColumn("account_no", "varchar(32)"),
        StageColumn("name", "varchar(200)"),
        StageColumn("uscc", "varchar(18)"),
        StageColumn("kind", "varchar(16)"),
        StageColumn("company_id", "bigint"),
        StageColumn("opened_on", "date"),
        StageColumn("payment_mode", "varchar(8)"),
        StageColumn("legal_representative", "varchar(100)"),
        StageColumn("phone", "varchar(20)"),
        StageColumn("address", "varchar(300)"),
    ),
    key=("account_no",),
    duplicate_column="account_no",
    build=_build_customer,
    source="{stage} s",
    match="t.account_no = s.account_no",
    compare=tuple(
        (col, "s." + col)
        for col in (
            "name",
            "uscc",
            "kind",
            "company_id",
            "opened_on",
            "payment_mode",
            "legal_representative",
            "phone",
            "address",
        )
    ),
    insert=(
        ("account_no", "s.account_no"),
        ("name", "s.name"),
        ("uscc", "s.uscc"),
        ("kind", "s.kind"),
        ("company_id", "s.company_id"),
        ("opened_on", "s.opened_on"),
        ("payment_mode", "s.payment_mode"),
        ("legal_representative", "s.legal_representative"),
        ("phone", "s.phone"),
        ("address", "s.address"),
        ("created_at", "%(now)s"),
        ("updated_at", "%(now)s"),
    ),
    extra_updates=(("updated_at", "%(now)s"),),
    object_id="s.account_no",
    customer_id="t.id",
    audit=(
        AuditField("account_no", "account_no", "s.account_no"),
        AuditField("name", "name", "s.name"),
        AuditField("uscc", "uscc", "s.uscc"),
        AuditField("kind", "kind", "s.kind"),
        AuditField("company", "company_id", "s.company_id"),
        AuditField("opened_on", "opened_on", "s.opened_on"),
        AuditField("payment_mode", "payment_mode", "s.payment_mode"),
        AuditField("legal_representative", "legal_representative", "s.legal_representative"),
        AuditField("phone", "phone", "s.phone", "phone"),
        AuditField("address", "address", "s.address"),
    ),
    audit_create_after_insert=True,
    has_customer=False,
)


# --- bills -------------------------------------------------------------------


def _build_bill(values: dict, failed: set, ctx: Context):
    if failed:
        return None, []
    return (
        values["account_no"],
        values["period"],
        values["amount"],
        values["due_on"],
        values["paid_on"],
    ), []


BILLS = KindSpec(
    kind="bills",
    model="bill",
    table="customers_bill",
    columns=(
        Column("account_no", "户号", True, lambda t, c: v.parse_account_no(t)),
        Column("period", "账期", True, lambda t, c: v.parse_period(t), period=True, repeats=True),
        Column("amount", "应缴金额", True, lambda t, c: v.parse_amount(t, positive=False)),
        Column("due_on", "缴费期限", True, _date, repeats=True),
        Column("paid_on", "缴费日期", False, _not_future_date, empty=None, repeats=True),
    ),
    stage=(
        StageColumn("account_no", "varchar(32)"),
        StageColumn("period", "varchar(7)"),
        StageColumn("amount", "numeric(14,2)"),
        StageColumn("due_on", "date"),
        StageColumn("paid_on", "date"),
    ),
    key=("account_no", "period"),
    duplicate_column="period",
    build=_build_bill,
    source="{stage} s JOIN customers_customer c ON c.account_no = s.account_no",
    match="t.customer_id = c.id AND t.period = s.period",
    compare=(("amount", "s.amount"), ("due_on", "s.due_on"), ("paid_on", "s.paid_on")),
    insert=(
        ("customer_id", "c.id"),
        ("period", "s.period"),
        ("amount", "s.amount"),
        ("due_on", "s.due_on"),
        ("paid_on", "s.paid_on"),
    ),
    object_id="s.account_no || ' ' || s.period",
    customer_id="c.id",
    audit=(
        AuditField("customer", "customer_id", "c.id"),
        AuditField("period", "period", "s.period"),
        AuditField("amount", "amount", "s.amount", "money"),
        AuditField("due_on", "due_on", "s.due_on"),
        AuditField("paid_on", "paid_on", "s.paid_on"),
    ),
)


# --- events ------------------------------------------------------------------


def _build_event(values: dict, failed: set, ctx: Context):
    errors: list[tuple[str, str]] = []
    if "type" not in failed:
        given = {f: values.get(f) for f in EVENT_TYPE_FIELDS if f not in failed}
        found = v.event_field_errors(
            values["type"],
            given,
            occurred_on=None,  # checked by the parser; the opening date is checked in SQL
            opened_on=None,
            today=ctx.today,
        )
        errors.extend((col, reason) for col, reason in found.items() if col not in failed)
    if failed or errors:
        return None, errors
    return (
        values["ref"],
        values["account_no"],
        values["type"],
        values["occurred_on"],
        values["amount"],
        values["pipe_diameter_mm"],
        bool(values["force_majeure"]),  # not given: 0
        values["severity"] or "",
        values["note"],
    ), errors


EVENTS = KindSpec(
    kind="events",
    model="event",
    table="customers_event",
    columns=(
        Column("ref", "单据编号", True, lambda t, c: v.parse_event_ref(t)),
        Column("account_no", "户号", True, lambda t, c: v.parse_account_no(t)),
        Column("type", "类型", True, lambda t, c: v.parse_event_type(t), repeats=True),
        Column("occurred_on", "发生日期", True, _not_future_date, repeats=True),
        Column("amount", "金额", False, lambda t, c: v.parse_amount(t, positive=True), empty=None),
        Column("pipe_diameter_mm", "管径", False, _pipe_diameter, empty=None, repeats=True),
        Column("force_majeure", "不可抗力", False, _force_majeure, empty=None, repeats=True),
        Column("severity", "情节", False, lambda t, c: v.parse_severity_or_label(t), empty=None, repeats=True),
        Column("note", "说明", False, _text(v.NOTE_MAX, multiline=True)),
    ),
    stage=(
        StageColumn("ref", "varchar(64)"),
        StageColumn("account_no", "varchar(32)"),
        StageColumn("type", "varchar(32)"),
        StageColumn("occurred_on", "date"),
        StageColumn("amount", "numeric(14,2)"),
        StageColumn("pipe_diameter_mm", "integer"),
        StageColumn("force_majeure", "boolean"),
        StageColumn("severity", "varchar(8)"),
        StageColumn("note", "text"),
    ),
    key=("ref",),
    duplicate_column="ref",
    build=_build_event,
    source="{stage} s JOIN customers_customer c ON c.account_no = s.account_no",
    match="t.ref = s.ref",
    compare=(
        ("customer_id", "c.id"),
        ("type", "s.type"),
        ("occurred_on", "s.occurred_on"),
        ("amount", "s.amount"),
        ("pipe_diameter_mm", "s.pipe_diameter_mm"),
        ("force_majeure", "s.force_majeure"),
        ("severity", "s.severity"),
        ("note", "s.note"),
    ),
    insert=(
        ("ref", "s.ref"),
        ("customer_id", "c.id"),
        ("type", "s.type"),
        ("occurred_on", "s.occurred_on"),
        ("amount", "s.amount"),
        ("pipe_diameter_mm", "s.pipe_diameter_mm"),
        ("force_majeure", "s.force_majeure"),
        ("severity", "s.severity"),
        ("note", "s.note"),
        ("void_reason", "''"),
        ("created_at", "%(now)s"),
        ("created_by_id", "%(user_id)s"),
    ),
    object_id="s.ref",
    customer_id="c.id",
    audit=(
        AuditField("ref", "ref", "s.ref"),
        AuditField("customer", "customer_id", "c.id"),
        AuditField("type", "type", "s.type"),
        AuditField("occurred_on", "occurred_on", "s.occurred_on"),
        AuditField("amount", "amount", "s.amount", "money"),
        AuditField("pipe_diameter_mm", "pipe_diameter_mm", "s.pipe_diameter_mm"),
        AuditField("force_majeure", "force_majeure", "s.force_majeure", "bool"),
        AuditField("severity", "severity", "s.severity"),
        AuditField("note", "note", "s.note"),
    ),
)


SPECS: dict[str, KindSpec] = {spec.kind: spec for spec in (CUSTOMERS, BILLS, EVENTS)}
