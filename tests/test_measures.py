"""Supervision measures: defaults per level, edited by administrators in the admin, shown on the
credit file for the effective level and on the level lists; runs and overrides read-only in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from ratings.measures import measures_by_level, measures_for
from ratings.models import LevelOverride, RatingResult, RatingRun, SupervisionMeasure
from tests import factories


@pytest.fixture
def administrator(db):
    return factories.user(
        "sysadmin", roles=("admin",), companies=("city", "county"), is_staff=True, is_superuser=True, first_name="张伟"
    )


def test_default_measures_from_the_seed_and_practice(db):
    texts = {level: [m.text for m in ms] for level, ms in measures_by_level().items()}
    assert texts["green"] == [
        "业务办理绿色通道",
        "一对一“水保姆”服务",
        "免费管道试压",
        "免费测漏",
        "免费表井维修",
        "容缺受理",
    ]
    assert texts["blue"] == ["常规管理"]
    assert texts["yellow"] == ["列为重点监管对象", "提高用水检查频次"]
    assert texts["red"] == ["从严审核", "取消容缺受理等便利措施", "依法依规实施联合惩戒"]


def test_measures_for_a_level_are_active_and_in_position_order(db):
    SupervisionMeasure.objects.filter(text="常规管理").update(position=5)
    SupervisionMeasure.objects.create(level="blue", text="每季度回访", position=1)
    SupervisionMeasure.objects.create(level="blue", text="已停用的措施", position=0, active=False)
    assert [m.text for m in measures_for("blue")] == ["每季度回访", "常规管理"]
    assert measures_for(None) == []


def test_admin_lists_and_edits_measures(login, administrator):
    client = login(administrator)
    changelist = client.get(reverse("admin:ratings_supervisionmeasure_changelist"), {"level__exact": "red"})
    html = changelist.content.decode()
    assert changelist.status_code == 200 and "从严审核" in html and "常规管理" not in html
    measure = SupervisionMeasure.objects.get(text="常规管理")
    response = client.post(
        reverse("admin:ratings_supervisionmeasure_change", args=[measure.pk]),
        {"level": "blue", "text": "常规管理,按月抄表", "position": 0, "active": "on"},
    )
    assert response.status_code == 302
    assert SupervisionMeasure.objects.get(pk=measure.pk).text == "常规管理,按月抄表"
    add = client.post(
        reverse("admin:ratings_supervisionmeasure_add"), {"level": "yellow", "text": "限期整改通知", "position": 3}
    )
    assert add.status_code == 302
    assert not SupervisionMeasure.objects.get(text="限期整改通知").active  # unchecked box


def test_clerk_cannot_edit_measures(login, clerk_city):
    response = login(clerk_city).get(reverse("admin:ratings_supervisionmeasure_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_changed_measures_show_on_the_file_and_the_level_list(login, clerk_city, supervisor, db):
    SupervisionMeasure.objects.filter(level="red", text="从严审核").update(active=False)
    SupervisionMeasure.objects.create(level="red", text="暂停新装报装", position=9)
    customer = factories.customer("city", payment_mode="prepaid")  # computed green
    LevelOverride.objects.create(
        customer=customer, level="red", reason="x", starts_on=dt.date(2020, 1, 1), created_by=supervisor
    )
    html = login(clerk_city).get(reverse("customers:detail", args=[customer.account_no])).content.decode()
    measures = html.split('data-testid="measures"')[1].split("</ul>")[0]
    assert "暂停新装报装" in measures and "从严审核" not in measures and "业务办理绿色通道" not in measures
    level_html = login(clerk_city).get(reverse("ratings:level", args=["red"])).content.decode()
    assert "暂停新装报装" in level_html and "从严审核" not in level_html


def test_runs_and_overrides_are_read_only_in_the_admin(login, administrator, supervisor, city_customer):
    run = RatingRun.objects.create(as_of=dt.date(2026, 10, 31), status="succeeded")
    RatingResult.objects.create(run=run, customer=city_customer, level="blue")
    override = LevelOverride.objects.create(
        customer=city_customer, level="red", reason="x", starts_on=dt.date(2026, 1, 1), created_by=supervisor
    )
    client = login(administrator)
    changelist = client.get(reverse("admin:ratings_ratingrun_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_list[0]._result_count == 1
    assert client.get(reverse("admin:ratings_ratingrun_add")).status_code == 403
    change = client.get(reverse("admin:ratings_ratingrun_change", args=[run.pk]))
    assert change.status_code == 200 and 'name="status"' not in change.content.decode()
    assert client.post(reverse("admin:ratings_ratingrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:ratings_leveloverride_changelist")).status_code == 200
    assert client.get(reverse("admin:ratings_leveloverride_add")).status_code == 403
    override_page = client.get(reverse("admin:ratings_leveloverride_change", args=[override.pk])).content.decode()
    assert 'name="level"' not in override_page
