"""Level overrides: set, supersede, revoke, expiry on the end date, and their audit entries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from customers.models import AuditEntry
from customers.services import TransitionError
from ratings.models import LevelOverride
from ratings.overrides import effective_level, in_force_override, revoke_override, set_override

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def at_today():
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def override_entries(customer):
    return list(AuditEntry.objects.filter(customer=customer, model="override").order_by("id"))


def test_set_override_writes_the_override_and_an_audit_entry(supervisor, city_customer, at_today):
    override = set_override(city_customer, "yellow", "  现场核查发现私接管道  ", dt.date(2026, 12, 31), supervisor)
    override.refresh_from_db()
    assert (override.level, override.reason, override.starts_on, override.ends_on) == (
        "yellow",
        "现场核查发现私接管道",
        TODAY,
        dt.date(2026, 12, 31),
    )
    assert override.created_by == supervisor and override.revoked_at is None
    [entry] = override_entries(city_customer)
    assert entry.action == AuditEntry.CREATE
    assert entry.object_id == str(override.pk)
    assert entry.user == supervisor and entry.actor == "supervisor"
    assert entry.after["level"] == "yellow" and entry.after["ends_on"] == "2026-12-31"
    assert entry.note == "现场核查发现私接管道"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reason_is_required(supervisor, city_customer, reason):
    with pytest.raises(TransitionError, match="调整原因"):
        set_override(city_customer, "red", reason, None, supervisor)
    assert not LevelOverride.objects.exists() and not override_entries(city_customer)


def test_end_date_may_not_be_in_the_past_but_may_be_today(supervisor, city_customer, at_today):
    with pytest.raises(TransitionError, match="截止日期"):
        set_override(city_customer, "red", "原因", TODAY - dt.timedelta(days=1), supervisor)
    assert not LevelOverride.objects.exists()
    assert set_override(city_customer, "red", "原因", TODAY, supervisor).ends_on == TODAY


def test_unknown_level_is_refused(supervisor, city_customer):
    with pytest.raises(TransitionError):
        set_override(city_customer, "purple", "原因", None, supervisor)


def test_clerk_may_not_set_or_revoke(clerk_city, supervisor, city_customer):
    with pytest.raises(PermissionDenied):
        set_override(city_customer, "green", "原因", None, clerk_city)
    assert not LevelOverride.objects.exists()
    override = set_override(city_customer, "green", "原因", None, supervisor)
    with pytest.raises(PermissionDenied):
        revoke_override(override.pk, clerk_city, "原因")
    override.refresh_from_db()
    assert override.revoked_at is None
    assert len(override_entries(city_customer)) == 1


def test_new_override_supersedes_the_one_in_force(supervisor, city_customer, at_today):
    first = set_override(city_customer, "yellow", "第一次", None, supervisor)
    second = set_override(city_customer, "red", "第二次", dt.date(2027, 3, 31), supervisor)
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_by == supervisor
    assert first.revoke_reason == "被新的等级调整取代"
    assert in_force_override(city_customer, TODAY) == second
    entries = override_entries(city_customer)
    assert [(e.action, e.object_id) for e in entries] == [
        (AuditEntry.CREATE, str(first.pk)),
        (AuditEntry.UPDATE, str(first.pk)),
        (AuditEntry.CREATE, str(second.pk)),
    ]
    assert entries[1].before["revoked_at"] is None and entries[1].after["revoked_at"] is not None


def test_revoke_ends_the_override_with_a_reason(supervisor, city_customer, at_today):
    override = set_override(city_customer, "red", "原因", None, supervisor)
    with pytest.raises(TransitionError, match="撤销原因"):
        revoke_override(override.pk, supervisor, " ")
    revoke_override(override.pk, supervisor, "客户已整改")
    override.refresh_from_db()
    assert override.revoke_reason == "客户已整改" and override.revoked_by == supervisor
    assert in_force_override(city_customer, TODAY) is None
    assert effective_level(city_customer, TODAY, "blue") == "blue"
    last = override_entries(city_customer)[-1]
    assert last.action == AuditEntry.UPDATE and last.note == "客户已整改"
    assert last.before["revoke_reason"] == "" and last.after["revoke_reason"] == "客户已整改"
    with pytest.raises(TransitionError, match="已于"):
        revoke_override(override.pk, supervisor, "再次撤销")
    assert len(override_entries(city_customer)) == 2


def test_override_is_in_force_through_its_end_date_and_not_after(supervisor, city_customer):
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        set_override(city_customer, "red", "限期整改", dt.date(2026, 11, 30), supervisor)
    assert effective_level(city_customer, dt.date(2026, 10, 31), "green") == "green"  # before it starts
    assert effective_level(city_customer, dt.date(2026, 11, 1), "green") == "red"
    assert effective_level(city_customer, dt.date(2026, 11, 30), "green") == "red"  # the end date is included
    assert effective_level(city_customer, dt.date(2026, 12, 1), "green") == "green"  # expired the day after
    # an expired override cannot be revoked any more, and a new one needs no superseding
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        old = LevelOverride.objects.get()
        with pytest.raises(TransitionError, match="到期"):
            revoke_override(old.pk, supervisor, "x")
        set_override(city_customer, "yellow", "新的调整", None, supervisor)
    old.refresh_from_db()
    assert old.revoked_at is None  # expired, not superseded


def test_open_ended_override_stays_in_force(supervisor, city_customer, at_today):
    set_override(city_customer, "green", "原因", None, supervisor)
    assert effective_level(city_customer, dt.date(2036, 1, 1), "red") == "green"
    assert effective_level(city_customer, TODAY, None) == "green"


def test_effective_level_without_override_is_the_computed_one(city_customer):
    assert effective_level(city_customer, TODAY, "yellow") == "yellow"
    assert effective_level(city_customer, TODAY, None) is None
