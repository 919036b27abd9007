"""Re-rating one customer after a credit repair (`ratings.services.rerate_customer`): the stored
result of the latest run, the run page's counts and movers and the credit file change at once,
with an audit entry; nothing is stored without a run; a rerun of that date blocks it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry, Event
from customers.services import TransitionError
from ratings import runs
from ratings.models import RatingResult, RatingRun, RunMove
from ratings.services import RerateBlocked, rerate_customer
from tests import factories

OCT, NOV = dt.date(2026, 10, 31), dt.date(2026, 11, 30)
pytestmark = pytest.mark.django_db


def rate(day: dt.date) -> RatingRun:
    call_command("run_rating", "--as-of", day.isoformat(), stdout=io.StringIO())
    return RatingRun.objects.get(as_of=day)


def repair(event: Event) -> None:
    """What the repair workflow does to the record before it asks for a re-rate."""
    Event.objects.filter(pk=event.pk).update(repaired_at=timezone.now())


@pytest.fixture
def two_months(db):
    """A postpaid city customer (blue when clean) with an order disruption in November (red then),
    and a county customer who stays blue; rated at the end of October and of November."""
    city = factories.customer("city", account_no="C100", payment_mode="postpaid")
    county = factories.customer("county", account_no="X100", payment_mode="postpaid")
    rate(OCT)
    event = factories.event(city, "order_disruption", occurred_on=dt.date(2026, 11, 3))
    nov = rate(NOV)
    return {"city": city, "county": county, "event": event, "nov": nov}


def test_a_repaired_event_no_longer_counts_and_the_stored_result_and_pages_change(
    two_months, login, supervisor, clerk_city
):
    city, nov = two_months["city"], two_months["nov"]
    client = login(supervisor)
    page = client.get(reverse("ratings:run", args=[nov.pk]), {"move": "down"})
    assert dict(page.context["level_counts"]) == {"green": 0, "blue": 1, "yellow": 0, "red": 1}
    assert [m.customer.account_no for m in page.context["mover_page"]] == ["C100"]

    repair(two_months["event"])
    file_url = reverse("customers:detail", args=[city.account_no])
    assert login(clerk_city).get(file_url).context["rating"].recomputed_differs  # the stored level is stale
    client = login(supervisor)
    assert rerate_customer(city, user=supervisor, reason="信用修复申请 XF-2026-0001 已通过") == ("red", "blue")

    result = RatingResult.objects.get(run=nov, customer=city)
    assert (result.level, result.criteria) == ("blue", "B2;B3;B4")
    page = client.get(reverse("ratings:run", args=[nov.pk]), {"move": "down"})
    assert dict(page.context["level_counts"]) == {"green": 0, "blue": 2, "yellow": 0, "red": 0}
    assert page.context["mover_counts"] == {"up": 0, "down": 0}
    assert list(page.context["mover_page"]) == []
    assert client.get(reverse("ratings:runs")).context["rows"][0]["counts"] == [0, 2, 0, 0]
    red = client.get(reverse("ratings:level", args=["red"]))
    assert red.context["page"].paginator.count == 0
    # the credit file shows the stored level of the run, no longer stale
    card = login(clerk_city).get(file_url).context
    assert (card["rating"].computed, card["rating"].recomputed_differs) == ("blue", False)
    assert [(r.result.run.as_of, r.result.level) for r in card["rating_history"]] == [(NOV, "blue"), (OCT, "blue")]


def test_the_audit_entry_says_who_why_and_before_after(two_months, supervisor, login):
    repair(two_months["event"])
    rerate_customer(two_months["city"], user=supervisor, reason="信用修复申请 XF-2026-0001 已通过")
    entry = AuditEntry.objects.filter(model="ratingresult").get()
    assert entry.user == supervisor and entry.actor == "supervisor"
    assert entry.customer_id == two_months["city"].pk
    assert entry.before == {"run": "2026-11-30", "level": "red", "criteria": "R11"}
    assert entry.after == {"run": "2026-11-30", "level": "blue", "criteria": "B2;B3;B4"}
    assert "信用修复申请 XF-2026-0001 已通过" in entry.note
    # the credit file's change history reads it in words
    history = login(supervisor).get(reverse("customers:history", args=[two_months["city"].account_no]))
    html = history.content.decode()
    assert "评级结果" in html and "红色" in html and "蓝色" in html and "XF-2026-0001" in html


def test_a_move_up_after_the_repair_is_listed(db, supervisor, login, settings):
    """Red in October for a disruption that is repaired after November's run: November now moves up."""
    city = factories.customer("city", account_no="C200", payment_mode="postpaid")
    event = factories.event(city, "order_disruption", occurred_on=dt.date(2026, 10, 3))
    rate(OCT)
    nov = rate(NOV)
    assert not RunMove.objects.filter(run=nov).exists()  # red both months
    repair(event)
    assert rerate_customer(city, user=supervisor, reason="修复") == ("red", "blue")
    page = login(supervisor).get(reverse("ratings:run", args=[nov.pk]))
    assert page.context["mover_counts"] == {"up": 1, "down": 0}
    assert [(m.customer.account_no, m.from_level, m.to_level) for m in page.context["mover_page"]] == [
        ("C200", "red", "blue")
    ]


def test_unchanged_level_returns_the_same_and_changes_nothing(two_months, supervisor):
    county, nov = two_months["county"], two_months["nov"]
    assert rerate_customer(county, user=supervisor, reason="复核") == ("blue", "blue")
    assert RatingResult.objects.get(run=nov, customer=county).level == "blue"
    assert runs.level_counts(nov) == {"green": 0, "blue": 1, "yellow": 0, "red": 1}


def test_a_customer_without_a_row_in_the_run_gets_one(two_months, supervisor):
    late = factories.customer("county", account_no="X200", payment_mode="prepaid", opened_on=dt.date(2026, 11, 10))
    assert rerate_customer(late, user=supervisor, reason="补评") == (None, "green")
    assert RatingResult.objects.get(run=two_months["nov"], customer=late).level == "green"
    assert runs.level_counts(two_months["nov"])["green"] == 1
    # not rated on the run's date (opened after it): nothing stored
    later = factories.customer("county", payment_mode="prepaid", opened_on=dt.date(2026, 12, 10))
    assert rerate_customer(later, user=supervisor, reason="补评") == (None, None)
    assert not RatingResult.objects.filter(customer=later).exists()


def test_without_a_succeeded_run_it_returns_the_live_rating_and_stores_nothing(db, supervisor):
    customer = factories.customer("city", payment_mode="prepaid")
    assert rerate_customer(customer, user=supervisor, reason="修复") == (None, "green")
    assert not RatingResult.objects.exists()
    assert not AuditEntry.objects.filter(model="ratingresult").exists()


def test_a_rerun_of_that_date_in_progress_blocks_it_and_nothing_is_written(two_months, supervisor):
    runs.claim_run(NOV, RatingRun.Trigger.MANUAL, supervisor)  # the rerun has started
    repair(two_months["event"])
    with pytest.raises(RerateBlocked, match="2026-11-30 的评级正在进行"):
        rerate_customer(two_months["city"], user=supervisor, reason="修复")
    assert RatingResult.objects.get(run=two_months["nov"], customer=two_months["city"]).level == "red"
    assert not AuditEntry.objects.filter(model="ratingresult").exists()


def test_the_next_months_run_in_progress_blocks_it_until_it_has_finished(two_months, supervisor):
    dec = runs.claim_run(dt.date(2026, 12, 31), RatingRun.Trigger.SCHEDULE)
    repair(two_months["event"])
    with pytest.raises(RerateBlocked, match="2026-12-31 的评级正在进行"):
        rerate_customer(two_months["city"], user=supervisor, reason="修复")
    runs.execute_inline(dec)  # it rates from the repaired facts, and re-rating there changes nothing
    assert rerate_customer(two_months["city"], user=supervisor, reason="修复") == ("blue", "blue")


def test_a_claim_between_reading_and_locking_blocks_it(two_months, supervisor, monkeypatch):
    """The run is claimed again after rerate picked it as the latest succeeded run: a clear error, nothing written."""
    from ratings import services

    real = services.RatingRun.objects.select_for_update

    def claimed_meanwhile(*args, **kwargs):
        RatingRun.objects.filter(pk=two_months["nov"].pk).update(
            status=RatingRun.Status.PENDING, started_at=timezone.now()
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(services.RatingRun.objects, "select_for_update", claimed_meanwhile)
    repair(two_months["event"])
    with pytest.raises(RerateBlocked, match="2026-11-30 的评级正在进行"):
        rerate_customer(two_months["city"], user=supervisor, reason="修复")
    assert RatingResult.objects.get(run=two_months["nov"], customer=two_months["city"]).level == "red"
    assert not AuditEntry.objects.filter(model="ratingresult").exists()


def test_a_reason_is_required(two_months, supervisor):
    with pytest.raises(TransitionError, match="重新评定原因"):
        rerate_customer(two_months["city"], user=supervisor, reason="  ")
