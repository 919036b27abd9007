"""Annex 4 end to end through the database: the spec's worked examples and every boundary.

Each case is rated by `explain_customer` (facts query narrowed to the customer) and, for the
worked examples, by a whole run and the CSV export, which must agree.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Customer
from ratings.explain import explain_customer
from tests import factories

D = datetime.date(2026, 11, 30)
pytestmark = pytest.mark.django_db


def d(s: str) -> datetime.date:
    return datetime.date.fromisoformat(s)


def on_time_bills(c, months=("2026-08", "2026-09", "2026-10")):
    for period in months:
        y, m = map(int, period.split("-"))
        factories.bill(c, period, due_on=datetime.date(y, m, 25), paid_on=datetime.date(y, m, 20))


def rating(c, day=D):
    e = explain_customer(c, day)
    return e.level, ";".join(e.criteria)


def worked_examples():
    """(customer, expected level, expected criteria) for the table at the end of annex4-rules.md."""
    cases = []
    c = factories.customer(opened_on=d("2019-03-01"), payment_mode=Customer.PREPAID)
    on_time_bills(c)
    cases.append((c, "green", "G1;G2;G3;G4"))
    c = factories.customer(opened_on=d("2019-03-01"), payment_mode=Customer.POSTPAID)
    on_time_bills(c)
    cases.append((c, "blue", "B2;B3;B4"))
    c = factories.customer(payment_mode=Customer.PREPAID)
    factories.bill(c, "2024-02", due_on=d("2024-03-01"), paid_on=d("2024-03-10"))
    cases.append((c, "blue", "B2;B3;B4"))
    c = factories.customer(payment_mode=Customer.POSTPAID)
    factories.bill(c, "2026-08", due_on=d("2026-09-10"))
    cases.append((c, "blue", "B1;B3;B4"))
    c = factories.customer()
    factories.bill(c, "2026-04", due_on=d("2026-05-31"))
    cases.append((c, "red", "R1"))
    c = factories.customer()
    factories.event(c, "pipe_outage", pipe_diameter_mm=160, occurred_on=d("2026-02-01"))
    cases.append((c, "yellow", "Y4"))
    c = factories.customer(payment_mode=Customer.PREPAID)
    factories.event(c, "pipe_outage", pipe_diameter_mm=160, force_majeure=True, occurred_on=d("2026-02-01"))
    cases.append((c, "green", "G1;G2;G3;G4"))
    c = factories.customer()
    factories.event(c, "water_theft", amount="10000.00", occurred_on=d("2025-12-01"))
    cases.append((c, "red", "R3"))
    c = factories.customer(payment_mode=Customer.PREPAID)
    factories.event(c, "water_theft", amount="9999.99", occurred_on=d("2025-11-30"))
    cases.append((c, "blue", "B2;B4"))
    return cases


def test_worked_examples_explained():
    for c, level, criteria in worked_examples():
        assert rating(c) == (level, criteria), c.account_no


def test_worked_examples_through_a_run_and_the_export():
    cases = worked_examples()
    call_command("run_rating", "--as-of", D.isoformat(), stdout=io.StringIO())
    out = io.StringIO()
    call_command("export_ratings", "--as-of", D.isoformat(), stdout=out)
    expected = sorted(f"{c.account_no},{level},{criteria}" for c, level, criteria in cases)
    assert out.getvalue() == "account_no,level,criteria\n" + "".join(line + "\n" for line in expected)


def late_bills(c, n, first_due=datetime.date(2026, 1, 10)):
    for i in range(n):
        due = first_due.replace(month=first_due.month + i)
        factories.bill(c, f"{due.year}-{due.month:02d}", due_on=due, paid_on=due + datetime.timedelta(days=3))


@pytest.mark.parametrize(
    "n, level, criteria", [(2, "blue", "B3;B4"), (3, "yellow", "Y1"), (4, "yellow", "Y1"), (5, "red", "R2")]
)
def test_late_payment_counts(n, level, criteria):
    c = factories.customer()
    late_bills(c, n)
    assert rating(c) == (level, criteria)


def test_late_payment_events_and_bills_add_up():
    c = factories.customer()
    late_bills(c, 3)
    factories.event(c, "late_payment", occurred_on=d("2026-10-01"))
    factories.event(c, "late_payment", occurred_on=d("2026-10-02"))
    assert rating(c) == ("red", "R2")


@pytest.mark.parametrize(
    "kind, n, fields, level, criteria",
    [
        ("contract_violation", 1, {}, "blue", "B2;B4"),
        ("contract_violation", 2, {}, "yellow", "Y2"),
        ("contract_violation", 3, {}, "red", "R3"),
        ("water_theft", 1, {"amount": "9999.99"}, "yellow", "Y2"),
        ("water_theft", 1, {"amount": "10000.00"}, "red", "R3"),
        ("water_theft", 2, {"amount": "100.00"}, "red", "R3"),
        ("dishonesty_general", 1, {}, "blue", "B2;B3"),
        ("dishonesty_general", 2, {}, "yellow", "Y3"),
        ("dishonesty_serious", 1, {}, "blue", "B2;B3"),
        ("dishonesty_serious", 2, {}, "red", "R4"),
        ("pipe_outage", 1, {"pipe_diameter_mm": 160}, "yellow", "Y4"),
        ("pipe_outage", 1, {"pipe_diameter_mm": 161}, "red", "R7"),
        ("facility_damage", 1, {"severity": "minor"}, "yellow", "Y5"),
        ("facility_damage", 1, {"severity": "serious"}, "red", "R8"),
        ("usage_misrepresentation", 1, {}, "yellow", "Y6"),
        ("safety_hazard_unrectified", 3, {}, "green", "G1;G2;G3;G4"),
        ("safety_hazard_unrectified", 4, {}, "red", "R5"),
        ("meter_fault_refused", 2, {}, "green", "G1;G2;G3;G4"),
        ("meter_fault_refused", 3, {}, "red", "R6"),
        ("protection_zone_violation", 1, {}, "red", "R9"),
        ("agreement_refusal", 1, {}, "red", "R10"),
        ("order_disruption", 1, {}, "red", "R11"),
    ],
)
def test_event_boundaries(kind, n, fields, level, criteria):
    c = factories.customer(payment_mode=Customer.PREPAID)
    for i in range(n):
        factories.event(c, kind, occurred_on=d("2026-03-01") + datetime.timedelta(days=i), **fields)
    assert rating(c) == (level, criteria)


@pytest.mark.parametrize(
    "day, occurred, inside",
    [
        (D, "2025-11-30", False),
        (D, "2025-12-01", True),
        (d("2028-02-29"), "2027-02-28", False),
        (d("2028-02-29"), "2027-03-01", True),
        (d("2027-02-28"), "2026-02-28", False),
        (d("2027-02-28"), "2026-03-01", True),
    ],
)
def test_one_year_window_edges(day, occurred, inside):
    c = factories.customer(payment_mode=Customer.PREPAID)
    factories.event(c, "order_disruption", occurred_on=d(occurred))
    assert (rating(c, day)[0] == "red") is inside


@pytest.mark.parametrize("occurred, b4", [("2023-11-30", True), ("2023-12-01", False)])
def test_three_year_window_edges(occurred, b4):
    c = factories.customer(payment_mode=Customer.PREPAID)
    factories.event(c, "dishonesty_general", occurred_on=d(occurred))
    level, criteria = rating(c)
    assert level == ("green" if b4 else "blue")
    if not b4:
        assert criteria == "B2;B3"


def test_g3_since_opening():
    c = factories.customer(payment_mode=Customer.PREPAID, opened_on=d("2015-01-01"))
    factories.event(c, "contract_violation", occurred_on=d("2016-05-01"))
    assert rating(c) == ("blue", "B2;B3;B4")


@pytest.mark.parametrize(
    "due, day, expected",
    [
        ("2026-09-30", "2026-11-30", ("blue", "B3;B4")),  # two months exactly: not B1
        ("2026-09-30", "2026-12-01", ("blue", "B1;B3;B4")),
        ("2026-09-30", "2026-12-30", ("blue", "B1;B3;B4")),  # three months exactly: B1
        ("2026-09-30", "2026-12-31", ("blue", "B3;B4")),
        ("2026-05-31", "2026-11-30", ("red", "R1")),
        ("2026-06-01", "2026-11-30", ("blue", "B3;B4")),
        ("2027-08-29", "2028-02-29", ("red", "R1")),
        ("2027-08-31", "2028-02-29", ("red", "R1")),  # the 31st + 6 months is 29 February
        ("2027-09-01", "2028-02-29", ("blue", "B3;B4")),
    ],
)
def test_arrears_boundaries(due, day, expected):
    c = factories.customer(opened_on=d("2019-01-01"))
    factories.bill(c, due[:7], due_on=d(due))
    assert rating(c, d(day)) == expected


def test_bill_paid_after_d_is_overdue_at_d():
    c = factories.customer()
    factories.bill(c, "2026-04", due_on=d("2026-05-31"), paid_on=d("2026-12-05"))
    assert rating(c) == ("red", "R1")
    assert rating(c, d("2026-12-10")) == ("blue", "B3;B4")  # paid late within the year: not green


def test_voided_repaired_and_later_events_do_not_count():
    c = factories.customer(payment_mode=Customer.PREPAID)
    factories.event(c, "order_disruption", occurred_on=d("2026-03-01"), voided_at=timezone.now())
    factories.event(c, "agreement_refusal", occurred_on=d("2026-03-01"), repaired_at=timezone.now())
    factories.event(c, "protection_zone_violation", occurred_on=d("2026-12-01"))
    factories.event(c, "pipe_outage", pipe_diameter_mm=500, force_majeure=True, occurred_on=d("2026-03-01"))
    assert rating(c) == ("green", "G1;G2;G3;G4")
    assert rating(c, d("2026-12-01")) == ("red", "R9")


def test_repaired_late_bill_is_no_late_payment_but_unpaid_is_still_arrears():
    c = factories.customer(payment_mode=Customer.PREPAID)
    b = factories.bill(c, "2026-01", due_on=d("2026-01-25"), paid_on=d("2026-02-10"))
    b.repaired_at = timezone.now()
    b.save()
    assert rating(c) == ("green", "G1;G2;G3;G4")
    unpaid = factories.bill(c, "2026-04", due_on=d("2026-05-31"))
    unpaid.repaired_at = timezone.now()
    unpaid.save()
    assert rating(c) == ("red", "R1")


def test_customers_opened_after_d_or_without_uscc_are_not_rated():
    late = factories.customer(opened_on=d("2026-12-01"))
    no_uscc = factories.customer(uscc="")
    on_day = factories.customer(opened_on=D)
    assert not explain_customer(late, D).rated
    assert explain_customer(late, d("2026-12-01")).rated
    assert not explain_customer(no_uscc, D).rated
    assert explain_customer(on_day, D).rated
    call_command("run_rating", "--as-of", D.isoformat(), stdout=io.StringIO())
    out = io.StringIO()
    call_command("export_ratings", "--as-of", D.isoformat(), stdout=out)
    assert out.getvalue().splitlines()[1:] == [f"{on_day.account_no},green,G1;G2;G3;G4"]


def test_explanation_records_and_gaps():
    c = factories.customer(payment_mode=Customer.POSTPAID)
    factories.bill(c, "2026-06", due_on=d("2026-07-25"))  # 4 months overdue at D
    factories.event(c, "contract_violation", ref="EVX1", occurred_on=d("2026-03-01"))
    factories.event(c, "dishonesty_general", occurred_on=d("2026-03-02"))
    factories.event(c, "dishonesty_serious", occurred_on=d("2026-03-03"))
    e = explain_customer(c, D)
    assert e.level == "blue" and e.criteria == () and e.arrears_months == 4
    assert all(g.endswith("附件4未作规定，按蓝色）") for g in e.gaps)
    assert e.gaps[0] == "欠费 4 个月（附件4未作规定，按蓝色）"
    assert "一年内违约用水 1 次（附件4未作规定，按蓝色）" in e.gaps
    assert "一年内一般失信行为 1 次（附件4未作规定，按蓝色）" in e.gaps
    assert "一年内较重失信行为 1 次（附件4未作规定，按蓝色）" in e.gaps

    red = factories.customer()
    factories.bill(red, "2026-04", due_on=d("2026-05-31"))
    factories.event(red, "water_theft", ref="EV123", amount="10000.00", occurred_on=d("2026-03-01"))
    factories.event(red, "pipe_outage", ref="EV124", pipe_diameter_mm=100, occurred_on=d("2026-03-02"))
    e = explain_customer(red, D)
    assert [h.code for h in e.hits] == ["R1", "R3"]
    assert e.hits[0].text == "拖欠水费6个月及以上"
    assert e.hits[0].records == ("账单 2026-04（缴费期限 2026-05-31，未缴）",)
    assert e.hits[1].records == ("事件 EV123 窃水 10,000.00 元 2026-03-01",)
    assert [h.code for h in e.other_hits] == ["Y4"]
    assert e.gaps == ()
