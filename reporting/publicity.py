"""工作动态 and 宣传 (Annex 2, tasks 10 and 12): logging an item with its files, the list's rows and export.

Clerks and supervisors log items of their companies; the 客户服务中心 reads. All or nothing: a refused
item stores no file.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from customers import audit
from customers.exports import person
from customers.models import AuditEntry, Company, company_ids_for
from repair.models import NumberCounter
from repair.services import EvidenceFile  # a checked upload (repair.forms.EvidenceField gives them)

from .cases import can_write
from .models_publicity import Occasion, PublicityChannel, PublicityFile, PublicityItem, PublicityKind

SNAPSHOT_FIELDS = ("number", "published_on", "kind", "occasion", "channels", "title", "link")
MAX_FILES = 20


def visible_items(user) -> QuerySet[PublicityItem]:
    if not user.is_authenticated or not user.is_active:
        return PublicityItem.objects.none()
    return PublicityItem.objects.filter(company_id__in=company_ids_for(user))


def next_number(company: Company, day: datetime.date) -> str:
    """XC-CITY-202612-001: a serial per company and month, never reused."""
    key = f"XC-{company.code.upper()}-{day:%Y%m}"
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(key=key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{key}-{counter.last:03d}"


def item_errors(
    *, published_on, kind, occasion: Occasion | None, channels: Sequence[str], title: str, text: str, link: str, today
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if published_on is None:
        errors["published_on"] = _("请填写日期")
    elif published_on > today:
        errors["published_on"] = _("日期 %(day)s 晚于今天（%(today)s）") % {"day": published_on, "today": today}
    if kind not in PublicityKind.values:
        errors["kind"] = _("请选择类别")
    if occasion is not None and not occasion.active:
        errors["occasion"] = _("宣传节点“%(name)s”已停用") % {"name": occasion.name}
    if not channels:
        errors["channels"] = _("请至少选择一个宣传渠道")
    elif any(c not in PublicityChannel.values for c in channels):
        errors["channels"] = _("宣传渠道无效")
    if not (title or "").strip():
        errors["title"] = _("请填写标题")
    if not (text or "").strip():
        errors["text"] = _("请填写内容")
    if link and urlsplit(link).scheme not in ("http", "https"):
        errors["link"] = _("链接须以 http:// 或 https:// 开头")
    return errors


@transaction.atomic
def log_item(
    company: Company,
    *,
    published_on,
    kind,
    occasion: Occasion | None,
    channels: Sequence[str],
    title: str,
    text: str,
    link: str = "",
    files: Sequence[EvidenceFile] = (),
    user,
) -> PublicityItem:
    if not can_write(user):
        raise PermissionDenied(_("只有客服专员和审核主管可以登记宣传与工作动态"))
    if company.pk not in company_ids_for(user):
        raise PermissionDenied(_("您无权登记该公司的宣传与工作动态"))
    errors = item_errors(
        published_on=published_on,
        kind=kind,
        occasion=occasion,
        channels=channels,
        title=title,
        text=text,
        link=link,
        today=timezone.localdate(),
    )
    if len(files) > MAX_FILES:
        errors["files"] = _("一次最多上传 %(n)s 个文件") % {"n": MAX_FILES}
    if errors:
        raise ValidationError(errors)
    item = PublicityItem.objects.create(
        number=next_number(company, timezone.localdate()),
        company=company,
        published_on=published_on,
        kind=kind,
        occasion=occasion,
        channels=[c for c in PublicityChannel.values if c in channels],
        title=title.strip(),
        text=text.strip(),
        link=link.strip(),
        created_by=user,
    )
    stored: list[str] = []
    try:
        for upload in files:
            record = PublicityFile(
                item=item,
                original_name=upload.name[:200],
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
            )
            upload.file.seek(0)
            record.file.save(upload.name, upload.file, save=False)
            stored.append(record.file.name)
            record.save()
        with audit.acting_as(user=user) if audit.current_actor() == audit.SYSTEM else _nothing():
            audit.record(
                AuditEntry.CREATE,
                item,
                None,
                audit.snapshot(item, SNAPSHOT_FIELDS),
                note="、".join(f.name for f in files),
            )
    except BaseException:
        storage = PublicityFile._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)  # nothing half-written: no orphan file
        raise
    return item


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


EXPORT_COLUMNS = [
    _l("编号"),
    _l("日期"),
    _l("所属公司"),
    _l("类别"),
    _l("宣传节点"),
    _l("宣传渠道"),
    _l("标题"),
    _l("内容"),
    _l("链接"),
    _l("附件数"),
    _l("登记人"),
]


def export_rows(items: QuerySet[PublicityItem]) -> Iterator[list]:
    for item in items.select_related("company", "occasion", "created_by").prefetch_related("files"):
        yield [
            item.number,
            item.published_on,
            item.company.name,
            item.get_kind_display(),
            str(item.occasion) if item.occasion else "",
            item.channels_text,
            item.title,
            item.text,
            item.link,
            len(item.files.all()),
            person(item.created_by),
        ]
