"""The pledge lifecycle: every transition, every refused one, the 承诺编码, and the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from customers.models import AuditEntry
from customers.services import TransitionError
from pledges import services
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeKind, PledgeState
from tests import factories
from tests.pledge_support import at, printed_on, signed_on

pytestmark = pytest.mark.django_db


def scan(name: str = "scan.pdf") -> ContentFile:
    return ContentFile(tiny_scan_pdf(), name=name)


def printed(customer, user, day: dt.date | None = None) -> Pledge:
    """Generated and printed on `day` (today when None)."""
    return printed_on(customer, user, day)


def signed(customer, user, on: dt.date = dt.date(2026, 3, 2)) -> Pledge:
    """Generated, printed and signed on `on`."""
    return signed_on(customer, user, on)


def test_prepare_copies_the_template_text_with_name_and_uscc(city_customer, clerk_city):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    assert pledge.state == PledgeState.PREPARED
    assert pledge.number is None
    assert pledge.company_id == city_customer.company_id
    assert pledge.template.version == 1
    assert f"我单位/公司(名称){city_customer.name},统一社会信用代码为{city_customer.uscc}。" in pledge.content
    assert len(pledge.clauses) == 5
    assert pledge.consequences.startswith("三、若发生违法失信、违约用水等行为")
    assert pledge.get_disclosure_display() == "可向社会公开"
    entry = AuditEntry.objects.get(model="pledge", object_id=str(pledge.pk))
    assert entry.action == AuditEntry.CREATE and entry.user == clerk_city and entry.customer_id == city_customer.pk


def test_only_one_active_voluntary_pledge_per_customer(city_customer, clerk_city, supervisor):
    first = services.prepare_pledge(city_customer, user=clerk_city)
    with pytest.raises(TransitionError, match="已有主动型承诺书"):
        services.prepare_pledge(city_customer, user=clerk_city)
    services.revoke_pledge(first, reason="名称有误", user=supervisor)
    second = services.prepare_pledge(city_customer, user=clerk_city)
    assert second.pk != first.pk
    # a repair pledge may be made besides the voluntary one
    repair = services.prepare_pledge(city_customer, kind=PledgeKind.REPAIR, user=clerk_city)
    assert repair.title == "信用修复承诺书"
    assert repair.consequences.startswith("四、若再次发生违法失信")


def test_printing_moves_prepared_to_printed_and_reprinting_changes_nothing(city_customer, clerk_city):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    assert services.mark_printed([pledge], user=clerk_city) == 1
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PRINTED and pledge.printed_at is not None
    first_printed = pledge.printed_at
    assert services.mark_printed([pledge], user=clerk_city) == 0
    pledge.refresh_from_db()
    assert pledge.printed_at == first_printed
    assert AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk)).count() == 2


def test_signing_gives_the_number_and_stores_the_scan_with_its_hash(city_customer, clerk_city):
    pledge = printed(city_customer, clerk_city, dt.date(2026, 3, 2))
    data = tiny_scan_pdf("hash me")
    pledge = services.sign_pledge(
        pledge,
        signed_on=dt.date(2026, 3, 2),
        received_by=clerk_city,
        scan=ContentFile(data, name="whatever.bin"),
        user=clerk_city,
    )
    import hashlib

    assert pledge.state == PledgeState.SIGNED
    assert pledge.number == "42130020260302000001"
    assert re.fullmatch(r"421300\d{8}\d{6}", pledge.number)
    assert pledge.scan_sha256 == hashlib.sha256(data).hexdigest()
    assert pledge.scan_content_type == "application/pdf"
    assert pledge.scan.name.endswith(".pdf")
    with pledge.scan.open("rb") as fh:
        assert fh.read() == data
    assert pledge.received_by == clerk_city and pledge.signed_on == dt.date(2026, 3, 2)


def test_numbers_are_serial_per_date_and_never_reused(clerk_city, supervisor):
    day = dt.date(2026, 3, 2)
    a = signed(factories.customer("city"), clerk_city, day)
    b = signed(factories.customer("city"), clerk_city, day)
    other_day = signed(factories.customer("city"), clerk_city, dt.date(2026, 3, 3))
    assert (a.number, b.number) == ("42130020260302000001", "42130020260302000002")
    assert other_day.number == "42130020260303000001"
    services.revoke_pledge(b, reason="盖章不清", user=supervisor)
    b.refresh_from_db()
    assert b.number == "42130020260302000002"  # a revoked pledge keeps its number
    c = signed(factories.customer("city"), clerk_city, day)
    assert c.number == "42130020260302000003"


def test_signing_refused_before_printing_and_when_already_signed(city_customer, clerk_city):
    with at(dt.date(2026, 3, 2)):
        pledge = services.prepare_pledge(city_customer, user=clerk_city)
    with pytest.raises(TransitionError, match="尚未打印"):
        services.sign_pledge(
            pledge, signed_on=dt.date(2026, 3, 2), received_by=clerk_city, scan=scan(), user=clerk_city
        )
    services.mark_printed([pledge])
    services.sign_pledge(pledge, signed_on=dt.date(2026, 3, 2), received_by=clerk_city, scan=scan(), user=clerk_city)
    with pytest.raises(TransitionError, match="已签署"):
        services.sign_pledge(
            pledge, signed_on=dt.date(2026, 3, 3), received_by=clerk_city, scan=scan(), user=clerk_city
        )
    pledge.refresh_from_db()
    assert pledge.signed_on == dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    "signed_on, field, message",
    [
        ("tomorrow", "signed_on", "晚于今天"),  # worked out when the test runs, not when it is collected
        (dt.date(2018, 12, 31), "signed_on", "早于客户立户日期"),
    ],
)
def test_signing_date_checks(city_customer, clerk_city, signed_on, field, message):
    if signed_on == "tomorrow":
        signed_on = timezone.localdate() + dt.timedelta(days=1)
    pledge = printed(city_customer, clerk_city)
    with pytest.raises(ValidationError) as info:
        services.sign_pledge(pledge, signed_on=signed_on, received_by=clerk_city, scan=scan(), user=clerk_city)
    assert message in " ".join(info.value.message_dict[field])
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PRINTED and pledge.number is None and not pledge.scan


def test_signing_requires_a_scan(city_customer, clerk_city):
    pledge = printed(city_customer, clerk_city)
    with pytest.raises(ValidationError) as info:
        services.sign_pledge(pledge, signed_on=dt.date(2026, 3, 2), received_by=clerk_city, scan=None, user=clerk_city)
    assert "扫描件" in info.value.message_dict["scan"][0]


def test_fulfil_by_supervisor_only_for_signed(city_customer, clerk_city, supervisor):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    with pytest.raises(TransitionError, match="不能认定为全部履行"):
        services.fulfil_pledge(pledge, on=dt.date(2026, 3, 5), user=supervisor)
    pledge = signed(factories.customer("city"), clerk_city)
    with pytest.raises(PermissionDenied):
        services.fulfil_pledge(pledge, on=dt.date(2026, 3, 5), user=clerk_city)
    with pytest.raises(ValidationError, match="早于签署日期"):
        services.fulfil_pledge(pledge, on=dt.date(2026, 3, 1), user=supervisor)
    pledge = services.fulfil_pledge(pledge, on=dt.date(2026, 3, 5), user=supervisor)
    assert pledge.state == PledgeState.FULFILLED and pledge.fulfilled_on == dt.date(2026, 3, 5)
    with pytest.raises(TransitionError):
        services.fulfil_pledge(pledge, on=dt.date(2026, 3, 6), user=supervisor)


def test_breached_pledge_cannot_be_fulfilled(city_customer, clerk_city, supervisor):
    pledge = signed(city_customer, clerk_city)
    services.sync_breaches  # noqa: B018
    from customers.services import record_event

    record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2026, 3, 10))
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED
    with pytest.raises(TransitionError, match="未履行"):
        services.fulfil_pledge(pledge, on=dt.date(2026, 3, 12), user=supervisor)


def test_revoke_needs_a_reason_and_a_supervisor_and_happens_once(city_customer, clerk_city, supervisor):
    pledge = signed(city_customer, clerk_city)
    with pytest.raises(PermissionDenied):
        services.revoke_pledge(pledge, reason="x", user=clerk_city)
    with pytest.raises(ValidationError, match="撤销原因"):
        services.revoke_pledge(pledge, reason="  ", user=supervisor)
    pledge = services.revoke_pledge(pledge, reason="客户注销", user=supervisor)
    assert pledge.state == PledgeState.REVOKED and pledge.revoke_reason == "客户注销"
    assert pledge.scan and pledge.number  # the signed copy and its number stay
    with pytest.raises(TransitionError, match="已撤销"):
        services.revoke_pledge(pledge, reason="again", user=supervisor)
    with pytest.raises(TransitionError, match="不能打印"):
        services.mark_printed([pledge])
    entry = AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk)).order_by("-id").first()
    assert entry.action == AuditEntry.VOID and entry.note == "客户注销" and entry.user == supervisor


@pytest.mark.django_db(transaction=True)
def test_concurrent_signings_on_one_date_get_different_serials():
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    clerk = factories.user("clerk_threads", roles=("clerk",), companies=("city",))
    pledges = [printed(factories.customer("city"), clerk, dt.date(2026, 3, 2)) for _ in range(4)]
    numbers, errors = [], []
    barrier = threading.Barrier(len(pledges))

    def sign_one(pledge):
        try:
            barrier.wait()
            numbers.append(
                services.sign_pledge(
                    pledge.pk, signed_on=dt.date(2026, 3, 2), received_by=clerk, scan=scan(), user=clerk
                ).number
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_one, args=(p,)) for p in pledges]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"42130020260302{n:06d}" for n in range(1, 5)]


@pytest.mark.django_db(transaction=True)
def test_the_same_pledge_signed_twice_at_once_is_signed_once_with_one_scan(settings, tmp_path):
    """Two clerks (or a double-submitted form) signing one pledge: one wins, the other is refused,
    one number is used and one scan file is left."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    settings.MEDIA_ROOT = tmp_path
    clerk = factories.user("clerk_twice", roles=("clerk",), companies=("city",))
    pledge = printed(factories.customer("city"), clerk, dt.date(2026, 3, 2))
    numbers, refusals, errors = [], [], []
    barrier = threading.Barrier(2)

    def sign_it():
        try:
            barrier.wait()
            numbers.append(
                services.sign_pledge(
                    pledge.pk, signed_on=dt.date(2026, 3, 2), received_by=clerk, scan=scan(), user=clerk
                ).number
            )
        except TransitionError as exc:
            refusals.append(str(exc))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_it) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert numbers == ["42130020260302000001"] and len(refusals) == 1 and "不能登记签署" in refusals[0]
    assert len(list(tmp_path.rglob("*.pdf"))) == 1
    entries = AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk), note="登记签署")
    assert entries.count() == 1
