"""The audit trail of page actions, and the change-history page that shows it."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from customers import audit
from customers.models import AuditEntry, Event
from tests import factories


def test_recording_an_event_from_the_page_is_logged_as_the_user(login, clerk_city, city_customer):
    day = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    login(clerk_city).post(
        reverse("customers:event_create", args=[city_customer.account_no]),
        {"type": "water_theft", "occurred_on": day, "amount": "1200.50", "note": "表后私接"},
    )
    event = Event.objects.get()
    entry = AuditEntry.objects.get(model="event")
    assert (entry.action, entry.actor, entry.user_id) == (AuditEntry.CREATE, "clerk_city", clerk_city.pk)
    assert (entry.object_id, entry.customer_id) == (event.ref, city_customer.pk)
    assert entry.before is None
    assert entry.after["amount"] == "1200.50" and entry.after["type"] == "water_theft"


def test_voiding_from_the_page_is_logged(login, supervisor, city_customer):
    event = factories.event(city_customer)
    login(supervisor).post(
        reverse("customers:event_void", args=[city_customer.account_no, event.pk]), {"reason": "重复录入"}
    )
    entry = AuditEntry.objects.get(action=AuditEntry.VOID)
    assert (entry.actor, entry.object_id, entry.note) == ("supervisor", event.ref, "重复录入")


def test_history_page_lists_entries_newest_first_with_changes(login, supervisor, city_customer):
    client = login(supervisor)
    client.post(
        reverse("customers:event_create", args=[city_customer.account_no]),
        {"type": "pipe_outage", "occurred_on": timezone.localdate().isoformat(), "pipe_diameter_mm": "200"},
    )
    event = Event.objects.get()
    client.post(reverse("customers:event_void", args=[city_customer.account_no, event.pk]), {"reason": "管径录错"})
    response = client.get(reverse("customers:history", args=[city_customer.account_no]))
    html = response.content.decode()
    rows = [r["entry"].action for r in response.context["rows"]]
    assert rows == [AuditEntry.VOID, AuditEntry.CREATE]
    void_row = response.context["rows"][0]
    labels = [label for label, _, _ in void_row["changes"]]
    assert "作废原因" in labels and "作废人" in labels
    assert ("作废原因", "—", "管径录错") in void_row["changes"]
    assert ("作废人", "—", "主管") in void_row["changes"]  # the person's name, not the id or username
    create_row = response.context["rows"][1]
    assert ("类型", "—", "造成公用管网停水") in create_row["changes"]  # the label, not the code
    assert all(label != "客户" for label, _, _ in create_row["changes"])
    for text in ("作废", "新建", "信用事件", event.ref, "主管", "管径录错", "管径（mm）", "200"):
        assert text in html


def test_history_shows_only_this_customers_entries_and_masks_phone(login, clerk_city, city_customer):
    other = factories.customer("city")
    with audit.acting_as("import_records"):
        audit.record(
            AuditEntry.UPDATE,
            city_customer,
            {"phone": audit.mask_phone("13812345678")},
            {"phone": audit.mask_phone("13912345678")},
        )
        factories_event = factories.event(other)
        audit.record(AuditEntry.CREATE, factories_event, None, audit.snapshot(factories_event))
    response = login(clerk_city).get(reverse("customers:history", args=[city_customer.account_no]))
    html = response.content.decode()
    assert len(response.context["rows"]) == 1
    assert "import_records" in html and "138****5678" in html and "139****5678" in html
    assert factories_event.ref not in html


def test_history_is_paginated(login, clerk_city, city_customer):
    for i in range(30):
        audit.record(AuditEntry.UPDATE, city_customer, {"name": f"旧{i}"}, {"name": f"新{i}"})
    client = login(clerk_city)
    first = client.get(reverse("customers:history", args=[city_customer.account_no]))
    assert len(first.context["rows"]) == 25 and "第 1 / 2 页" in first.content.decode()
    second = client.get(reverse("customers:history", args=[city_customer.account_no]), {"page": 2})
    assert len(second.context["rows"]) == 5
