"""The audit log is append-only, masks personal data, and names who wrote: user, command or task."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from customers import audit
from customers.models import AuditEntry, Customer
from tests import factories


@pytest.fixture
def entry(db):
    return AuditEntry.objects.create(actor="system", action=AuditEntry.CREATE, model="customer", object_id="T1")


def test_saved_entry_cannot_be_changed(entry):
    entry.note = "改一下"
    with pytest.raises(PermissionError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_queryset_update_is_refused(entry):
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="改一下")


def test_entry_cannot_be_deleted(entry):
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_offers_no_add_change_or_delete(entry, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="x")
    request = RequestFactory().get("/admin/customers/auditentry/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEntry]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert model_admin.has_view_permission(request, entry)
    assert model_admin.get_actions(request) == {}


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0722-3456789", "072*-***6789"),
        ("+86 138 1234 5678", "+86 1** **** 5678"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_first_three_and_last_four_digits(phone, masked):
    assert audit.mask_phone(phone) == masked


def test_snapshot_masks_phone_and_serialises_values(db):
    customer = factories.customer("city", phone="13812345678")
    data = audit.snapshot(customer)
    assert data["phone"] == "138****5678"
    assert data["opened_on"] == "2019-01-01"
    assert data["company"] == customer.company_id
    assert "id" not in data
    assert audit.snapshot(customer, fields=["name"]) == {"name": customer.name}


def test_writes_outside_any_context_are_the_systems(db):
    customer = factories.customer("city")
    entry = audit.record(AuditEntry.CREATE, customer, None, audit.snapshot(customer))
    assert (entry.actor, entry.user_id) == ("system", None)
    assert (entry.model, entry.object_id, entry.customer_id) == ("customer", customer.account_no, customer.pk)


def test_acting_as_a_command_then_a_user_and_back(db, django_user_model):
    user = django_user_model.objects.create_user("wangmin", password="x")
    customer = factories.customer("city")
    with audit.acting_as("command:import_records"):
        by_command = audit.record(AuditEntry.UPDATE, customer, {}, {})
        with audit.acting_as(user=user):
            by_user = audit.record(AuditEntry.UPDATE, customer, {}, {})
        back = audit.record(AuditEntry.UPDATE, customer, {}, {})
    after = audit.current_actor()
    assert (by_command.actor, by_command.user_id) == ("command:import_records", None)
    assert (by_user.actor, by_user.user_id) == ("wangmin", user.pk)
    assert back.actor == "command:import_records"
    assert after == audit.SYSTEM


def test_acting_as_is_reset_after_an_exception():
    with pytest.raises(RuntimeError), audit.acting_as("task:rating"):
        raise RuntimeError
    assert audit.current_actor() == audit.SYSTEM


def test_record_many_stamps_the_current_actor(db):
    customers = [factories.customer("county") for _ in range(3)]
    entries = [
        AuditEntry(action=AuditEntry.CREATE, model="customer", object_id=c.account_no, customer_id=c.pk)
        for c in customers
    ]
    with audit.acting_as("task:nightly"):
        assert audit.record_many(entries, batch_size=2) == 3
    stored = AuditEntry.objects.filter(customer__in=customers)
    assert stored.count() == 3
    assert set(stored.values_list("actor", flat=True)) == {"task:nightly"}


def test_event_on_a_customer_is_logged_against_that_customer(db):
    customer = factories.customer("city")
    event = factories.event(customer, "water_theft", amount="500.00")
    entry = audit.record(AuditEntry.CREATE, event, None, audit.snapshot(event))
    assert (entry.model, entry.object_id, entry.customer_id) == ("event", event.ref, customer.pk)
    assert entry.after["amount"] == "500.00"
    assert Customer.objects.get(pk=customer.pk).audit_entries.get() == entry


def test_changes_lists_only_differing_fields(entry):
    e = AuditEntry(before={"a": 1, "b": 2}, after={"a": 1, "b": 3, "c": 4})
    assert e.changes() == [("b", 2, 3), ("c", None, 4)]


@pytest.mark.django_db
def test_records_are_named_as_the_importer_names_them():
    """Account number, "account period" for a bill and the ref for an event, whatever wrote them."""
    from customers.audit import object_key

    customer = factories.customer("city", account_no="K-7")
    assert object_key(customer) == "K-7"
    assert object_key(factories.bill(customer, "2026-03")) == "K-7 2026-03"
    assert object_key(factories.event(customer, ref="EV-1")) == "EV-1"
