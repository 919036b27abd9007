"""The change history (变更记录) shows amounts as the credit file does: 12,000.50."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from customers import audit
from customers.models import AuditEntry
from customers.services import record_event
from tests import factories


def history(client, customer) -> str:
    html = client.get(reverse("customers:history", args=[customer.account_no])).content.decode()
    return html[html.index('data-testid="history"') :]


def test_an_event_amount_reads_with_two_decimals_and_grouping(login, clerk_city, city_customer):
    record_event(
        city_customer, user=clerk_city, type="water_theft", amount=Decimal("12000.5"), occurred_on=timezone.localdate()
    )
    html = history(login(clerk_city), city_customer)
    assert "12,000.50" in html
    assert "12000.5" not in html


def test_a_bill_amount_change_reads_grouped_before_and_after(login, clerk_city, city_customer):
    bill = factories.bill(city_customer, "2026-10", amount="1234567.8")
    before = audit.snapshot(bill)
    bill.amount = Decimal("980")
    bill.save()
    audit.record(AuditEntry.UPDATE, bill, before, audit.snapshot(bill))
    html = history(login(clerk_city), city_customer)
    assert "1,234,567.80" in html and "980.00" in html
    assert "1234567.8" not in html
