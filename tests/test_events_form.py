"""Recording an event through the form: each type's special fields, every rule broken once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry, Event

TODAY = timezone.localdate


def create_url(customer) -> str:
    return reverse("customers:event_create", args=[customer.account_no])


def post(client, customer, **data):
    payload = {"type": "contract_violation", "occurred_on": (TODAY() - dt.timedelta(days=3)).isoformat(), "note": ""}
    payload.update({k: v for k, v in data.items() if v is not None})
    for k in [k for k, v in data.items() if v is None]:
        payload.pop(k, None)
    return client.post(create_url(customer), payload)


def test_form_page_offers_every_type_and_the_script(login, clerk_city, city_customer):
    response = login(clerk_city).get(create_url(city_customer))
    html = response.content.decode()
    assert response.status_code == 200
    for label in (
        "窃水",
        "造成公用管网停水",
        "故意破坏供水设施",
        "扰乱供水企业秩序",
        "金额（元）",
        "管径（mm）",
        "不可抗力",
        "情节",
    ):
        assert label in html
    assert "js/event_form" in html and 'id="event-type-fields"' in html


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"type": "water_theft", "amount": "9999.99"}, {"amount": Decimal("9999.99")}),
        ({"type": "pipe_outage", "pipe_diameter_mm": "160"}, {"pipe_diameter_mm": 160, "force_majeure": False}),
        (
            {"type": "pipe_outage", "pipe_diameter_mm": "15", "force_majeure": "on"},
            {"pipe_diameter_mm": 15, "force_majeure": True},
        ),
        ({"type": "facility_damage", "severity": "serious"}, {"severity": "serious"}),
        ({"type": "late_payment", "note": "  连续三月未缴  "}, {"note": "连续三月未缴", "amount": None}),
    ],
)
def test_valid_event_is_recorded_and_shown(login, clerk_city, city_customer, data, expected):
    client = login(clerk_city)
    response = post(client, city_customer, **data)
    assert response.status_code == 302
    assert response["Location"] == city_customer.get_absolute_url()
    event = Event.objects.get(customer=city_customer)
    assert event.type == data["type"]
    assert event.created_by == clerk_city
    assert event.ref.startswith("WEB-")
    for name, value in expected.items():
        assert getattr(event, name) == value
    page = client.get(response["Location"]).content.decode()
    assert event.ref in page and "已录入事件" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"type": ""}, "type", "这个字段是必填项"),
        ({"occurred_on": None}, "occurred_on", "这个字段是必填项"),
        ({"occurred_on": "2026-02-30"}, "occurred_on", "有效的日期"),
        ({"occurred_on": "future"}, "occurred_on", "不能晚于今天"),
        ({"occurred_on": "2018-12-31"}, "occurred_on", "不能早于立户日期（2019-01-01）"),
        ({"type": "water_theft"}, "amount", "此类型必须填写"),
        ({"type": "water_theft", "amount": "0"}, "amount", "金额必须大于0"),
        ({"type": "water_theft", "amount": "-5"}, "amount", "金额必须大于0"),
        ({"type": "water_theft", "amount": "10.123"}, "amount", "金额最多两位小数"),
        ({"type": "water_theft", "amount": "abc"}, "amount", "金额应为数字，最多两位小数"),
        ({"type": "pipe_outage", "pipe_diameter_mm": "1e3"}, "pipe_diameter_mm", "管径应为整数毫米"),
        ({"type": "pipe_outage"}, "pipe_diameter_mm", "此类型必须填写"),
        ({"type": "pipe_outage", "pipe_diameter_mm": "14"}, "pipe_diameter_mm", "管径应在 15-3000 mm 之间"),
        ({"type": "pipe_outage", "pipe_diameter_mm": "3001"}, "pipe_diameter_mm", "管径应在 15-3000 mm 之间"),
        ({"type": "facility_damage"}, "severity", "此类型必须填写"),
        ({"type": "facility_damage", "severity": "huge"}, "severity", "选择一个有效的选项"),
        ({"type": "contract_violation", "amount": "100"}, "amount", "此类型不使用该字段"),
        ({"type": "water_theft", "amount": "1", "pipe_diameter_mm": "100"}, "pipe_diameter_mm", "此类型不使用该字段"),
        ({"type": "late_payment", "force_majeure": "on"}, "force_majeure", "此类型不使用该字段"),
        ({"type": "pipe_outage", "pipe_diameter_mm": "100", "severity": "minor"}, "severity", "此类型不使用该字段"),
    ],
)
def test_invalid_event_shows_field_error_and_saves_nothing(login, clerk_city, city_customer, data, field, message):
    if data.get("occurred_on") == "future":
        data = {**data, "occurred_on": (TODAY() + dt.timedelta(days=1)).isoformat()}
    response = post(login(clerk_city), city_customer, **data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert any(message in e for e in form.errors[field]), form.errors[field]
    html = response.content.decode()
    assert message in html
    assert f'id="error_1_id_{field}"' in html  # crispy renders it under the field
    assert not Event.objects.exists()
    assert not AuditEntry.objects.filter(model="event").exists()


def test_event_on_the_opening_day_and_today_is_accepted(login, clerk_city, city_customer):
    client = login(clerk_city)
    assert post(client, city_customer, occurred_on="2019-01-01").status_code == 302
    assert post(client, city_customer, occurred_on=TODAY().isoformat()).status_code == 302
    assert Event.objects.filter(customer=city_customer).count() == 2
