"""批量登记签署: record many printed pledges as signed in one submission.

The clerk picks printed pledges of their own company (those of a batch print, or by company and
printed date), gives a signing date for all (with a per-row override) and the scans: one file per
pledge, matched by the pledge's internal number (P00000123), its 承诺编码 or the account number in
the file name, or ONE multi-page PDF whose page i is the scan of pledge i in the shown order.

Every pledge is signed through `services.sign_pledge` (its own savepoint, so every rule of a single
signing holds: printed state, not before generation, not in the future, `check_upload` on the
scan). The submission is all or nothing: when any row fails, the whole transaction is rolled back,
the scans already stored are deleted, and every failing row is named with its reason. Pledges that
are already signed (a double submit) are skipped and reported, never signed twice.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import company_ids_for
from customers.services import TransitionError

from . import services
from .models import SIGNED_STATES, Pledge, PledgeBatch, PledgeState
from .uploads import MAX_UPLOAD_BYTES, PDF, check_upload

# Pledges in one submission (a batch print holds up to 2,000; a clerk signs a few hundred at a time).
MAX_PLEDGES = 500
# Files in one submission of the file-per-pledge way (settings.DATA_UPLOAD_MAX_NUMBER_FILES refuses more
# before the page sees them): each is checked and decoded, so a hundred images already take seconds; the
# combined PDF is the way for a larger batch.
MAX_SCAN_FILES = 100
# The combined scan: at most the single-scan limit per page, and never more than this.
MAX_COMBINED_BYTES = 300 * 1024 * 1024

FIELD_LABELS = {
    "pledge": gettext_lazy("承诺书"),
    "signed_on": gettext_lazy("签署日期"),
    "received_by": gettext_lazy("接收人"),
    "scan": gettext_lazy("扫描件"),
    "valid_until": gettext_lazy("承诺有效期"),
    "__all__": gettext_lazy("承诺书"),
}


def print_order(pledges: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """The order of the rows, the batch PDF's page order: by account number."""
    return pledges.select_related("customer", "company").order_by("customer__account_no", "pk")


def printed_pledges(
    scoped: QuerySet[Pledge],
    *,
    batch: PledgeBatch | None = None,
    company_id: int | None = None,
    printed_from: datetime.date | None = None,
    printed_to: datetime.date | None = None,
) -> QuerySet[Pledge]:
    """The printed pledges (已打印) among `scoped` (the user's own), of a batch or by company and printed date."""
    qs = scoped.filter(state=PledgeState.PRINTED)
    if batch is not None:
        qs = qs.filter(batches=batch)
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    if printed_from is not None:
        qs = qs.filter(printed_at__date__gte=printed_from)
    if printed_to is not None:
        qs = qs.filter(printed_at__date__lte=printed_to)
    return print_order(qs)


# --- matching files to pledges -----------------------------------------------------------------

_TOKEN = re.compile(r"[0-9A-Za-z]+")


def name_tokens(filename: str) -> set[str]:
    """The letter/digit runs of a file name without its extension, upper-cased ("P00000012_0115-1.pdf")."""
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    return {t.upper() for t in _TOKEN.findall(stem)}


def pledge_keys(pledge: Pledge) -> set[str]:
    """What a file name may carry to name the pledge: its internal number, 承诺编码, account number."""
    keys = {pledge.internal_id.upper(), pledge.customer.account_no.upper()}
    if pledge.number:
        keys.add(pledge.number.upper())
    return keys


@dataclass
class RowError:
    pledge_id: int | None
    number: str
    account_no: str
    customer_name: str
    field: str
    message: str

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


@dataclass
class BulkResult:
    signed: list[Pledge] = field(default_factory=list)
    already: list[Pledge] = field(default_factory=list)


class BulkSignError(Exception):
    """The submission was refused; nothing was signed. `errors` names every failing row (and file)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(f"{e.number} {e.field}: {e.message}" for e in errors))
        self.errors = errors


def _row_error(pledge: Pledge | None, field_name: str, message: str, *, pledge_id=None, label: str = "") -> RowError:
    if pledge is None:
        return RowError(
            pledge_id, label or (str(pledge_id) if pledge_id is not None else ""), "", "", field_name, message
        )
    return RowError(
        pledge.pk, pledge.display_number, pledge.customer.account_no, pledge.customer_name, field_name, message
    )


def match_files(pledges: Sequence[Pledge], files: Iterable) -> tuple[dict[int, object], list[RowError]]:
    """Each file to the one pledge its name names; errors for unmatched, ambiguous or missing files."""
    keys = {p.pk: pledge_keys(p) for p in pledges}
    matched: dict[int, object] = {}
    errors: list[RowError] = []
    by_pk = {p.pk: p for p in pledges}
    for f in files:
        name = getattr(f, "name", "") or ""
        tokens = name_tokens(name)
        hits = [pk for pk, k in keys.items() if k & tokens]
        if not hits:
            errors.append(
                _row_error(
                    None,
                    "scan",
                    _("文件名中没有所选承诺书的内部编号或户号，无法对应到承诺书"),
                    label=_("文件 %(name)s") % {"name": name},
                )
            )
        elif len(hits) > 1:
            errors.append(
                _row_error(
                    None,
                    "scan",
                    _("文件名同时对应多份承诺书（%(nos)s）")
                    % {"nos": "、".join(by_pk[pk].display_number for pk in hits)},
                    label=_("文件 %(name)s") % {"name": name},
                )
            )
        elif hits[0] in matched:
            errors.append(
                _row_error(
                    by_pk[hits[0]],
                    "scan",
                    _("有两个文件对应本承诺书：%(a)s 和 %(b)s") % {"a": matched[hits[0]].name, "b": name},
                )
            )
        else:
            matched[hits[0]] = f
    return matched, errors


def split_pdf(upload, count: int) -> list[ContentFile]:
    """One one-page PDF per page of `upload`; ValidationError unless it is a PDF of exactly `count` pages."""
    from pypdf import PdfReader, PdfWriter

    checked = check_upload(upload, max_bytes=min(MAX_COMBINED_BYTES, max(1, count) * MAX_UPLOAD_BYTES))
    if checked.kind != PDF:
        raise ValidationError(_("整份扫描件必须是多页 PDF 文件"), code="not_pdf")
    upload.seek(0)
    reader = PdfReader(io.BytesIO(upload.read()), strict=False)
    pages = len(reader.pages)
    if pages != count:
        raise ValidationError(
            _("扫描件共 %(pages)d 页，所选承诺书 %(count)d 份：页数必须与承诺书份数相同（每份一页）")
            % {"pages": pages, "count": count},
            code="page_count",
        )
    out = []
    for i, page in enumerate(reader.pages, 1):
        writer = PdfWriter()
        writer.add_page(page)
        buffer = io.BytesIO()
        writer.write(buffer)
        out.append(ContentFile(buffer.getvalue(), name=f"page-{i:04d}.pdf"))
    return out


# --- signing -------------------------------------------------------------------------------------


@dataclass
class Row:
    """One pledge to sign: its id (as posted), its signing date, its scan."""

    pledge_id: int
    signed_on: datetime.date | None
    scan: object | None


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(name, str(m)) for name, errs in exc.message_dict.items() for m in errs]
    return [("__all__", str(m)) for m in exc.messages]


def bulk_sign(scoped: QuerySet[Pledge], rows: Sequence[Row], *, received_by, user) -> BulkResult:
    """Sign every row's pledge, all or nothing; BulkSignError naming every failing row otherwise.

    `scoped` is the pledges the user may see: an id outside it is refused as not found (another
    company's pledge is never signed, nor confirmed to exist). Already signed pledges are skipped.
    """
    if not rows:
        raise BulkSignError([_row_error(None, "pledge", _("请至少选择一份承诺书"))])
    if len(rows) > MAX_PLEDGES:
        raise BulkSignError([_row_error(None, "pledge", _("一次最多登记 %(max)d 份承诺书") % {"max": MAX_PLEDGES})])
    ids = [r.pledge_id for r in rows]
    if len(set(ids)) != len(ids):
        raise BulkSignError([_row_error(None, "pledge", _("同一份承诺书在提交中出现了多次"))])
    result = BulkResult()
    stored: list[str] = []
    try:
        with transaction.atomic():
            # Lock every row first, in id order (as mark_printed does), so two submissions queue.
            found = {p.pk: p for p in scoped.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")}
            found = {p.pk: p for p in Pledge.objects.select_related("customer").filter(pk__in=list(found))}
            errors: list[RowError] = []
            for row in rows:
                pledge = found.get(row.pledge_id)
                if pledge is None:
                    errors.append(
                        _row_error(None, "pledge", _("承诺书不存在"), pledge_id=row.pledge_id, label=str(row.pledge_id))
                    )
                    continue
                if pledge.state in SIGNED_STATES:
                    result.already.append(pledge)
                    continue
                if received_by is not None and pledge.company_id not in company_ids_for(received_by):
                    errors.append(_row_error(pledge, "received_by", _("接收人不是本承诺书所属公司的人员")))
                    continue
                try:
                    signed = services.sign_pledge(
                        pledge, signed_on=row.signed_on, received_by=received_by, scan=row.scan, user=user
                    )
                except ValidationError as exc:
                    errors.extend(_row_error(pledge, name, message) for name, message in _messages(exc))
                    continue
                except TransitionError as exc:
                    errors.append(_row_error(pledge, "pledge", str(exc)))
                    continue
                stored.append(signed.scan.name)
                result.signed.append(signed)
            if errors:
                raise BulkSignError(errors)
    except BaseException:
        for name in stored:  # rolled back: no orphan scans
            Pledge._meta.get_field("scan").storage.delete(name)
        raise
    return result


def parse_day(value: str | None) -> datetime.date | None:
    """A YYYY-MM-DD date from the form; None when empty; ValueError when not a date."""
    value = (value or "").strip()
    if not value:
        return None
    return datetime.date.fromisoformat(value)


def submit(
    scoped: QuerySet[Pledge],
    *,
    pledge_ids: Sequence[int],
    default_day: str,
    row_days: dict[int, str],
    pdf=None,
    files: Sequence = (),
    received_by,
    user,
) -> BulkResult:
    """The page's submission: dates per row (the row's own, else the common one), scans from one PDF split
    by page in the shown order or from files matched by name, then `bulk_sign`. BulkSignError otherwise."""
    pledges = list(print_order(scoped.filter(pk__in=pledge_ids)))
    known = {p.pk for p in pledges}
    errors = [
        _row_error(None, "pledge", _("承诺书不存在"), pledge_id=pk, label=str(pk))
        for pk in pledge_ids
        if pk not in known
    ]
    if not pledge_ids:
        raise BulkSignError([_row_error(None, "pledge", _("请至少选择一份承诺书"))])
    try:
        common = parse_day(default_day)
    except ValueError:
        common = None
        errors.append(_row_error(None, "signed_on", _("统一签署日期格式应为 YYYY-MM-DD"), label=_("全部")))
    days: dict[int, datetime.date | None] = {}
    for pledge in pledges:
        try:
            days[pledge.pk] = parse_day(row_days.get(pledge.pk)) or common
        except ValueError:
            errors.append(_row_error(pledge, "signed_on", _("签署日期格式应为 YYYY-MM-DD")))
    unsigned = [p for p in pledges if p.state not in SIGNED_STATES]
    scans: dict[int, object] = {}
    if pdf is not None and files:
        errors.append(_row_error(None, "scan", _("请只选择一种方式：整份 PDF 或逐份文件"), label=_("扫描件")))
    elif pdf is not None:
        # Page i is the scan of pledge i in the shown order (a pledge already signed keeps its own scan).
        if unsigned:
            try:
                pages = split_pdf(pdf, len(pledges))
            except ValidationError as exc:
                errors.extend(_row_error(None, "scan", m, label=_("整份扫描件")) for m in exc.messages)
            else:
                scans = {p.pk: page for p, page in zip(pledges, pages, strict=True)}
    elif len(files) > MAX_SCAN_FILES:
        errors.append(
            _row_error(
                None,
                "scan",
                _("逐份文件方式一次最多 %(max)d 个文件，本次 %(n)d 个；份数多时请用整份 PDF")
                % {"max": MAX_SCAN_FILES, "n": len(files)},
                label=_("扫描件"),
            )
        )
    elif files:
        scans, file_errors = match_files(pledges, files)
        errors.extend(file_errors)
        errors.extend(_row_error(p, "scan", _("没有文件对应本承诺书")) for p in unsigned if p.pk not in scans)
    elif unsigned:
        errors.append(
            _row_error(None, "scan", _("请上传扫描件：整份多页 PDF，或每份承诺书一个文件"), label=_("扫描件"))
        )
    if errors:
        raise BulkSignError(errors)
    rows = [Row(p.pk, days.get(p.pk), scans.get(p.pk)) for p in pledges]
    return bulk_sign(scoped, rows, received_by=received_by, user=user)
