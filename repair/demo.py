"""Demo repair and objection requests for `seed_demo`: a queue a supervisor can clear.

Every request goes through the real services, each step at its own moment in the past (the clock
is moved with time-machine while seeding only), so numbers, deadlines and deadlines' working days
agree. Like all demo data it is written as `command:seed_demo` in the audit log. The queue:
accepted ones waiting for a decision (the repair of the worst-rated city customer whose red or
yellow comes only from repairable records, covering all of them, pledge signed, so approving it
gives a better level and lifts restrictions; an overdue objection of the worst-rated county
customer), submitted ones (one overdue, one lodged by the supervisor, which only another
supervisor may decide), and decided ones (rejected, dismissed, refused; approvals and upheld
objections are left for the user, as their re-rating is logged as the deciding user). When no
rating run is stored yet, last month's run is made first so an approval shows the level change.
Idempotent: does nothing when a request exists.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from customers import audit
from customers.demo import DEMO_ACTOR
from customers.models import Bill, Customer, Event
from customers.roles import is_supervisor
from pledges import services as pledge_services
from pledges.demo import tiny_scan_pdf
from pledges.uploads import check_upload

from . import services
from .models import RepairRequest
from .workdays import add_working_days, is_working_day

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _working_days_before(day: datetime.date, n: int) -> datetime.date:
    """The n-th working day before `day`."""
    d = day
    while n > 0:
        d -= datetime.timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def _at(day: datetime.date, hour: int, minute: int = 0):
    import time_machine

    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI), tick=False
    )


_serial = iter(range(1, 10_000))


def _file(name: str) -> services.EvidenceFile:
    content = ContentFile(tiny_scan_pdf(f"demo evidence no. {next(_serial)}"), name=name)
    checked = check_upload(content)
    return services.EvidenceFile(
        file=content, name=name, content_type=checked.content_type, sha256=checked.sha256, size=checked.size
    )


def _sign(req: RepairRequest, clerk, day: datetime.date) -> None:
    with _at(day, 15):
        pledge = services.prepare_repair_pledge(req.pk, user=clerk)
        pledge_services.mark_printed([pledge], user=clerk)
        scan = ContentFile(tiny_scan_pdf("signed repair pledge"), name="scan.pdf")
        services.sign_repair_pledge(req.pk, signed_on=day, scan=scan, checked=check_upload(scan), user=clerk)


def _candidates(company_code: str, today: datetime.date) -> tuple[list[Customer], list[Customer]]:
    """Customers with standing counting events, and customers with late-paid bills, of one company."""
    event_customers = list(
        Customer.objects.filter(company__code=company_code, events__in=Event.objects.active())
        .exclude(events__type="late_payment")
        .distinct()
        .order_by("account_no")[:40]
    )
    late_customers = list(
        Customer.objects.filter(
            company__code=company_code,
            bills__paid_on__isnull=False,
            bills__paid_on__gt=F("bills__due_on"),
            bills__due_on__gt=today - datetime.timedelta(days=365),
        )
        .distinct()
        .order_by("account_no")[:6]
    )
    return event_customers, late_customers


def seed_repairs(*, today: datetime.date | None = None) -> int:
    """Create the demo requests; returns how many (0 when requests exist already)."""
    if RepairRequest.objects.exists():
        return 0
    today = today or timezone.localdate()
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["clerk_city", "clerk_county", "supervisor"])}
    if len(users) < 3 or not is_supervisor(users["supervisor"]):
        return 0
    clerk_city, clerk_county, supervisor = (users[n] for n in ("clerk_city", "clerk_county", "supervisor"))
    _ensure_run(today)
    made: list[RepairRequest] = []

    def events_of(customer: Customer, n: int = 1) -> list[Event]:
        return list(Event.objects.active().filter(customer=customer).order_by("-occurred_on")[:n])

    def late_bills_of(customer: Customer, n: int = 2) -> list[Bill]:
        return list(services.eligible_bills(customer).exclude(paid_on__isnull=True)[:n])

    def lodge(customer, clerk, day, *, kind="repair", events=(), bills=(), reason, files=("补缴凭证.pdf",), hour=9):
        with _at(day, hour):
            req = services.lodge_request(
                customer,
                kind=kind,
                events=list(events),
                bills=list(bills),
                reason=reason,
                evidence=[_file(f) for f in files],
                user=clerk,
            )
        made.append(req)
        return req

    def step(day: datetime.date, fn: Callable, *args, hour=10, **kwargs):
        with _at(day, hour):
            return fn(*args, **kwargs)

    city_events, city_late = _candidates("city", today)
    county_events, county_late = _candidates("county", today)
    # the worst-rated first: the first approval then lifts a red or yellow customer's restrictions
    levels = _stored_levels()
    rank = {"red": 0, "yellow": 1, "blue": 2, "green": 3}
    for group in (city_events, county_events):
        group.sort(key=lambda c: (rank.get(levels.get(c.pk, ""), 4), c.account_no))
    # The promised path: the worst-rated city customer whose red or yellow comes only from records a
    # repair can cover (its standing events and late-paid bills; no unpaid bill), so that approving
    # the repair really gives a better level and lifts its restrictions.
    promised = _repairable_customer("city", levels, rank)
    if promised is not None:
        customer = promised[0]
        city_events = [customer] + [c for c in city_events if c.pk != customer.pk]
        city_late = [c for c in city_late if c.pk != customer.pk]

    with audit.acting_as(DEMO_ACTOR):
        # open, accepted, pledge signed: the worst-rated city customer; approving it lifts its restrictions
        if city_events:
            c = city_events[0]
            day = _working_days_before(today, 4)
            covered_events, covered_bills = (promised[1], promised[2]) if promised else (events_of(c, 2), [])
            req = lodge(
                c,
                clerk_city,
                day,
                events=covered_events,
                bills=covered_bills,
                reason="已于上月全额赔偿损失并补缴水费，拆除私接管道，整改完毕。",
                files=("赔偿收据.pdf", "整改照片.pdf"),
            )
            step(add_working_days(day, 1), services.accept, req.pk, user=supervisor, note="材料齐全，予以受理")
            _sign(req, clerk_city, add_working_days(day, 2))
        # open, accepted objection of the worst-rated county customer, overdue (accepted 9 working days ago)
        if county_events:
            c = county_events[0]
            day = _working_days_before(today, 10)
            req = lodge(
                c,
                clerk_county,
                day,
                kind="objection",
                events=events_of(c),
                reason="客户对事件责任认定有异议，称系施工单位所为，附施工合同及情况说明。",
                files=("施工合同.pdf", "情况说明.pdf"),
            )
            step(add_working_days(day, 1), services.accept, req.pk, user=supervisor)
        # open, accepted repair of late payments, pledge signed
        if city_late:
            c = city_late[0]
            day = _working_days_before(today, 3)
            req = lodge(
                c,
                clerk_city,
                day,
                bills=late_bills_of(c, 2),
                reason="逾期水费及违约金已全部结清，申请修复逾期缴费记录。",
                files=("缴费凭证.pdf",),
            )
            step(add_working_days(day, 1), services.accept, req.pk, user=supervisor)
            _sign(req, clerk_city, add_working_days(day, 1))

        # decided: a rejected repair (county), a dismissed objection (county), a refused repair (city)
        if len(county_events) > 1:
            c = county_events[1]
            day = _working_days_before(today, 12)
            req = lodge(c, clerk_county, day, events=events_of(c), reason="客户称已整改，申请信用修复。")
            step(add_working_days(day, 2), services.accept, req.pk, user=supervisor)
            step(
                add_working_days(day, 6),
                services.reject,
                req.pk,
                user=supervisor,
                reason="经现场核查，违章用水设施尚未拆除，整改未完成。",
            )
        if county_late:
            c = county_late[0]
            day = _working_days_before(today, 9)
            req = lodge(
                c,
                clerk_county,
                day,
                kind="objection",
                bills=late_bills_of(c, 1),
                reason="客户称已按期缴费，银行扣款延迟。",
                files=("银行回单.pdf",),
            )
            step(add_working_days(day, 1), services.accept, req.pk, user=supervisor)
            step(
                add_working_days(day, 5),
                services.dismiss,
                req.pk,
                user=supervisor,
                reason="银行回单显示扣款日期晚于缴费期限，记录无误。",
            )
        if len(city_events) > 2:
            c = city_events[2]
            day = _working_days_before(today, 8)
            req = lodge(c, clerk_city, day, events=events_of(c), reason="申请修复。", files=())
            step(
                add_working_days(day, 2),
                services.refuse,
                req.pk,
                user=supervisor,
                reason="事件发生未满最短公示期，且未提供整改证明，不予受理。",
            )

        # open, submitted: one overdue (county), one today (city), one lodged by the supervisor
        if len(county_events) > 2:
            c = county_events[2]
            day = _working_days_before(today, 5)
            lodge(
                c,
                clerk_county,
                day,
                events=events_of(c),
                reason="已赔偿供水设施损失，申请信用修复。",
                files=("赔偿协议.pdf",),
            )
        if len(city_events) > 3:
            c = city_events[3]
            lodge(
                c,
                clerk_city,
                today,
                events=events_of(c),
                reason="违约用水已整改，补缴水费及违约金。",
                files=("整改报告.pdf", "缴费凭证.pdf"),
            )
        if len(city_events) > 4:
            c = city_events[4]
            lodge(
                c,
                supervisor,
                _working_days_before(today, 1),
                kind="objection",
                events=events_of(c),
                reason="客户来电提出异议，由审核主管代为登记。",
                files=("来电记录.pdf",),
            )
    return len(made)


class _Undo(Exception):
    pass


def _repairable_customer(
    company_code: str, levels: dict[int, str], rank: dict[str, int]
) -> tuple[Customer, list[Event], list[Bill]] | None:
    """The worst-rated red or yellow customer of the company whose level, as of the latest run, improves
    when all its standing events and late-paid bills are repaired (at most a handful of records), with
    those records; None when no customer qualifies. The records are marked repaired inside a savepoint
    that is always rolled back (as `repair.services.approval_preview` does), so nothing is written."""
    from django.db import transaction

    from ratings.models import RatingRun
    from ratings.services import rate_customer

    run = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    if run is None:
        return None
    restricted = [pk for pk, level in levels.items() if level in ("red", "yellow")]
    customers = sorted(
        Customer.objects.filter(company__code=company_code, pk__in=restricted),
        key=lambda c: (rank.get(levels[c.pk], 4), c.account_no),
    )
    for customer in customers:
        events = list(services.eligible_events(customer))
        bills = list(services.eligible_bills(customer))
        if any(b.paid_on is None for b in bills) or not (events or bills) or len(events) + len(bills) > 6:
            continue  # an unpaid bill cannot be repaired; a long record is no demo
        rating = None
        try:
            with transaction.atomic():
                Event.objects.filter(pk__in=[e.pk for e in events]).update(repaired_at=timezone.now())
                Bill.objects.filter(pk__in=[b.pk for b in bills]).update(repaired_at=timezone.now())
                rating = rate_customer(customer, run.as_of)
                raise _Undo
        except _Undo:
            pass
        if rating is not None and rank.get(rating.level, 4) > rank[levels[customer.pk]]:
            return customer, events, bills
    return None


def _stored_levels() -> dict[int, str]:
    from ratings.models import RatingResult, RatingRun

    run = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    if run is None:
        return {}
    return dict(RatingResult.objects.filter(run=run).values_list("customer_id", "level"))


def _ensure_run(today: datetime.date) -> None:
    """Last month's rating, stored, so that approvals re-rate a stored result (only when none exists)."""
    from ratings.models import RatingRun
    from ratings.runs import run_rating

    if RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).exists():
        return
    as_of = today.replace(day=1) - datetime.timedelta(days=1)
    with _at(today.replace(day=1), 2):
        run_rating(as_of, RatingRun.Trigger.SCHEDULE)
