"""After an approved repair the rating commands no longer count the repaired records (run_rating +
export_ratings); after an upheld objection the voided record stops counting too."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
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


@pytest.mark.parametrize("kind,action", [("repair", "approve"), ("objection", "uphold")])
def test_a_decision_while_a_rating_run_is_going_is_refused_and_nothing_is_written(
    login, clerk_city, supervisor, kind, action
):
    """A run of today is RUNNING: the customer cannot be re-rated now, so the decision is refused with
    a message that says it was not made; the record is neither repaired nor voided, the rating,
    the run's counts and the audit log are as before; once the run is over the same click works."""
    from customers.models import AuditEntry
    from ratings.models import RatingResult, RatingRun, RunLevelCount
    from repair.models import RepairRequest, RestrictionRelease

    today = timezone.localdate()
    customer = factories.customer("city", account_no="R0020")
    theft = factories.event(
        customer, "water_theft", amount=Decimal("15000.00"), occurred_on=today - dt.timedelta(days=90)
    )
    call_command("run_rating", "--as-of", (today - dt.timedelta(days=1)).isoformat(), stdout=io.StringIO())
    req = lodge(customer, clerk_city, kind=kind, events=[theft])
    services.accept(req.pk, user=supervisor)
    if kind == "repair":
        sign_pledge_for(req, clerk_city)
    going = RatingRun.objects.create(as_of=today, status="running", attempt=1, started_at=timezone.now())
    counts = sorted(RunLevelCount.objects.values_list("run", "company", "level", "n"))
    entries = AuditEntry.objects.count()

    client = login(supervisor)
    url = reverse("repair:act", args=[req.number, action])
    response = client.post(url, {f"{action}-reason": "整改到位"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"申请 {req.number} 未办结，记录未作任何更改" in html and "的评级正在进行" in html
    theft.refresh_from_db()
    req.refresh_from_db()
    assert theft.repaired_at is None and theft.voided_at is None
    assert req.status == RepairRequest.Status.ACCEPTED and req.decided_at is None and not req.queued_for_report
    assert not RestrictionRelease.objects.exists()
    assert RatingResult.objects.get(customer=customer).level == "red"
    assert sorted(RunLevelCount.objects.values_list("run", "company", "level", "n")) == counts
    assert AuditEntry.objects.count() == entries

    RatingRun.objects.filter(pk=going.pk).update(status="failed")  # the run is over
    response = client.post(url, {f"{action}-reason": "整改到位"}, follow=True)
    req.refresh_from_db()
    changed = "本次修复使信用等级由红色恢复为" if action == "approve" else "异议成立使信用等级由红色调整为"
    assert req.status != RepairRequest.Status.ACCEPTED and changed in response.content.decode()


def test_after_approval_the_file_the_level_lists_and_the_run_page_agree(login, clerk_city, supervisor):
    import re

    from ratings.models import RatingRun

    today = timezone.localdate()
    thief = factories.customer("city", account_no="R0030")
    theft = factories.event(thief, "water_theft", amount=Decimal("15000.00"), occurred_on=today - dt.timedelta(days=90))
    factories.customer("city", account_no="R0031")
    call_command("run_rating", "--as-of", (today - dt.timedelta(days=1)).isoformat(), stdout=io.StringIO())
    run = RatingRun.objects.get()
    client = login(supervisor)

    def text(url: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(url).content.decode()))

    assert "绿色 1 蓝色 0 黄色 0 红色 1 合计 2" in text(reverse("ratings:run", args=[run.pk]))
    req = lodge(thief, clerk_city, events=[theft])
    services.accept(req.pk, user=supervisor)
    sign_pledge_for(req, clerk_city)
    client.post(reverse("repair:act", args=[req.number, "approve"]), {"approve-reason": "整改到位"})

    file_text = text(thief.get_absolute_url())
    assert "监管措施（绿色）" in file_text and "监管措施（红色）" not in file_text and "已修复" in file_text
    assert "R0030" not in text(reverse("ratings:level", args=["red"]))
    assert "R0030" in text(reverse("ratings:level", args=["green"]))
    assert "绿色 2 蓝色 0 黄色 0 红色 0 合计 2" in text(reverse("ratings:run", args=[run.pk]))
