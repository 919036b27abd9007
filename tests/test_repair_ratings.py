"""After an approved repair the rating commands no longer count the repaired records (run_rating +
export_ratings); after an upheld objection the voided record stops counting too."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from repair import services
from tests import factories
from tests.repair_support import lodge, sign_pledge_for

pytestmark = pytest.mark.django_db


def export(as_of: dt.date) -> dict[str, str]:
    out = io.StringIO()
    call_command("export_ratings", "--as-of", as_of.isoformat(), stdout=out)
    return {line.split(",")[0]: line.split(",")[1] for line in out.getvalue().splitlines()[1:]}


def test_repaired_records_no_longer_count_in_the_commands(clerk_city, supervisor):
    today = timezone.localdate()
    first_day, second_day = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    thief = factories.customer("city", account_no="R0001")
    theft = factories.event(thief, "water_theft", amount=Decimal("15000.00"), occurred_on=today - dt.timedelta(days=90))
    late = factories.customer("city", account_no="R0002", payment_mode="postpaid")
    # three late payments in the year: yellow (Y1)
    bills = [
        factories.bill(
            late,
            f"{(today - dt.timedelta(days=30 * m)):%Y-%m}",
            due_on=today - dt.timedelta(days=30 * m),
            paid_on=today - dt.timedelta(days=30 * m - 5),
        )
        for m in (2, 3, 4)
    ]
    bystander = factories.customer("city", account_no="R0003", payment_mode="postpaid")
    factories.event(bystander, "water_theft", amount=Decimal("20000.00"), occurred_on=today - dt.timedelta(days=90))
    call_command("run_rating", "--as-of", first_day.isoformat(), stdout=io.StringIO())
    before = export(first_day)
    assert before["R0001"] == "red" and before["R0003"] == "red"
    late_level_before = before["R0002"]
    assert late_level_before in ("yellow", "red")

    for customer, kwargs in ((thief, {"events": [theft]}), (late, {"bills": bills})):
        req = lodge(customer, clerk_city, **kwargs)
        services.accept(req.pk, user=supervisor)
        sign_pledge_for(req, clerk_city)
        services.approve(req.pk, user=supervisor, reason="整改到位")

    call_command("run_rating", "--as-of", second_day.isoformat(), stdout=io.StringIO())
    after = export(second_day)
    assert after["R0001"] not in ("red", "yellow")
    assert after["R0002"] not in ("red", "yellow")
    assert after["R0003"] == "red"  # nobody else changes


def test_upheld_objection_stops_the_record_counting(clerk_city, supervisor):
    today = timezone.localdate()
    customer = factories.customer("city", account_no="R0010")
    theft = factories.event(
        customer, "water_theft", amount=Decimal("15000.00"), occurred_on=today - dt.timedelta(days=90)
    )
    call_command("run_rating", "--as-of", (today - dt.timedelta(days=2)).isoformat(), stdout=io.StringIO())
    assert export(today - dt.timedelta(days=2))["R0010"] == "red"
    req = lodge(customer, clerk_city, kind="objection", events=[theft])
    services.accept(req.pk, user=supervisor)
    services.uphold(req.pk, user=supervisor, reason="系邻户所为,录入错误")
    call_command("run_rating", "--as-of", (today - dt.timedelta(days=1)).isoformat(), stdout=io.StringIO())
    assert export(today - dt.timedelta(days=1))["R0010"] != "red"
