"""An audit entry in one line (its str, as the admin titles it): Chinese, people by name, records by number."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from customers import audit, services
from customers.models import AuditEntry
from tests import factories
from tests.pledge_support import printed_on


def test_an_event_entry_reads_in_chinese_with_the_clerk_by_name_and_shanghai_time(db, clerk_city):
    customer = factories.customer("city", account_no="011500001")
    with audit.acting_as(user=clerk_city):
        event = services.record_event(
            customer, user=clerk_city, type="contract_violation", occurred_on=timezone.localdate()
        )
    entry = AuditEntry.objects.filter(model="event").latest("id")
    text = str(entry)
    local = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M")
    assert text == f"{local} 城区客服 新建 信用事件 {event.ref}"
    assert "event" not in text and "create" not in text and "clerk_city" not in text


def test_a_command_entry_names_the_command_in_words_and_the_customer_by_account(db):
    customer = factories.customer("city", account_no="011500002")
    at = dt.datetime(2026, 12, 3, 17, 30, tzinfo=dt.UTC)  # 01:30 the next day in Asia/Shanghai
    entry = AuditEntry.objects.create(
        at=at, actor="command:seed_demo", action="create", model="customer", object_id=customer.account_no
    )
    assert str(entry) == "2026-12-04 01:30 系统：演示数据 新建 供水客户 011500002"


def test_a_pledge_entry_names_the_pledge_by_its_number_not_its_id(db, clerk_city):
    customer = factories.customer("city")
    pledge = printed_on(customer, clerk_city)
    entry = AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk)).latest("id")
    assert str(entry).endswith(f"信用承诺书 {pledge.display_number}")
    assert f" {pledge.pk}" not in str(entry).split("信用承诺书")[1].replace(pledge.display_number, "")
