"""告知书 (湖北省社会信用信息管理条例 art. 23): preparing a written notice, recording its delivery, and the
queries that say which batch rows a delivered notice covers and what the clerk must still do.

    prepare_level_notice / prepare_breach_notice --> prepared (printable) --record_given--> given

A notice is prepared from the records as they stand (its text is copied then and never changed), printed,
delivered to the customer, and its delivery (date and method) recorded once; a given notice is never
changed. Every transition is atomic, locks its row and writes an audit entry (model "notice", in the
customer's change history).

The coverage rule (what the batch builder holds back without it):

* A 信用评价 row of a USCC whose level is yellow or red is covered by a GIVEN level notice of the same
  USCC and the same level (any account of that USCC, any as-of date). A notice prepared but not given
  does not cover; a notice of the other level does not cover (a yellow notice does not cover red, nor
  a red one yellow). Green and blue rows need no notice.
* A 履约践诺 row that is not 全部履行 is covered by a GIVEN breach notice of that pledge whose given_on is
  on or after the pledge's breached_on. A notice given before the breach date (an earlier breach,
  since undone) does not cover.

`covers_level` and `covers_breach` state the rule on plain values; `given_level_notices` and
`breach_notice_dates` load what they need for many rows at once.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import audit
from customers.models import AuditEntry, Company, Customer, company_ids_for
from customers.roles import is_staff_member
from customers.services import TransitionError
from pledges.models import Pledge, PledgeState
from ratings.criteria import criterion_text, sort_codes
from ratings.explain import explain_customer
from ratings.measures import measures_for
from ratings.models import Level, LevelOverride, RatingResult, RatingRun
from ratings.overrides import in_force_on, in_force_override
from repair.models import NumberCounter
from repair.services import ACCEPT_WORKING_DAYS, DECIDE_WORKING_DAYS

from .models import Notice, NoticeKind, NoticeMethod

__all__ = [
    "NOTIFIED_LEVELS",
    "TransitionError",
    "breach_notice_dates",
    "covers_breach",
    "covers_level",
    "given_level_notices",
    "needing_notice",
    "prepare_breach_notice",
    "prepare_level_notice",
    "prepare_missing",
    "record_given",
]

NOTIFIED_LEVELS = (Level.YELLOW.value, Level.RED.value)
LEVEL_LABELS = dict(Level.choices)
# One letter per company in the notice number (GZC20261130001 / GZX…); ASCII so it fits a URL.
COMPANY_LETTERS = {Company.CITY: "C", Company.COUNTY: "X"}
PLATFORM = "随州市公共信用信息平台"
PORTAL = "“信用中国（湖北随州）”网站"
HOTLINE = "96510"
SNAPSHOT_FIELDS = (
    "number",
    "kind",
    "company",
    "customer_name",
    "uscc",
    "level",
    "as_of",
    "pledge",
    "given_on",
    "method",
    "given_by",
    "created_by",
)
_CHUNK = 10_000
_TRAILING_PUNCTUATION = re.compile(r"[;;。.]+$")
# Records named under each criterion in a level notice: the rest are counted, so a notice stays one page.
MAX_RECORDS = 4
RECORD_BUDGET = 10


# --- the rule, on plain values ---------------------------------------------------------------


def covers_level(given: set[tuple[str, str]], uscc: str, level: str) -> bool:
    """Is a 信用评价 row (uscc, level) covered? Green and blue need no notice; yellow and red need a
    given level notice of the same USCC and level (`given` from `given_level_notices`)."""
    return level not in NOTIFIED_LEVELS or (uscc, level) in given


def covers_breach(dates: dict[int, datetime.date], pledge_id: int, breached_on: datetime.date | None) -> bool:
    """Is a 履约践诺 row that is not 全部履行 covered? Only by a breach notice of the pledge given on or after
    its breach date (`dates` from `breach_notice_dates`)."""
    given_on = dates.get(pledge_id)
    return given_on is not None and (breached_on is None or given_on >= breached_on)


# --- coverage queries (the batch builder) ------------------------------------------------------


def _chunks(values: Iterable, size: int = _CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def given_level_notices(usccs: Iterable[str] | None = None) -> set[tuple[str, str]]:
    """(uscc, level) of every given level notice, optionally only of these USCCs."""
    base = Notice.objects.filter(kind=NoticeKind.LEVEL, given_on__isnull=False).order_by()
    if usccs is None:
        return set(base.values_list("uscc", "level").distinct())
    found: set[tuple[str, str]] = set()
    for chunk in _chunks(set(usccs)):
        found.update(base.filter(uscc__in=chunk).values_list("uscc", "level").distinct())
    return found


def breach_notice_dates(
    pledge_ids: Iterable[int] | None = None,
) -> dict[int, datetime.date]:
    """pledge id -> the latest given_on of its given breach notices, optionally only of these pledges."""
    base = Notice.objects.filter(kind=NoticeKind.BREACH, given_on__isnull=False, pledge__isnull=False).order_by()

    def load(qs) -> dict[int, datetime.date]:
        return dict(qs.values("pledge_id").annotate(last=Max("given_on")).values_list("pledge_id", "last"))

    if pledge_ids is None:
        return load(base)
    out: dict[int, datetime.date] = {}
    for chunk in _chunks(set(pledge_ids)):
        out.update(load(base.filter(pledge_id__in=chunk)))
    return out


# --- levels ------------------------------------------------------------------------------------


def latest_run() -> RatingRun | None:
    return RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()


@dataclass(frozen=True)
class CurrentLevel:
    """A customer's level in the latest succeeded run: computed, the override in force on its date, effective."""

    run: RatingRun
    result: RatingResult
    override: LevelOverride | None

    @property
    def level(self) -> str:
        return self.override.level if self.override is not None else self.result.level

    @property
    def needs_notice(self) -> bool:
        return self.level in NOTIFIED_LEVELS


def current_level(customer: Customer, run: RatingRun | None = None) -> CurrentLevel | None:
    """The customer's effective level in the latest succeeded run (None: no run, or not rated in it)."""
    run = run or latest_run()
    if run is None:
        return None
    result = RatingResult.objects.filter(run=run, customer=customer).first()
    if result is None:
        return None
    return CurrentLevel(run=run, result=result, override=in_force_override(customer, run.as_of))


# --- numbering, scope, audit -------------------------------------------------------------------


def next_number(company: Company, day: datetime.date) -> str:
    """GZC20261130001: GZ, the company's letter, the day, a serial (3 digits, more past 999) from the
    locked `repair.models.NumberCounter` under the key GZ-<company>-<day>. Inside the caller's transaction."""
    letter = COMPANY_LETTERS.get(company.code, (company.code[:1] or "Z").upper())
    key = f"GZ-{company.code.upper()}-{day:%Y%m%d}"
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(key=key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"GZ{letter}{day:%Y%m%d}{counter.last:03d}"


def visible_notices(user) -> QuerySet[Notice]:
    """The notices of the customers `user` may see (the customer's company, as every page scopes)."""
    if not user.is_authenticated or not user.is_active:
        return Notice.objects.none()
    return Notice.objects.filter(customer__company_id__in=company_ids_for(user))


def _require_staff(user, customer_id: int) -> None:
    if not is_staff_member(user):
        raise PermissionDenied(_("只有客服专员和审核主管可以办理告知书"))
    if not Customer.objects.for_user(user).filter(pk=customer_id).exists():
        raise PermissionDenied(_("您无权办理该客户的告知书"))


def _log(action: str, notice: Notice, before: dict | None, user, note: str = "") -> None:
    """The entry is the acting user's, unless a page, command or task has already named the actor."""
    after = audit.snapshot(notice, SNAPSHOT_FIELDS)
    if user is not None and user.is_authenticated and audit.current_actor() == audit.SYSTEM:
        with audit.acting_as(user=user):
            audit.record(action, notice, before, after, note=note)
    else:
        audit.record(action, notice, before, after, note=note)


def _date_cn(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _objection_paragraphs() -> list[str]:
    return [
        _(
            "你单位如对上述信用信息有异议，可自收到本告知书之日起向本公司提出异议申请，并提供相关证明材料；"
            "你单位如已纠正失信行为、履行相关义务，可依照有关规定"
            "向本公司申请信用修复，并作出信用修复承诺。本公司自收到申请之日起%(accept)s个工作日内决定是否受理，"
            "受理后%(decide)s个工作日内办结，并书面告知处理结果。"
        )
        % {"accept": ACCEPT_WORKING_DAYS, "decide": DECIDE_WORKING_DAYS},
        _("咨询电话：%(hotline)s（供水热线）。") % {"hotline": HOTLINE},
        _("特此告知。"),
    ]


def level_notice_text(customer: Customer, current: CurrentLevel) -> str:
    """The text of a level notice, one paragraph a line (the PDF prints the lines as they are)."""
    level = current.level
    label = LEVEL_LABELS[level]
    as_of = current.run.as_of
    lines = [
        _("%(name)s（统一社会信用代码：%(uscc)s）：") % {"name": customer.name, "uscc": customer.uscc},
        _(
            "根据《随州市水务集团供水信用体系建设工作实施方案（试行）》及其附件4《随州市水务集团用水信用等级评定要素》，"
            "经本公司评定，你单位（户号 %(account)s）截至%(day)s的供水用水信用等级为%(level)s。"
        )
        % {"account": customer.account_no, "day": _date_cn(as_of), "level": label},
    ]
    if current.override is not None:
        lines.append(_("该等级经本公司审核认定，理由如下：%(reason)s") % {"reason": current.override.reason.strip()})
    codes = [c for c in current.result.criteria.split(";") if c]
    own = [c for c in sort_codes(codes) if c[0] == level[0].upper()]
    if own:
        explanation = explain_customer(customer, as_of)
        records = {hit.code: hit.records for hit in explanation.hits + explanation.other_hits}
        lines.append(_("评定依据（附件4%(level)s信用等级评定要素）：") % {"level": label})
        numerals = "一二三四五六七八九十"
        # At most MAX_RECORDS records a criterion, and about RECORD_BUDGET in all: the rest are counted.
        per_criterion = max(1, min(MAX_RECORDS, RECORD_BUDGET // len(own)))
        for i, code in enumerate(own):
            numeral = numerals[i] if i < len(numerals) else str(i + 1)
            line = f"{numeral}、{criterion_text(code)}"
            found = records.get(code) or ()
            if found:
                shown = "；".join(found[:per_criterion])
                if len(found) > per_criterion:
                    shown += _("等，共 %(n)s 条") % {"n": len(found)}
                line += _("（相关记录：%(records)s）") % {"records": shown}
            lines.append(line + ("。" if i == len(own) - 1 else "；"))
    measures = [m.text for m in measures_for(level)]
    if measures:
        lines.append(
            _("依照分级分类监管的规定，本公司将对你单位采取以下监管措施：%(measures)s。")
            % {"measures": "；".join(f"{i}.{t}" for i, t in enumerate(measures, 1))}
        )
    lines.append(
        _(
            "根据《湖北省社会信用信息管理条例》第二十三条的规定，现书面告知你单位：上述%(level)s信用等级属于失信信用信息，"
            "本公司将依法报送%(platform)s，并通过%(portal)s依法公示。"
        )
        % {"level": label, "platform": PLATFORM, "portal": PORTAL}
    )
    lines.extend(_objection_paragraphs())
    return "\n".join(lines)


def breach_notice_text(pledge: Pledge) -> str:
    """The text of a breach notice: the pledge, the breaching event, the pledge's consequences clause."""
    event = pledge.breach_event
    detail = event.detail_text() if event is not None else ""
    event_words = (
        _("%(day)s发生“%(type)s”行为（单据编号：%(ref)s%(detail)s）")
        % {
            "day": _date_cn(event.occurred_on),
            "type": event.get_type_display(),
            "ref": event.ref,
            "detail": f"，{detail}" if detail else "",
        }
        if event is not None
        else _("%(day)s发生违反承诺的行为") % {"day": _date_cn(pledge.breached_on)}
    )
    lines = [
        _("%(name)s（统一社会信用代码：%(uscc)s）：") % {"name": pledge.customer_name, "uscc": pledge.customer_uscc},
        _("你单位于%(signed)s签署《%(title)s》（承诺编码：%(number)s，%(kind)s），向本公司作出信用承诺。")
        % {
            "signed": _date_cn(pledge.signed_on) if pledge.signed_on else "—",
            "title": pledge.title,
            "number": pledge.number or pledge.display_number,
            "kind": pledge.get_kind_display(),
        },
        _("经核查，你单位于%(event)s，违反了上述承诺，本公司认定该承诺未履行（违诺日期：%(day)s）。")
        % {"event": event_words, "day": _date_cn(pledge.breached_on)},
        _("依照你单位在承诺书中作出的违诺责任承诺：“%(clause)s”，本公司将依法依规追究相应责任。")
        % {"clause": _TRAILING_PUNCTUATION.sub("", pledge.consequences.strip())},
        _(
            "根据《湖北省社会信用信息管理条例》第二十三条的规定，现书面告知你单位：上述违诺信息属于失信信用信息，"
            "本公司将作为履约践诺信息依法报送%(platform)s，并通过%(portal)s依法公示。"
        )
        % {"platform": PLATFORM, "portal": PORTAL},
        *_objection_paragraphs(),
    ]
    return "\n".join(lines)


# --- transitions -------------------------------------------------------------------------------


def _lock_customer(customer: Customer) -> Customer:
    """The customer row is the lock: two clerks preparing for one customer queue up here."""
    return Customer.objects.select_for_update().select_related("company").get(pk=customer.pk)


@transaction.atomic
def prepare_level_notice(customer: Customer, *, user) -> Notice:
    """A level notice for the customer's effective level in the latest succeeded run (yellow or red only).

    Refused when no run rated the customer, when the level needs no notice, when a given notice of
    the same USCC and level already covers it, or when the same notice is already prepared and waits
    to be delivered.
    """
    _require_staff(user, customer.pk)
    customer = _lock_customer(customer)
    current = current_level(customer)
    if current is None:
        raise TransitionError(
            _("客户 %(name)s 在最近一次已完成的评级中没有评定结果，不能生成信用等级告知书") % {"name": customer.name}
        )
    if not current.needs_notice:
        raise TransitionError(
            _("客户 %(name)s 当前信用等级为%(level)s，只有黄色、红色等级需要书面告知")
            % {"name": customer.name, "level": LEVEL_LABELS[current.level]}
        )
    level_notices = Notice.objects.filter(kind=NoticeKind.LEVEL, uscc=customer.uscc, level=current.level)
    given = level_notices.filter(given_on__isnull=False).order_by("-given_on", "-id").first()
    if given is not None:
        raise TransitionError(
            _("统一社会信用代码 %(uscc)s 的%(level)s等级已于 %(day)s 以告知书 %(number)s 告知，无需重复告知")
            % {
                "uscc": customer.uscc,
                "level": LEVEL_LABELS[current.level],
                "day": given.given_on,
                "number": given.number,
            }
        )
    waiting = level_notices.filter(given_on__isnull=True, as_of=current.run.as_of).order_by("-id").first()
    if waiting is not None:
        raise TransitionError(
            _("已生成告知书 %(number)s，尚未送达；请打印送达后登记送达情况") % {"number": waiting.number}
        )
    now = timezone.now()
    notice = Notice.objects.create(
        number=next_number(customer.company, timezone.localdate(now)),
        kind=NoticeKind.LEVEL,
        customer=customer,
        company=customer.company,
        customer_name=customer.name,
        uscc=customer.uscc,
        level=current.level,
        as_of=current.run.as_of,
        content=level_notice_text(customer, current),
        created_at=now,
        created_by=user,
    )
    _log(AuditEntry.CREATE, notice, None, user)
    return notice


@transaction.atomic
def prepare_breach_notice(pledge: Pledge, *, user) -> Notice:
    """A breach notice for a pledge in state breached, naming its 承诺编码, the breaching event and its
    consequences clause. Refused when the pledge is not breached or a given notice already covers it."""
    _require_staff(user, pledge.customer_id)
    _lock_customer(pledge.customer)
    pledge = Pledge.objects.select_related("customer__company", "breach_event").get(pk=pledge.pk)
    if pledge.state != PledgeState.BREACHED:
        raise TransitionError(
            _("承诺书 %(number)s 当前状态为“%(state)s”，只有未履行（违诺）的承诺书需要违诺告知")
            % {"number": pledge.display_number, "state": pledge.get_state_display()}
        )
    covering = (
        Notice.objects.filter(kind=NoticeKind.BREACH, pledge=pledge, given_on__gte=pledge.breached_on)
        .order_by("-given_on")
        .first()
    )
    if covering is not None:
        raise TransitionError(
            _("承诺书 %(pledge)s 的违诺已于 %(day)s 以告知书 %(number)s 告知，无需重复告知")
            % {
                "pledge": pledge.display_number,
                "day": covering.given_on,
                "number": covering.number,
            }
        )
    waiting = (
        Notice.objects.filter(kind=NoticeKind.BREACH, pledge=pledge, given_on__isnull=True)
        .filter(created_at__date__gte=pledge.breached_on)
        .first()
    )
    if waiting is not None:
        raise TransitionError(
            _("已生成告知书 %(number)s，尚未送达；请打印送达后登记送达情况") % {"number": waiting.number}
        )
    customer = pledge.customer
    now = timezone.now()
    notice = Notice.objects.create(
        number=next_number(customer.company, timezone.localdate(now)),
        kind=NoticeKind.BREACH,
        customer=customer,
        company=customer.company,
        customer_name=pledge.customer_name,
        uscc=pledge.customer_uscc,
        pledge=pledge,
        content=breach_notice_text(pledge),
        created_at=now,
        created_by=user,
    )
    _log(AuditEntry.CREATE, notice, None, user)
    return notice


@transaction.atomic
def record_given(notice: Notice, *, given_on: datetime.date | None, method: str | None, user) -> Notice:
    """Record that the notice was delivered: on `given_on` (not in the future, not before it was prepared)
    by `method` (当面送达 / 邮寄 / 电子送达). Once recorded it never changes."""
    _require_staff(user, notice.customer_id)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.is_given:
        raise TransitionError(
            _("告知书 %(number)s 已于 %(day)s 登记送达（%(method)s），送达情况不能更改")
            % {
                "number": notice.number,
                "day": notice.given_on,
                "method": notice.get_method_display(),
            }
        )
    errors: dict[str, str] = {}
    today = timezone.localdate()
    prepared_on = timezone.localdate(notice.created_at)
    if given_on is None:
        errors["given_on"] = _("请填写送达日期")
    elif given_on > today:
        errors["given_on"] = _("送达日期 %(day)s 晚于今天（%(today)s）") % {
            "day": given_on,
            "today": today,
        }
    elif given_on < prepared_on:
        errors["given_on"] = _("送达日期 %(day)s 早于告知书生成日期 %(prepared)s") % {
            "day": given_on,
            "prepared": prepared_on,
        }
    if method not in NoticeMethod.values:
        errors["method"] = _("请选择送达方式：当面送达、邮寄或电子送达")
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(notice, SNAPSHOT_FIELDS)
    notice.given_on = given_on
    notice.method = method
    notice.given_by = user
    notice.save(update_fields=["given_on", "method", "given_by"])
    _log(AuditEntry.UPDATE, notice, before, user, note=str(NoticeMethod(method).label))
    return notice


# --- what the clerk must still do --------------------------------------------------------------


@dataclass
class Needing:
    """Who still needs a notice: `levels` (RatingResult rows of the run, annotated) and `breaches` (pledges).

    Each level row has `notice_level` (the effective level), `override_level`, `prepared_number` (a
    notice prepared for that USCC and level, not given yet) and `customer` (with its company) loaded.
    Each pledge has `prepared_number` likewise. Both are lazy querysets: the list page pages them.
    """

    run: RatingRun | None
    levels: QuerySet[RatingResult]
    breaches: QuerySet[Pledge]


def _companies(user, company: Company | int | None) -> list[int]:
    allowed = company_ids_for(user)
    if company is None:
        return allowed
    company_id = company.pk if isinstance(company, Company) else int(company)
    return [company_id] if company_id in allowed else []


def _level_needing(run: RatingRun | None, company_ids: list[int]) -> QuerySet[RatingResult]:
    """Results of the run whose effective level is yellow or red and that no given notice covers.

    Read from the run's results whose computed level is yellow or red (a few percent) plus the
    customers with an override in force on the run's date (few), never by walking every customer.
    """
    if run is None or not company_ids:
        return RatingResult.objects.none()
    overrides = LevelOverride.objects.filter(in_force_on(run.as_of))
    newest = overrides.filter(customer_id=OuterRef("customer_id")).order_by("-starts_on", "-created_at", "-id")
    level_notices = Notice.objects.filter(
        kind=NoticeKind.LEVEL,
        uscc=OuterRef("customer__uscc"),
        level=OuterRef("notice_level"),
    )
    return (
        RatingResult.objects.filter(run=run, customer__company_id__in=company_ids)
        .filter(Q(level__in=NOTIFIED_LEVELS) | Q(customer_id__in=overrides.values("customer_id")))
        .annotate(override_level=Subquery(newest.values("level")[:1]))
        .annotate(notice_level=Coalesce("override_level", "level"))
        .filter(notice_level__in=NOTIFIED_LEVELS)
        .exclude(Exists(level_notices.filter(given_on__isnull=False)))
        .annotate(
            prepared_number=Subquery(
                level_notices.filter(given_on__isnull=True).order_by("-created_at", "-id").values("number")[:1]
            )
        )
        .select_related("customer__company")
        .order_by("customer__company_id", "customer__account_no")
    )


def _breach_needing(company_ids: list[int]) -> QuerySet[Pledge]:
    """Breached pledges without a breach notice given on or after the breach date."""
    if not company_ids:
        return Pledge.objects.none()
    notices = Notice.objects.filter(kind=NoticeKind.BREACH, pledge=OuterRef("pk"))
    return (
        Pledge.objects.filter(state=PledgeState.BREACHED, company_id__in=company_ids)
        .exclude(Exists(notices.filter(given_on__gte=OuterRef("breached_on"))))
        .annotate(
            prepared_number=Subquery(
                notices.filter(given_on__isnull=True, created_at__date__gte=OuterRef("breached_on"))
                .order_by("-created_at", "-id")
                .values("number")[:1]
            )
        )
        .select_related("customer__company", "breach_event")
        .order_by("company_id", "customer__account_no", "pk")
    )


def needing_notice(user, *, company: Company | int | None = None) -> Needing:
    """What the clerk must still do, among the customers of the user's companies (or of one of them):
    customers whose effective level in the latest succeeded run is yellow or red without a covering
    given notice, and breached pledges without a covering given breach notice."""
    company_ids = _companies(user, company)
    run = latest_run()
    return Needing(
        run=run,
        levels=_level_needing(run, company_ids),
        breaches=_breach_needing(company_ids),
    )


def customer_needs(customer: Customer, current: CurrentLevel | None) -> bool:
    """Does this customer's current level need a notice that no given notice covers?"""
    if current is None or not current.needs_notice:
        return False
    return not Notice.objects.filter(
        kind=NoticeKind.LEVEL,
        uscc=customer.uscc,
        level=current.level,
        given_on__isnull=False,
    ).exists()


MAX_PRINT_ALL = 500


def prepare_missing(user, company: Company | int, *, limit: int | None = None) -> list[Notice]:
    """Prepare the notices of everyone of `company` who needs one and has none prepared; returns them.

    One transaction per notice (a refusal of one, e.g. a concurrent prepare, does not undo the others).
    One notice per USCC and level: several accounts of one enterprise get one notice. At most `limit`
    notices (the print page prepares what it prints).
    """
    needing = needing_notice(user, company=company)
    prepared: list[Notice] = []
    seen: set[tuple[str, str]] = set()

    def full() -> bool:
        return limit is not None and len(prepared) >= limit

    for row in needing.levels.filter(prepared_number__isnull=True).iterator(chunk_size=500):
        key = (row.customer.uscc, row.notice_level)
        if key in seen:
            continue
        if full():
            return prepared
        seen.add(key)
        try:
            prepared.append(prepare_level_notice(row.customer, user=user))
        except TransitionError:
            continue
    for pledge in needing.breaches.filter(prepared_number__isnull=True):
        if full():
            return prepared
        try:
            prepared.append(prepare_breach_notice(pledge, user=user))
        except TransitionError:
            continue
    return prepared


def notices_to_print(user, company: Company | int) -> list[Notice]:
    """The prepared (not given) notices that cover the needing rows of `company`, in list order, at most
    MAX_PRINT_ALL; the caller prepares the missing ones first (`prepare_missing`)."""
    needing = needing_notice(user, company=company)
    numbers: list[str] = []
    for number in needing.levels.filter(prepared_number__isnull=False).values_list("prepared_number", flat=True):
        if number not in numbers:
            numbers.append(number)
    numbers.extend(
        n for n in needing.breaches.filter(prepared_number__isnull=False).values_list("prepared_number", flat=True)
    )
    numbers = list(dict.fromkeys(numbers))[:MAX_PRINT_ALL]
    by_number = Notice.objects.select_related("company", "customer").in_bulk(numbers, field_name="number")
    return [by_number[n] for n in numbers if n in by_number]


# --- the PDF -----------------------------------------------------------------------------------

PDF_CHUNK = 50
COMPACT_FROM = 800  # characters of text from which the page is set tighter


def _pdf_context(notice: Notice) -> dict:
    company = notice.company
    lines = notice.content.split("\n")
    return {
        "notice": notice,
        "title": _("信用信息告知书") if notice.kind == NoticeKind.LEVEL else _("失信信息告知书"),
        "addressee": lines[0] if lines else "",
        "paragraphs": lines[1:],
        "company_name": company.registered_name or company.name,
        "prepared_on": timezone.localdate(notice.created_at),
        "compact": len(notice.content) > COMPACT_FROM,
    }


def render_pdf(notices: Iterable[Notice]) -> bytes:
    """One PDF, one A4 page per notice, in order; rendered in chunks so hundreds of pages stay cheap."""
    from pledges import pdf

    notices = list(notices)
    if not notices:
        raise ValueError("no notices to print")
    documents = [
        pdf.render_document(
            "pdf/notice.html",
            {"items": [_pdf_context(n) for n in notices[start : start + PDF_CHUNK]]},
        )
        for start in range(0, len(notices), PDF_CHUNK)
    ]
    if len(documents) == 1:
        return documents[0].write_pdf()
    return pdf.combine(documents)


# --- the credit file's card --------------------------------------------------------------------


def notice_card_context(customer: Customer, pledges: Iterable[Pledge] | None = None) -> dict:
    """Context for templates/reporting/_notice_card.html on the credit file: the customer's notices,
    its current level and whether it needs a notice, and its breached pledges without a covering one.

    Three queries (the latest run's result, the notices, the breached pledges); one more for the override
    when the customer was rated, and one more for the covering notice when its level is yellow or red.
    `pledges`, when given, are all the customer's pledges already loaded (the pledge card's): no query for them.
    """
    latest = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").values("pk")[:1]
    result = RatingResult.objects.filter(run=Subquery(latest), customer=customer).select_related("run").first()
    current = None
    if result is not None:
        current = CurrentLevel(run=result.run, result=result, override=in_force_override(customer, result.run.as_of))
    notices = list(
        Notice.objects.filter(customer=customer).select_related("pledge", "given_by").order_by("-created_at", "-id")
    )
    needs_level = customer_needs(customer, current)
    waiting = next(
        (
            n
            for n in notices
            if needs_level and n.kind == NoticeKind.LEVEL and not n.is_given and n.level == current.level
        ),
        None,
    )
    # Breach notices are the pledge's customer's, so the notices loaded above decide coverage.
    breaches = []
    if pledges is None:
        breached = list(Pledge.objects.filter(customer=customer, state=PledgeState.BREACHED).order_by("pk"))
    else:
        breached = sorted((p for p in pledges if p.state == PledgeState.BREACHED), key=lambda p: p.pk)
    for pledge in breached:
        own = [n for n in notices if n.kind == NoticeKind.BREACH and n.pledge_id == pledge.pk]
        dates = {pledge.pk: max((n.given_on for n in own if n.is_given), default=None)}
        if dates[pledge.pk] is None:
            dates = {}
        if covers_breach(dates, pledge.pk, pledge.breached_on):
            continue
        prepared = [
            n
            for n in own
            if not n.is_given and timezone.localdate(n.created_at) >= (pledge.breached_on or datetime.date.min)
        ]
        pledge.prepared_number = prepared[0].number if prepared else None
        breaches.append(pledge)
    return {
        "notice_rows": notices,
        "notice_current": current,
        "notice_needs_level": needs_level,
        "notice_waiting": waiting,
        "notice_breaches": breaches,
    }
