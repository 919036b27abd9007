"""Voiding an event from the page: supervisors only, with a reason; the event is kept, marked void."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry, Event
from tests import factories


def void_url(event) -> str:
    return reverse("customers:event_void", args=[event.customer.account_no, event.pk])


@pytest.fixture
def event(city_customer):
    return factories.event(city_customer, "water_theft", amount="500.00")


@pytest.mark.parametrize("method", ["get", "post"])
def test_clerk_is_refused_with_403(login, clerk_city, event, method):
    response = getattr(login(clerk_city), method)(void_url(event), {"reason": "想作废"} if method == "post" else None)
    assert response.status_code == 403
    assert "只有审核主管可以执行此操作" in response.content.decode()
    event.refresh_from_db()
    assert event.voided_at is None
    assert not AuditEntry.objects.filter(action=AuditEntry.VOID).exists()


def test_supervisor_sees_confirmation(login, supervisor, event):
    response = login(supervisor).get(void_url(event))
    html = response.content.decode()
    assert response.status_code == 200
    assert event.ref in html and "窃水" in html and "作废原因" in html and "确认作废" in html


def test_supervisor_voids_with_reason(login, supervisor, event):
    client = login(supervisor)
    response = client.post(void_url(event), {"reason": "  单据录错客户  "})
    assert response.status_code == 302
    assert response["Location"] == event.customer.get_absolute_url()
    event.refresh_from_db()
    assert Event.objects.filter(pk=event.pk).exists()  # kept
    assert event.voided_at is not None and event.voided_by == supervisor
    assert event.void_reason == "单据录错客户"
    entry = AuditEntry.objects.get(action=AuditEntry.VOID)
    assert (entry.actor, entry.user_id, entry.object_id, entry.customer_id) == (
        "supervisor",
        supervisor.pk,
        event.ref,
        event.customer_id,
    )
    assert entry.note == "单据录错客户"
    assert entry.before["voided_at"] is None and entry.after["void_reason"] == "单据录错客户"
    page = client.get(response["Location"]).content.decode()
    assert "已作废" in page and "单据录错客户" in page and "已作废。" in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_is_required(login, supervisor, event, reason):
    response = login(supervisor).post(void_url(event), {"reason": reason})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert "reason" in response.context["form"].errors
    event.refresh_from_db()
    assert event.voided_at is None
    assert not AuditEntry.objects.filter(action=AuditEntry.VOID).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_voiding_a_voided_event_says_so(login, supervisor, event, method):
    first_at = timezone.now()
    Event.objects.filter(pk=event.pk).update(voided_at=first_at, voided_by=supervisor, void_reason="第一次")
    client = login(supervisor)
    response = getattr(client, method)(void_url(event), {"reason": "第二次"} if method == "post" else None, follow=True)
    assert response.status_code == 200
    assert "该事件已作废" in response.content.decode()
    event.refresh_from_db()
    assert event.void_reason == "第一次" and event.voided_at == first_at
    assert not AuditEntry.objects.filter(action=AuditEntry.VOID).exists()


def test_event_of_another_customer_is_404(login, supervisor, event):
    other = factories.customer("city")
    url = reverse("customers:event_void", args=[other.account_no, event.pk])
    assert login(supervisor).get(url).status_code == 404


def test_city_supervisor_cannot_void_county_event(login, supervisor_city, county_customer):
    event = factories.event(county_customer)
    assert login(supervisor_city).post(void_url(event), {"reason": "x"}).status_code == 404
    event.refresh_from_db()
    assert event.voided_at is None


def test_voided_meanwhile_by_someone_else_is_a_message_not_a_500(login, supervisor, event, monkeypatch):
    """The page saw the event live, but the service finds it voided (a concurrent void)."""
    from customers import services

    def already_voided(*args, **kwargs):
        raise services.TransitionError("该事件已于 2026-11-28 10:00 作废")

    monkeypatch.setattr(services, "void_event", already_voided)
    response = login(supervisor).post(void_url(event), {"reason": "重复"}, follow=True)
    assert response.status_code == 200
    assert "该事件已于 2026-11-28 10:00 作废" in response.content.decode()
