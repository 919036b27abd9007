"""The task tracker's lists: the data migration holds 附件1 (the task force) and 附件2 (the key tasks and their
responsible units) as the document writes them; the page shows them to every staff role; an administrator
edits them in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reporting.models import KeyTask, TaskForceMember, Unit
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_task_force_as_written():
    leader = TaskForceMember.objects.get(role="leader")
    assert leader.name == "严勤建"
    liaisons = [(m.unit.name, m.name) for m in TaskForceMember.objects.filter(role="liaison").order_by("position")]
    assert liaisons == [
        ("城市供水公司", "冷腊梅"),
        ("随县供水公司", "钱谦"),
        ("综合办公室", "敖铖"),
        ("法务审计部", "唐小娥"),
        ("客户服务中心", "肖翔"),
    ]
    assert Unit.objects.get(name="城市供水公司").company.code == "city"
    assert Unit.objects.get(name="随县供水公司").company.code == "county"


def test_the_key_tasks_as_written():
    tasks = {t.number: t for t in KeyTask.objects.prefetch_related("units")}
    assert sorted(tasks) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]  # the document has no task 11
    assert [tasks[n].title for n in (1, 3, 5, 6, 10, 12)] == [
        "工作机制",
        "“信易供水”信息",
        "信用核查",
        "信用应用场景",
        "工作动态",
        "主题宣传",
    ]
    assert tasks[5].content == "依照应用清单事项，通过信用平台开展信用核查，并反馈信用核查结果使用情况。"
    assert tasks[1].unit_names == "综合办公室、客户服务中心"
    assert tasks[2].unit_names == "城市供水公司、随县供水公司、客户服务中心"
    assert all(tasks[n].unit_names == "城市供水公司、随县供水公司" for n in (3, 4, 5, 6, 7, 8, 9))
    assert tasks[10].responsible == "综合办公室及相关子公司、部室"
    assert set(tasks[12].units.values_list("name", flat=True)) == {"综合办公室", "城市供水公司", "随县供水公司"}


def test_the_page_for_every_staff_role(login, clerk_county, service_center, client):
    for user in (clerk_county, service_center):
        html = login(user).get(reverse("reporting:work_tracker")).content.decode()
        assert "严勤建" in html and "客户服务中心：肖翔" in html and "积极开展信用知识科普" in html
        assert 'data-testid="tracker-edit"' not in html
    nobody = factories.user("nobody", roles=(), companies=("city",))
    assert login(nobody).get(reverse("reporting:work_tracker")).status_code == 403


def test_an_administrator_edits_a_task(client):
    admin = factories.user("root", roles=("admin",), companies=("city", "county"), is_superuser=True, is_staff=True)
    client.force_login(admin)
    task = KeyTask.objects.get(number=9)
    units = [str(u.pk) for u in task.units.all()] + [str(Unit.objects.get(name="法务审计部").pk)]
    response = client.post(
        reverse("admin:reporting_keytask_change", args=[task.pk]),
        {
            "number": "9",
            "title": "信用修复",
            "content": task.content,
            "responsible": "城市供水公司、随县供水公司、法务审计部",
            "units": units,
            "active": "on",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert "法务审计部" in task.unit_names
    html = client.get(reverse("reporting:work_tracker")).content.decode()
    assert "城市供水公司、随县供水公司、法务审计部" in html and 'data-testid="tracker-edit"' in html
