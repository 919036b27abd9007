"""Who is writing: the audit actor, set per request, command or task, and the audit writers.

Every write to a customer, bill or event goes through `record()` (one object) or
`record_many()` (the importer), so a page, a command and a Celery task all leave an entry.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


@dataclass(frozen=True)
class Actor:
    label: str
    user_id: int | None = None


SYSTEM = Actor("system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor | str | None = None, *, user=None) -> Iterator[Actor]:
    """Attribute writes inside the block to a user, or to a command/task label."""
    if user is not None:
        value = Actor(user.get_username(), user.pk)
    elif isinstance(actor, Actor):
        value = actor
    else:
        value = Actor(actor or "system")
    token = _actor.set(value)
    try:
        yield value
    finally:
        _actor.reset(token)


class AuditActorMiddleware:
    """Attributes every write made while serving a request to the logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with acting_as(user=user):
                return self.get_response(request)
        return self.get_response(request)


_PHONE_DIGITS = re.compile(r"\d")


def mask_phone(value: str) -> str:
    """Keep the first three and last four digits of a phone number: 138****5678."""
    digits = _PHONE_DIGITS.findall(value or "")
    if len(digits) <= 7:
        return "*" * len(value or "")
    keep_head, keep_tail = 3, 4
    out, seen = [], 0
    for ch in value:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep_head or seen > len(digits) - keep_tail else "*")
        else:
            out.append(ch)
    return "".join(out)


MASKED_FIELDS = {"phone": mask_phone}


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The audited fields of `obj` as JSON-ready values, personal data masked."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or (fields is not None and field.name not in fields):
            continue
        if isinstance(field, models.ForeignKey):
            value = getattr(obj, field.attname)
        else:
            value = getattr(obj, field.name)
        value = _jsonable(value)
        if field.name in MASKED_FIELDS and value:
            value = MASKED_FIELDS[field.name](value)
        data[field.name] = value
    return data


def _customer_id(obj: models.Model) -> int | None:
    if model_name(obj) == "customer":
        return obj.pk
    return getattr(obj, "customer_id", None)


def model_name(obj_or_model) -> str:
    """How the audit log names a model: its `audit_model_name` if it has one, else Django's model name."""
    return getattr(obj_or_model, "audit_model_name", None) or obj_or_model._meta.model_name


def object_key(obj: models.Model) -> str:
    """How the audit log names a record: account number, "account period" for a bill, event ref.

    The importer builds the same keys in SQL (customers/importer/specs.py, `object_id`).
    """
    key = getattr(obj, "audit_key", None)  # a model that names its records by a number (batch, notice)
    if key:
        return str(key)
    model = model_name(obj)
    if model == "customer":
        return obj.account_no
    if model == "bill":
        return f"{obj.customer.account_no} {obj.period}"
    if model == "event":
        return obj.ref
    return str(obj.pk)


def record(action: str, obj: models.Model, before: dict | None, after: dict | None, note: str = "") -> AuditEntry:
    """Write one audit entry for `obj` as the current actor."""
    actor = current_actor()
    return AuditEntry.objects.create(
        user_id=actor.user_id,
        actor=actor.label,
        action=action,
        model=model_name(obj),
        object_id=object_key(obj),
        customer_id=_customer_id(obj),
        before=before,
        after=after,
        note=note,
    )


def record_many(entries: Iterable[AuditEntry], batch_size: int = 5000) -> int:
    """Bulk-write prepared (unsaved) entries, stamping the current actor on each."""
    actor = current_actor()
    count = 0
    batch: list[AuditEntry] = []
    for entry in entries:
        entry.user_id = actor.user_id
        entry.actor = actor.label
        batch.append(entry)
        if len(batch) >= batch_size:
            AuditEntry.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        AuditEntry.objects.bulk_create(batch)
        count += len(batch)
    return count


# --- How a reader sees the actor ----------------------------------------------------------------

# Commands, tasks and automatic rules as a clerk reads them. A label not listed reads "系统:<label>".
ACTOR_LABELS = {
    "system": _("系统"),
    "command:seed_demo": _("系统：演示数据"),
    "command:import_records": _("系统：导入数据"),
    "command:run_rating": _("系统：月度评级"),
    "command:build_batch": _("系统：生成报送批次"),
    "command:import_return": _("系统：导入平台退回文件"),
    "task:pledges.build_batch": _("系统：批量打印承诺书"),
    "system:pledge_breach": _("系统：履约自动认定"),
}
ACTOR_PREFIX_LABELS = (
    ("task:ratings.", _("系统：月度评级")),
    ("task:reporting.", _("系统：生成报送批次")),
)
_SYSTEM_PREFIXES = ("system", "command:", "task:")


def is_system_actor(label: str) -> bool:
    """Whether an entry's actor label names a command, a task or the system rather than a person."""
    return (label or "system").startswith(_SYSTEM_PREFIXES)


def actor_label(label: str, person: str | None = None) -> str:
    """Who wrote an entry, in words: a person's name (陈静), or the command/task described in Chinese.

    `label` is AuditEntry.actor (a username, or "command:…"/"task:…"/"system"); `person` the name of the
    entry's user, if any. A task started by a user still reads as the task.
    """
    label = label or "system"
    if label in ACTOR_LABELS:
        return str(ACTOR_LABELS[label])
    for prefix, words in ACTOR_PREFIX_LABELS:
        if label.startswith(prefix):
            return str(words)
    if is_system_actor(label):
        return str(_("系统：%(label)s") % {"label": label})
    return person or label


def person_name(user) -> str:
    """A user as people know them: the full name, else the username."""
    return (user.get_full_name() or user.get_username()) if user is not None else ""


# --- An entry in one line (AuditEntry.__str__: the admin's titles, the shell, logs) ------------


def _audited_model(name: str) -> type[models.Model] | None:
    from django.apps import apps

    for model in apps.get_models():
        if model_name(model) == name:
            return model
    return None


def record_label(name: str, key: str) -> str:
    """The record an entry is about, by its number: the key itself when the log names records by
    their number (account number, bill period, event ref, batch number), else the record's own
    number (承诺编码, 申请编号 …) looked up by its id, else the model's name alone."""
    model = _audited_model(name)
    if model is None or name in ("customer", "bill", "event") or getattr(model, "audit_key", None) is not None:
        return key
    obj = model._default_manager.filter(pk=key).first() if str(key).isdigit() else None
    for attr in ("display_number", "number", "account_no"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)
    if obj is not None and getattr(obj, "customer", None) is not None:
        return obj.customer.account_no
    return ""


def entry_text(entry: AuditEntry) -> str:
    """2026-12-04 15:30 陈静 新建 信用承诺书 CN…: time in Asia/Shanghai, the actor by name (a command
    or task in words), the action and the kind of record in Chinese, the record by its number."""
    from django.utils import timezone

    person = person_name(entry.user) if entry.user_id else None
    model = _audited_model(entry.model)
    kind = str(model._meta.verbose_name) if model is not None else entry.model
    parts = [
        timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"),
        actor_label(entry.actor, person),
        str(entry.get_action_display()),
        kind,
        record_label(entry.model, entry.object_id),
    ]
    return " ".join(p for p in parts if p)
