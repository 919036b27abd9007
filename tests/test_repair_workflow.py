"""The repair and objection workflow through its services: numbers, deadlines, every transition,
every illegal one refused with a message, four eyes, and the effects of each decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from customers.models import AuditEntry, Bill, Event
from customers.services import TransitionError, void_event
from ratings.models import RatingResult, RatingRun
from repair import services
from repair.models import RepairRequest, RestrictionRelease
from repair.workdays import add_working_days
from tests import factories
from tests.repair_support import evidence_file, lodge, sign_pledge_for

pytestmark = pytest.mark.django_db
Status = RepairRequest.Status


@pytest.fixture
def red_customer(city_customer):
    """A city customer made red by a water theft over 10,000 yuan, rated so in last month's stored run."""
    today = timezone.localdate()
    theft = factories.event(
        city_customer, "water_theft", amount=Decimal("12500.00"), occurred_on=today - dt.timedelta(days=60)
    )
    run = RatingRun.objects.create(as_of=today - dt.timedelta(days=1), status="succeeded", total=1, done=1)
    RatingResult.objects.create(run=run, customer=city_customer, level="red", criteria="R3")
    city_customer.theft = theft
    return city_customer


def test_lodging_gives_a_number_a_deadline_and_a_history(clerk_city, red_customer):
    req = lodge(red_customer, clerk_city, events=[red_customer.theft])
    today = timezone.localdate()
    assert req.number == f"XF-CITY-{today:%Y%m%d}-0001"
    assert req.status == Status.SUBMITTED
    assert req.accept_by == add_working_days(today, 3)
    assert list(req.events.all()) == [red_customer.theft]
    assert req.evidence.get().sha256 and req.evidence.get().file.read().startswith(b"%PDF")
    assert list(req.editors.all()) == [clerk_city]
    entry = AuditEntry.objects.get(model="repair", object_id=str(req.pk))
    assert (
        entry.actor == "clerk_city"
        and entry.customer == red_customer
        and entry.after["events"] == [red_customer.theft.ref]
    )
    # the next one of the day, and an objection numbered on its own
    other = factories.event(red_customer, "contract_violation")
    second = lodge(red_customer, clerk_city, events=[other])
    assert second.number.endswith("-0002")
    third = lodge(
        red_customer,
        clerk_city,
        kind="objection",
        bills=[factories.bill(red_customer, "2026-01", paid_on=dt.date(2026, 3, 1))],
    )
    assert third.number == f"YY-CITY-{today:%Y%m%d}-0001"


def test_lodging_refuses_bad_input_and_writes_nothing(clerk_city, clerk_county, red_customer, county_customer):
    with pytest.raises(ValidationError) as exc:
        lodge(red_customer, clerk_city, events=[])
    assert "请至少选择" in str(exc.value)
    with pytest.raises(ValidationError):
        lodge(red_customer, clerk_city, events=[factories.event(county_customer)])  # another customer's record
    voided = factories.event(red_customer, voided_at=timezone.now(), void_reason="x")
    with pytest.raises(ValidationError):
        lodge(red_customer, clerk_city, events=[voided])
    with pytest.raises(ValidationError) as exc:
        lodge(red_customer, clerk_city, events=[red_customer.theft], reason="  ")
    assert "申请理由" in str(exc.value)
    with pytest.raises(PermissionDenied):
        lodge(red_customer, clerk_county, events=[red_customer.theft])  # another company's clerk
    lodge(red_customer, clerk_city, events=[red_customer.theft])
    with pytest.raises(ValidationError) as exc:  # the same record in a second open request
        lodge(red_customer, clerk_city, events=[red_customer.theft])
    assert "办理中" in str(exc.value)
    assert RepairRequest.objects.count() == 1


def test_full_repair_path_marks_repaired_rerates_lifts_restrictions_and_queues(clerk_city, supervisor, red_customer):
    late = factories.bill(red_customer, "2026-02", due_on=dt.date(2026, 3, 25), paid_on=dt.date(2026, 4, 10))
    req = lodge(red_customer, clerk_city, events=[red_customer.theft], bills=[late])
    services.accept(req.pk, user=supervisor)
    req.refresh_from_db()
    assert req.status == Status.ACCEPTED and req.accepted_by == supervisor
    assert req.decide_by == add_working_days(timezone.localdate(), 7)
    with pytest.raises(TransitionError) as exc:  # no signed repair pledge yet
        services.approve(req.pk, user=supervisor, reason="已整改")
    assert "承诺书" in str(exc.value)
    sign_pledge_for(req, clerk_city)
    services.approve(req.pk, user=supervisor, reason="已补缴并赔偿,整改到位")
    req.refresh_from_db()
    assert req.status == Status.APPROVED and req.decided_by == supervisor
    assert req.decision_reason == "已补缴并赔偿,整改到位"
    red_customer.theft.refresh_from_db()
    late.refresh_from_db()
    assert red_customer.theft.repaired_at is not None and red_customer.theft.voided_at is None  # kept, not deleted
    assert late.repaired_at is not None
    assert (req.level_before, req.level_after) == ("red", "green")
    assert RatingResult.objects.get(customer=red_customer).level == "green"  # the stored result, re-rated
    release = RestrictionRelease.objects.get(customer=red_customer)
    assert release.request == req and release.released_on == timezone.localdate() and release.level_before == "red"
    assert req.queued_for_report and not req.reported_batch
    assert AuditEntry.objects.filter(model="event", object_id=red_customer.theft.ref, action="repair").exists()


def test_objection_upheld_voids_the_event_corrects_the_bill_and_rerates(clerk_city, supervisor, red_customer):
    late = factories.bill(red_customer, "2026-02", due_on=dt.date(2026, 3, 25), paid_on=dt.date(2026, 4, 10))
    req = lodge(red_customer, clerk_city, kind="objection", events=[red_customer.theft], bills=[late])
    services.accept(req.pk, user=supervisor)
    services.uphold(
        req.pk, user=supervisor, reason="抄表错误,实为表计故障", bill_corrections={late.pk: dt.date(2026, 3, 20)}
    )
    red_customer.theft.refresh_from_db()
    late.refresh_from_db()
    assert red_customer.theft.voided_at is not None and "抄表错误" in red_customer.theft.void_reason
    assert late.paid_on == dt.date(2026, 3, 20)
    req.refresh_from_db()
    assert (req.status, req.level_before, req.level_after) == (Status.UPHELD, "red", "green")
    assert not req.queued_for_report  # objections are not in the 信用修复 sheet


def test_an_objection_upheld_must_void_or_correct_something(clerk_city, supervisor, red_customer):
    """An objection about a bill upheld with no corrected payment date would change nothing while the
    letter says the records were voided or corrected: refused, with a message naming the field."""
    late = factories.bill(red_customer, "2026-02", due_on=dt.date(2026, 3, 25), paid_on=dt.date(2026, 4, 10))
    req = lodge(red_customer, clerk_city, kind="objection", bills=[late])
    services.accept(req.pk, user=supervisor)
    with pytest.raises(ValidationError, match="更正后的缴费日期"):
        services.uphold(req.pk, user=supervisor, reason="银行记录证明按期缴费", bill_corrections={late.pk: None})
    req.refresh_from_db()
    assert req.status == Status.ACCEPTED and req.decided_at is None
    services.uphold(
        req.pk, user=supervisor, reason="银行记录证明按期缴费", bill_corrections={late.pk: dt.date(2026, 3, 20)}
    )


@pytest.mark.parametrize("decision", ["refuse", "reject", "dismiss"])
def test_refusals_change_nothing_but_the_request(clerk_city, supervisor, red_customer, decision):
    kind = "objection" if decision == "dismiss" else "repair"
    req = lodge(red_customer, clerk_city, kind=kind, events=[red_customer.theft])
    if decision != "refuse":
        services.accept(req.pk, user=supervisor)
    getattr(services, decision)(req.pk, user=supervisor, reason="材料不足")
    req.refresh_from_db()
    red_customer.theft.refresh_from_db()
    assert req.decision_reason == "材料不足" and req.is_decided
    assert red_customer.theft.repaired_at is None and red_customer.theft.voided_at is None
    assert RatingResult.objects.get(customer=red_customer).level == "red"
    assert not RestrictionRelease.objects.exists()
    assert req.queued_for_report == (decision == "reject")


def test_every_illegal_transition_is_refused_with_a_message(clerk_city, supervisor, red_customer):
    repair = lodge(red_customer, clerk_city, events=[red_customer.theft])
    objection = lodge(
        red_customer,
        clerk_city,
        kind="objection",
        bills=[factories.bill(red_customer, "2026-01", paid_on=dt.date(2026, 3, 1))],
    )
    # from 已提交: only accept / refuse
    for action in ("approve", "reject", "extend"):
        with pytest.raises(TransitionError, match="已提交"):
            getattr(services, action)(repair.pk, user=supervisor, reason="x")
    for action in ("uphold", "dismiss"):
        with pytest.raises(TransitionError):
            getattr(services, action)(objection.pk, user=supervisor, reason="x")
    # a repair cannot be upheld, an objection cannot be approved
    services.accept(repair.pk, user=supervisor)
    services.accept(objection.pk, user=supervisor)
    with pytest.raises(TransitionError, match="信用修复申请"):
        services.uphold(repair.pk, user=supervisor, reason="x")
    with pytest.raises(TransitionError, match="异议申请"):
        services.approve(objection.pk, user=supervisor, reason="x")
    # accepted twice, refused after acceptance, edited after acceptance
    with pytest.raises(TransitionError, match="已受理"):
        services.accept(repair.pk, user=supervisor)
    with pytest.raises(TransitionError):
        services.refuse(repair.pk, user=supervisor, reason="x")
    with pytest.raises(TransitionError):
        services.edit_request(repair.pk, events=[red_customer.theft], bills=[], reason="x", user=clerk_city)
    # a reason is required
    with pytest.raises(TransitionError, match="决定理由"):
        services.reject(repair.pk, user=supervisor, reason=" ")
    # extend once only
    services.extend(repair.pk, user=supervisor, reason="需现场核实")
    repair.refresh_from_db()
    assert repair.decide_by == add_working_days(add_working_days(timezone.localdate(), 7), 7)
    with pytest.raises(TransitionError, match="延期过一次"):
        services.extend(repair.pk, user=supervisor, reason="再延")
    # decided: nothing more
    services.reject(repair.pk, user=supervisor, reason="未整改")
    for action in ("accept", "refuse", "approve", "reject", "extend"):
        with pytest.raises(TransitionError, match="不予修复"):
            getattr(services, action)(repair.pk, user=supervisor, **({} if action == "accept" else {"reason": "x"}))
    with pytest.raises(TransitionError):
        services.add_evidence(repair.pk, [evidence_file()], user=clerk_city)


def test_four_eyes_clerks_and_editors_cannot_decide(clerk_city, supervisor, supervisor_city, red_customer):
    req = lodge(red_customer, supervisor, events=[red_customer.theft])  # lodged by a supervisor
    with pytest.raises(PermissionDenied):
        services.accept(req.pk, user=clerk_city)
    with pytest.raises(TransitionError, match="双人审核"):
        services.accept(req.pk, user=supervisor)
    # an editor cannot decide either
    services.edit_request(req.pk, events=[red_customer.theft], bills=[], reason="补充说明", user=supervisor_city)
    with pytest.raises(TransitionError, match="双人审核"):
        services.accept(req.pk, user=supervisor_city)
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED and req.reason == "补充说明"
    for action in ("refuse", "approve", "reject", "extend", "uphold", "dismiss"):
        with pytest.raises(PermissionDenied):
            getattr(services, action)(req.pk, user=clerk_city, reason="x")


def test_a_supervisor_who_supplied_evidence_or_the_signed_pledge_cannot_decide(
    clerk_city, supervisor, supervisor_city, red_customer
):
    """Four eyes: adding evidence or recording the customer's signed pledge is editing the request's
    file; the supervisor who did it may not accept or approve on what they supplied themselves."""
    req = lodge(red_customer, clerk_city, events=[red_customer.theft])
    services.add_evidence(req.pk, [evidence_file("补充凭证.pdf")], user=supervisor)
    with pytest.raises(TransitionError, match="双人审核"):
        services.accept(req.pk, user=supervisor)
    services.accept(req.pk, user=supervisor_city)
    other = factories.user("supervisor_other", roles=("supervisor",), companies=("city",))
    sign_pledge_for(req, other)
    with pytest.raises(TransitionError, match="双人审核"):
        services.approve(req.pk, user=other, reason="整改到位")
    req.refresh_from_db()
    red_customer.theft.refresh_from_db()
    assert req.status == Status.ACCEPTED and red_customer.theft.repaired_at is None
    services.approve(req.pk, user=supervisor_city, reason="整改到位")


def test_a_supervisor_who_received_the_signed_pledge_in_the_pledges_app_cannot_approve(
    clerk_city, supervisor, supervisor_city, red_customer
):
    """The repair pledge can also be recorded signed on the pledges app's own page: the supervisor
    who received it there is not a second pair of eyes on the repair either."""
    from pledges import services as pledge_services
    from pledges.uploads import check_upload
    from tests.repair_support import upload

    req = lodge(red_customer, clerk_city, events=[red_customer.theft])
    services.accept(req.pk, user=supervisor)
    pledge = services.prepare_repair_pledge(req.pk, user=clerk_city)
    pledge_services.mark_printed([pledge], user=clerk_city)
    scan = upload("承诺书扫描件.pdf")
    pledge_services.sign_pledge(
        pledge.pk,
        signed_on=timezone.localdate(),  # not before the pledge was generated (today)
        received_by=supervisor_city,
        scan=scan,
        checked=check_upload(scan),
        user=supervisor_city,
    )
    with pytest.raises(TransitionError, match="双人审核"):
        services.approve(req.pk, user=supervisor_city, reason="整改到位")
    services.approve(req.pk, user=supervisor, reason="整改到位")


def test_a_supervisor_of_the_other_company_cannot_decide(clerk_county, supervisor_city, county_customer):
    event = factories.event(county_customer)
    req = lodge(county_customer, clerk_county, events=[event])
    with pytest.raises(PermissionDenied):
        services.accept(req.pk, user=supervisor_city)


def test_repaired_records_are_no_longer_lodgeable(clerk_city, supervisor, red_customer):
    req = lodge(red_customer, clerk_city, events=[red_customer.theft])
    services.accept(req.pk, user=supervisor)
    sign_pledge_for(req, clerk_city)
    services.approve(req.pk, user=supervisor, reason="整改到位")
    assert red_customer.theft not in services.eligible_events(red_customer)
    assert Event.objects.active().filter(pk=red_customer.theft.pk).count() == 0
    assert Bill.objects.filter(customer=red_customer).count() == 0


def test_deadlines_skip_national_day_and_count_the_make_up_saturday(clerk_city, supervisor, city_customer):
    import time_machine

    event = factories.event(city_customer, occurred_on=dt.date(2026, 6, 1))
    # lodged Wednesday 2026-09-30: 10-01..10-07 off, Thu 10-08, Fri 10-09, Sat 10-10 (调休 working day)
    with time_machine.travel(dt.datetime(2026, 9, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        req = lodge(city_customer, clerk_city, events=[event])
    assert req.accept_by == dt.date(2026, 10, 10)
    assert req.number.startswith("XF-CITY-20260930-")
    with time_machine.travel(dt.datetime(2026, 10, 9, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        services.accept(req.pk, user=supervisor)
    req.refresh_from_db()
    # accepted Friday 10-09: Sat 10-10 (调休), Mon 12 ... Fri 16, Mon 19 -> the 7th working day
    assert req.decide_by == dt.date(2026, 10, 19)
    with time_machine.travel(dt.datetime(2026, 10, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        services.extend(req.pk, user=supervisor, reason="需现场核实")
    req.refresh_from_db()
    assert req.decide_by == dt.date(2026, 10, 28)  # 7 more working days after 10-19
    assert req.is_overdue(dt.date(2026, 10, 29)) and not req.is_overdue(dt.date(2026, 10, 28))


def test_a_record_voided_while_the_request_was_open_is_not_marked_repaired(clerk_city, supervisor, red_customer):
    """The record was voided (wrong entry) after lodging: approval repairs what still stands and the
    voided record stays voided only, so the file does not call a void record 已修复."""
    other = factories.event(
        red_customer, "contract_violation", occurred_on=timezone.localdate() - dt.timedelta(days=30)
    )
    req = lodge(red_customer, clerk_city, events=[red_customer.theft, other])
    services.accept(req.pk, user=supervisor)
    sign_pledge_for(req, clerk_city)
    void_event(other.pk, user=supervisor, reason="录入错误")
    services.approve(req.pk, user=supervisor, reason="整改到位")
    other.refresh_from_db()
    red_customer.theft.refresh_from_db()
    assert red_customer.theft.repaired_at is not None
    assert other.voided_at is not None and other.repaired_at is None
    assert not AuditEntry.objects.filter(action=AuditEntry.REPAIR, model="event", object_id=str(other.pk)).exists()


def test_a_repair_of_a_bill_still_unpaid_is_not_approved_until_it_is_paid(clerk_city, supervisor, red_customer):
    unpaid = factories.bill(red_customer, "2026-03", due_on=dt.date(2026, 4, 25))
    req = lodge(red_customer, clerk_city, bills=[unpaid])
    services.accept(req.pk, user=supervisor)
    sign_pledge_for(req, clerk_city)
    with pytest.raises(TransitionError) as exc:
        services.approve(req.pk, user=supervisor, reason="已整改")
    assert "2026-03" in str(exc.value) and "仍未缴清" in str(exc.value)
    req.refresh_from_db()
    unpaid.refresh_from_db()
    assert req.status == Status.ACCEPTED and unpaid.repaired_at is None  # nothing written
    unpaid.paid_on = timezone.localdate()
    unpaid.save(update_fields=["paid_on"])
    services.approve(req.pk, user=supervisor, reason="已补缴")
    unpaid.refresh_from_db()
    assert unpaid.repaired_at is not None
