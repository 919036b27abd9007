"""What goes into a batch, row by row, from the records as they are (reporting-batch.md, "Which records go
into a batch"), each row checked by `reporting.rules` and held back with its reasons when it fails one.

- 信用承诺: signed pledges (both kinds, not revoked) signed on or before the period's last day that are not
  reported yet: never in an exported batch, or returned by the platform since.
- 履约践诺: reported pledges (earlier, or in this batch) whose fulfilment state differs from the one last
  reported: 认定全部履行 → 全部履行; breached → 全部未履行; a reported breach since undone → 全部履行 again.
- 信用评价: per USCC, the most severe effective level (override in force wins) among its accounts in the
  succeeded run as of the period's last day, unless already reported for that run.
- 信用修复: repair decisions queued by the repair app (`repair.reporting`), decided by the period's end.

"Reported" = a row of a batch in 已导出 or later, in that batch's current generation, not held, not returned.
Rows come out in a fixed order, so building the same records twice gives the same rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Company, Customer, Event
from customers.uscc import INDIVIDUAL
from pledges.models import SIGNED_STATES, Pledge, PledgeState
from ratings.facts import event_counts
from ratings.measures import measures_by_level
from ratings.models import LEVEL_ORDER, Level, LevelOverride, RatingResult, RatingRun
from ratings.overrides import in_force_on
from repair import reporting as repair_reporting

from . import rules
from .columns import COLUMNS
from .models import REPORTED_STATUSES, Batch, BatchRow, Sheet

LEVEL_LABELS = dict(Level.choices)


@dataclass
class Row:
    sheet: str
    key: str
    company_id: int
    cells: dict[str, str]
    customer_id: int | None = None
    source_id: int | None = None
    ref_date: datetime.date | None = None
    reasons: list[dict] = field(default_factory=list)
    note: str = ""

    def fail(self, column: str, reason: str | None, fix: str) -> None:
        if reason:
            self.reasons.append({"column": column, "reason": str(reason), "fix": fix})

    @property
    def values(self) -> list[str]:
        return [self.cells.get(c, "") for c in COLUMNS[self.sheet]]


def period_end(period: datetime.date) -> datetime.date:
    nxt = (period.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def reported_rows(sheet: str | None = None) -> QuerySet[BatchRow]:
    """Rows the platform has: in a batch handed over, of its current generation, not held, not returned."""
    qs = BatchRow.objects.filter(
        batch__status__in=REPORTED_STATUSES,
        generation=F("batch__generation"),
        held=False,
        returned_at__isnull=True,
    )
    return qs.filter(sheet=sheet) if sheet else qs


# --- the unit columns: the company's registered name and USCC --------------------------------------


@dataclass
class Unit:
    name: str
    code: str
    reasons: list[tuple[str, str]]  # ("name" | "code", reason)


def units() -> dict[int, Unit]:
    companies = list(Company.objects.order_by("id"))
    out = {}
    names_by_code: dict[str, set[str]] = {}
    for c in companies:
        if c.uscc:
            names_by_code.setdefault(c.uscc, set()).add(c.registered_name)
    for c in companies:
        reasons = []
        if not c.registered_name.strip():
            reasons.append(
                (
                    "name",
                    _("%(company)s 尚未设置登记名称（系统管理 → 供水公司）") % {"company": c.name},
                )
            )
        else:
            reason = rules.text(c.registered_name, 200)
            if reason:
                reasons.append(
                    (
                        "name",
                        _("%(company)s 的登记名称：%(reason)s") % {"company": c.name, "reason": reason},
                    )
                )
        if not c.uscc:
            reasons.append(
                (
                    "code",
                    _("%(company)s 尚未设置统一社会信用代码（系统管理 → 供水公司）") % {"company": c.name},
                )
            )
        else:
            reason = rules.uscc(c.uscc)
            if reason:
                reasons.append(
                    (
                        "code",
                        _("%(company)s 的%(reason)s") % {"company": c.name, "reason": reason},
                    )
                )
            elif len(names_by_code.get(c.uscc, ())) > 1:
                reasons.append(
                    (
                        "code",
                        _("统一社会信用代码 %(code)s 对应了多个单位名称") % {"code": c.uscc},
                    )
                )
        out[c.pk] = Unit(c.registered_name, c.uscc, reasons)
    return out


def _unit_cells(row: Row, unit: Unit, name_col: str, code_col: str) -> None:
    row.cells[name_col] = unit.name
    row.cells[code_col] = unit.code
    for which, reason in unit.reasons:
        row.fail(name_col if which == "name" else code_col, reason, "company")


# --- 信用承诺 ----------------------------------------------------------------------------------------


def pledge_rows(end: datetime.date, unit_of: dict[int, Unit]) -> Iterator[Row]:
    reported = reported_rows(Sheet.PLEDGE).filter(source_id=OuterRef("pk"))
    pledges = (
        Pledge.objects.filter(state__in=SIGNED_STATES, signed_on__lte=end, number__isnull=False)
        .filter(~Exists(reported))
        .select_related("customer")
        .order_by("signed_on", "number", "pk")
    )
    seen: set[str] = set()
    for p in pledges.iterator(chunk_size=2000):
        c = p.customer
        row = Row(Sheet.PLEDGE, p.number, p.company_id, {}, customer_id=c.pk, source_id=p.pk)
        individual = c.kind == INDIVIDUAL
        cells = row.cells
        cells.update(
            {
                "承诺编码": p.number,
                "承诺人名称": c.name,
                "承诺人类别": rules.INDIVIDUAL if individual else rules.ORGANISATION,
                "承诺人代码": c.uscc,
                "承诺类型": str(p.get_kind_display()),
                "承诺事由": p.reason,
                "承诺内容": p.content,
                "违诺责任": p.consequences,
                "承诺作出日期": p.signed_on.isoformat() if p.signed_on else "",
                "承诺有效期": p.valid_until.isoformat() if p.valid_until else "",
                "公开类型": str(p.get_disclosure_display()),
                "备注": "",
            }
        )
        _unit_cells(row, unit_of[p.company_id], "承诺受理单位", "承诺受理单位代码")
        reason = rules.pledge_number(p.number, p.signed_on)
        if reason is None and p.number in seen:
            reason = _("承诺编码 %(no)s 在本批次中重复") % {"no": p.number}
        seen.add(p.number)
        row.fail("承诺编码", reason, "pledge")
        row.fail("承诺人名称", rules.text(cells["承诺人名称"], 200), "customer")
        row.fail("承诺人代码", rules.uscc(c.uscc), "customer")
        if c.uscc:
            row.fail("承诺人类别", rules.holder_class(c.uscc, individual), "customer")
        row.fail("承诺类型", rules.enum(cells["承诺类型"], rules.PLEDGE_KINDS), "pledge")
        row.fail("承诺事由", rules.text(cells["承诺事由"], 512), "pledge")
        row.fail("承诺内容", rules.text(cells["承诺内容"], 4000, multiline=True), "pledge")
        row.fail("违诺责任", rules.text(cells["违诺责任"], 4000, multiline=True), "pledge")
        row.fail("承诺作出日期", rules.date(cells["承诺作出日期"], latest=end), "pledge")
        row.fail("承诺有效期", rules.date(cells["承诺有效期"], required=False), "pledge")
        disclosure = rules.enum(cells["公开类型"], rules.DISCLOSURES) or rules.voluntary_is_public(
            cells["承诺类型"], cells["公开类型"]
        )
        row.fail("公开类型", disclosure, "pledge")
        yield row


# --- 履约践诺 ----------------------------------------------------------------------------------------


def _last_reported_state() -> Coalesce:
    """The 承诺履行状态 of the pledge's latest reported 履约践诺 row ("" when none), as a subquery."""
    latest = reported_rows(Sheet.FULFILMENT).filter(source_id=OuterRef("pk"))
    latest = latest.order_by("-batch__exported_at", "-batch_id", "-position")
    state = Subquery(latest.annotate(state=KeyTextTransform("1", "values")).values("state")[:1])
    return Coalesce(state, Value(""), output_field=CharField())


def _events_text(events: list[Event]) -> str:
    """未履行的承诺内容: the breaching records in words, kept within C4000 (saying how many there were)."""
    head = _("签署承诺后发生计入供水信用评价的失信记录：")
    parts = [f"{e.get_type_display()}({e.occurred_on:%Y-%m-%d},单据编号 {e.ref})" for e in events]
    text, total = head + ";".join(parts), len(parts)
    while len(text) > 4000 and parts:
        parts.pop()
        text = head + ";".join(parts) + _("等共 %(n)d 条") % {"n": total}
    return text


def fulfilment_rows(
    end: datetime.date,
    unit_of: dict[int, Unit],
    held_pledges: set[int],
    levels: dict[int, tuple[str, datetime.date]],
) -> Iterator[Row]:
    """`held_pledges`: the pledges whose 信用承诺 row this batch holds back; `levels`: customer id -> (effective
    level, as-of) of the run the batch reports, for 违诺责任追究内容."""
    from . import notices

    # Decided (or corrected) states that differ from the one last reported, in one query. A pledge here
    # is signed on or before the period's end, so it is reported already or in this batch's 信用承诺.
    candidates = list(
        Pledge.objects.filter(number__isnull=False)
        .annotate(last_state=_last_reported_state())
        .filter(
            (Q(state=PledgeState.FULFILLED, fulfilled_on__lte=end) & ~Q(last_state=rules.FULFILLED))
            | (Q(state=PledgeState.BREACHED, breached_on__lte=end) & ~Q(last_state=rules.NOT_FULFILLED))
            | Q(state=PledgeState.SIGNED, last_state__in=[rules.NOT_FULFILLED, rules.PARTLY])
        )
        .select_related("customer", "breach_event")
        .order_by("number", "pk")
    )
    breached = [p for p in candidates if p.state == PledgeState.BREACHED]
    events_by_customer: dict[int, list[Event]] = {}
    for e in Event.objects.filter(customer_id__in={p.customer_id for p in breached}, occurred_on__lte=end).order_by(
        "occurred_on", "id"
    ):
        events_by_customer.setdefault(e.customer_id, []).append(e)
    notice_dates = notices.breach_notice_dates([p.pk for p in breached])
    measures = measures_by_level()
    today = timezone.localdate()

    for p in candidates:
        if p.state == PledgeState.FULFILLED:
            state, decided = rules.FULFILLED, p.fulfilled_on
        elif p.state == PledgeState.BREACHED:
            state, decided = rules.NOT_FULFILLED, p.breached_on
        else:  # signed again: the breach reported earlier was undone
            state, decided = rules.FULFILLED, min(today, end)
        row = Row(
            Sheet.FULFILMENT,
            p.number,
            p.company_id,
            {},
            customer_id=p.customer_id,
            source_id=p.pk,
        )
        cells = row.cells
        cells["承诺编码"] = p.number
        cells["承诺履行状态"] = state
        cells["承诺履行状态认定日期"] = decided.isoformat() if decided else ""
        if state == rules.FULFILLED:
            cells["未履行的承诺内容"] = ""
            cells["违诺责任追究内容"] = ""
            if p.state != PledgeState.FULFILLED:
                row.note = _("此前报送的违诺已因记录作废、修复或异议成立而撤销，更正为全部履行")
        else:
            counted = [e for e in events_by_customer.get(p.customer_id, []) if e.occurred_on > p.signed_on]
            counted = [e for e in counted if event_counts(e, end)]
            cells["未履行的承诺内容"] = _events_text(counted) if counted else ""
            level, as_of = levels.get(p.customer_id, ("", None))
            consequence = [p.consequences]
            if level:
                texts = "、".join(m.text for m in measures.get(level, []))
                consequence.append(
                    _("经评定，信用等级为%(level)s（评定基准日 %(day)s）")
                    % {"level": LEVEL_LABELS[level], "day": as_of}
                )
                if texts:
                    consequence.append(_("实施监管措施：%(m)s") % {"m": texts})
            cells["违诺责任追究内容"] = ";".join(str(c) for c in consequence)
            given = notice_dates.get(p.pk)
            if given is None or (p.breached_on and given < p.breached_on):
                row.fail(
                    "承诺履行状态",
                    _("未书面告知：违诺信息报送前须向信用主体送达告知书（湖北省社会信用信息管理条例第二十三条）"),
                    "notice",
                )
        _unit_cells(row, unit_of[p.company_id], "认定单位", "认定单位代码")
        if p.pk in held_pledges:
            row.fail(
                "承诺编码",
                _("该承诺书的信用承诺行在本批次中暂缓报送，履约信息随之暂缓"),
                "pledge",
            )
        row.fail("承诺编码", rules.pledge_number(p.number, p.signed_on), "pledge")
        row.fail("承诺履行状态", rules.enum(state, rules.FULFILMENT_STATES), "pledge")
        if state == rules.FULFILLED:
            row.fail("未履行的承诺内容", rules.empty(cells["未履行的承诺内容"]), "pledge")
            row.fail("违诺责任追究内容", rules.empty(cells["违诺责任追究内容"]), "pledge")
        else:
            row.fail(
                "未履行的承诺内容",
                rules.text(cells["未履行的承诺内容"], 4000, multiline=True),
                "pledge",
            )
            row.fail(
                "违诺责任追究内容",
                rules.text(cells["违诺责任追究内容"], 4000, multiline=True),
                "pledge",
            )
        row.fail(
            "承诺履行状态认定日期",
            rules.date(cells["承诺履行状态认定日期"], required=False),
            "pledge",
        )
        yield row


# --- 信用评价 ----------------------------------------------------------------------------------------


def rating_run(end: datetime.date) -> tuple[RatingRun | None, str]:
    """The succeeded run as of the period's last day, or None and why the sheet is empty."""
    run = RatingRun.objects.filter(as_of=end).first()
    if run is None:
        return None, _("没有评定基准日为 %(day)s 的评级批次，信用评价表为空") % {"day": end.isoformat()}
    if run.status != RatingRun.Status.SUCCEEDED:
        return None, _("评定基准日为 %(day)s 的评级批次%(status)s，信用评价表为空") % {
            "day": end.isoformat(),
            "status": run.get_status_display(),
        }
    return run, ""


def overrides_on(day: datetime.date) -> dict[int, str]:
    """customer id -> the level of the override in force on `day` (the newest when several)."""
    out: dict[int, tuple] = {}
    for o in LevelOverride.objects.filter(in_force_on(day)).values(
        "customer_id", "level", "starts_on", "created_at", "pk"
    ):
        key = (o["starts_on"], o["created_at"], o["pk"])
        if o["customer_id"] not in out or key > out[o["customer_id"]][0]:
            out[o["customer_id"]] = (key, o["level"])
    return {cid: level for cid, (_, level) in out.items()}


def effective_levels(run: RatingRun, customer_ids: Iterable[int]) -> dict[int, tuple[str, datetime.date]]:
    """customer id -> (effective level, as-of) in `run`, for a few customers."""
    ids = list(set(customer_ids))
    if not ids:
        return {}
    forced = overrides_on(run.as_of)
    out = {}
    for cid, level in RatingResult.objects.filter(run=run, customer_id__in=ids).values_list("customer_id", "level"):
        out[cid] = (forced.get(cid, level), run.as_of)
    return out


RATING_SQL = """
SELECT c.uscc, c.account_no, c.id, c.company_id, c.name, r.level
FROM {results} r JOIN {customers} c ON c.id = r.customer_id
WHERE r.run_id = %s AND NOT EXISTS (
    SELECT 1 FROM {rows} br JOIN {batches} b ON b.id = br.batch_id
    WHERE br.sheet = %s AND br.key = c.uscc AND br.ref_date = %s AND br.held = %s
      AND br.returned_at IS NULL AND br.generation = b.generation AND b.status IN ({statuses})
){only}
ORDER BY c.uscc{collate}, c.account_no{collate}
"""


def _rating_cursor_rows(run: RatingRun, usccs: list[str] | None = None, chunk: int = 5000) -> Iterator[tuple]:
    """The run's results with their customers, by USCC then account, not yet reported for this run."""
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql = RATING_SQL.format(
        results=RatingResult._meta.db_table,
        customers=Customer._meta.db_table,
        rows=BatchRow._meta.db_table,
        batches=Batch._meta.db_table,
        statuses=", ".join(["%s"] * len(REPORTED_STATUSES)),
        collate=collate,
        only=f" AND c.uscc IN ({', '.join(['%s'] * len(usccs))})" if usccs is not None else "",
    )
    params = [
        run.pk,
        Sheet.RATING.value,
        run.as_of,
        False,
        *[str(s) for s in REPORTED_STATUSES],
        *(usccs or []),
    ]
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


def rating_rows(run: RatingRun, unit_of: dict[int, Unit], usccs: list[str] | None = None) -> Iterator[Row]:
    """One row per USCC of the run (of `usccs` only, when given) not yet reported for it."""
    from . import notices

    forced = overrides_on(run.as_of)
    covered = notices.given_level_notices()
    as_of = run.as_of.isoformat()
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}

    def emit(group: list[tuple]) -> Row:
        # The most severe effective level among the USCC's accounts; the first account holding it decides.
        best = None
        for uscc, account_no, cid, company_id, name, level in group:
            level = forced.get(cid, level)
            if best is None or rank[level] > rank[best[5]]:
                best = (uscc, account_no, cid, company_id, name, level)
        uscc, account_no, cid, company_id, name, level = best
        label = str(LEVEL_LABELS[level])
        row = Row(Sheet.RATING, uscc, company_id, {}, customer_id=cid, ref_date=run.as_of)
        row.cells.update(
            {
                "企业名称": name,
                "统一社会信用代码": uscc,
                "评定内容": rules.RATING_SUBJECT,
                "等级": label,
                "评定时间": as_of,
            }
        )
        if len(group) > 1:
            row.note = _("由户号 %(account)s 决定（该代码共 %(n)d 户）") % {
                "account": account_no,
                "n": len(group),
            }
        _unit_cells(row, unit_of[company_id], "评定单位", "评定单位代码")
        row.fail("企业名称", rules.text(name, 200), "customer")
        row.fail("统一社会信用代码", rules.uscc(uscc), "customer")
        row.fail("等级", rules.enum(label, rules.LEVELS), "customer")
        if label in rules.DISHONEST_LEVELS and (uscc, level) not in covered:
            row.fail(
                "等级",
                _("未书面告知：%(level)s等级首次报送前须向信用主体送达告知书（湖北省社会信用信息管理条例第二十三条）")
                % {"level": label},
                "notice",
            )
        return row

    group: list[tuple] = []
    for record in _rating_cursor_rows(run, usccs):
        if group and record[0] != group[0][0]:
            yield emit(group)
            group = []
        group.append(record)
    if group:
        yield emit(group)


def returned_rating_rows(end: datetime.date, unit_of: dict[int, Unit]) -> Iterator[Row]:
    """信用评价 rows of earlier runs that the platform returned and no batch has reported again since:
    rebuilt from their run as it is now (its results, the customers' current names and codes)."""
    returned = (
        BatchRow.objects.filter(
            sheet=Sheet.RATING,
            returned_at__isnull=False,
            ref_date__lt=end,
            batch__status__in=REPORTED_STATUSES,
            generation=F("batch__generation"),
        )
        .values_list("ref_date", "key")
        .distinct()
    )
    by_day: dict[datetime.date, set[str]] = {}
    for day, key in returned:
        by_day.setdefault(day, set()).add(key)
    for day in sorted(by_day):
        run = RatingRun.objects.filter(as_of=day, status=RatingRun.Status.SUCCEEDED).first()
        if run is None:
            continue
        keys = sorted(by_day[day])
        for start in range(0, len(keys), 1000):
            yield from rating_rows(run, unit_of, keys[start : start + 1000])


# --- 信用修复 ----------------------------------------------------------------------------------------


def repair_rows(end: datetime.date, unit_of: dict[int, Unit]) -> Iterator[Row]:
    next_day = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()))
    for req in repair_reporting.queued_requests().filter(decided_at__lt=next_day):
        cells = repair_reporting.row(req)
        row = Row(
            Sheet.REPAIR,
            req.number,
            req.company_id,
            cells,
            customer_id=req.customer_id,
            source_id=req.pk,
        )
        _unit_cells(row, unit_of[req.company_id], "决定单位", "决定单位代码")
        row.fail("编号", rules.text(cells["编号"], 32), "repair")
        row.fail("企业名称", rules.text(cells["企业名称"], 200), "customer")
        row.fail("统一社会信用代码", rules.uscc(cells["统一社会信用代码"]), "customer")
        row.fail("修复事项", rules.text(cells["修复事项"], 512), "repair")
        row.fail("申请日期", rules.date(cells["申请日期"]), "repair")
        row.fail("决定日期", rules.date(cells["决定日期"], latest=end), "repair")
        row.fail("决定", rules.enum(cells["决定"], rules.DECISIONS), "repair")
        yield row


# --- exporting ---------------------------------------------------------------------------------------


# On PostgreSQL a sheet's CSV is written by COPY itself, the same text the exporters would write from the rows
# (reporting/exporters.py): the formula guard, line breaks cleaned to \n, an empty field empty. Every field is
# quoted (FORCE_QUOTE), so a line break inside one travels as \x1e (no stored cell holds a control character:
# rules.text refuses them) while COPY's own \n ends the record; the bytes then become \r\n and \n again.
IN_FIELD_BREAK = b"\x1e"
CSV_TRIGGERS_SQL = r"'=', '+', '-', '@', E'\t'"


def _csv_cell_sql(i: int) -> str:
    cell = f'("values" ->> {i})'
    clean = rf"replace(replace(replace({cell}, E'\r\n', E'\n'), E'\r', E'\n'), E'\n', E'\x1e')"
    return (
        f"CASE WHEN {cell} IS NULL OR {cell} = '' THEN NULL "
        f"WHEN left({cell}, 1) IN ({CSV_TRIGGERS_SQL}) THEN '''' || {clean} ELSE {clean} END"
    )


class StoredRows:
    """One sheet's included rows of a batch generation, in order: iterated as tuples of text (one query on a
    server-side cursor, the cells taken out of the JSON by the database), or as CSV bytes by `csv_chunks`."""

    def __init__(self, batch_id: int, generation: int, sheet: str) -> None:
        self.batch_id, self.generation, self.sheet = int(batch_id), int(generation), Sheet(sheet).value
        self.width = len(COLUMNS[sheet])

    def _from(self) -> str:
        return (
            f"FROM {BatchRow._meta.db_table} WHERE batch_id = {self.batch_id} AND generation = {self.generation} "
            f"AND sheet = '{self.sheet}' AND NOT held ORDER BY position"
        )

    def __iter__(self) -> Iterator[tuple]:
        if connection.vendor == "postgresql":
            cells = ", ".join(f'"values" ->> {i}' for i in range(self.width))
        else:
            cells = ", ".join(f"json_extract(\"values\", '$[{i}]')" for i in range(self.width))
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT {cells} {self._from()}")
            while chunk := cursor.fetchmany(5000):
                yield from chunk

    def csv_chunks(self) -> Iterator[bytes] | None:
        """The CSV records (UTF-8, CRLF, no header) as PostgreSQL's COPY writes them; None on other databases."""
        if connection.vendor != "postgresql":
            return None
        return self._copy()

    def _copy(self) -> Iterator[bytes]:
        cells = ", ".join(_csv_cell_sql(i) for i in range(self.width))
        sql = f"COPY (SELECT {cells} {self._from()}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for data in copy:
                yield bytes(data).replace(b"\n", b"\r\n").replace(IN_FIELD_BREAK, b"\n")


def export_sheets(batch: Batch, generation: int | None = None) -> list[tuple[str, tuple[str, ...], StoredRows]]:
    """The four sheets of a batch for the exporters: (name, columns, rows), the rows not held back."""
    from .columns import SHEET_NAMES
    from .models import SHEET_ORDER

    gen = batch.generation if generation is None else generation
    return [(SHEET_NAMES[s], COLUMNS[s], StoredRows(batch.pk, gen, s)) for s in SHEET_ORDER]
