"""The repair queue: a supervisor ticks submitted requests and 受理所选申请 accepts each one; one that
cannot be accepted is named with its reason, the others are accepted."""

from __future__ import annotations

from django.urls import reverse

from repair import services
from repair.models import RepairRequest
from tests import factories
from tests.repair_support import lodge

QUEUE = reverse("repair:queue")
URL = reverse("repair:queue_accept")


def _requests(clerk, n=3):
    out = []
    for i in range(n):
        customer = factories.customer("city", account_no=f"Q{i:04d}", name=f"随州受理{i}号有限公司")
        theft = factories.event(customer, "water_theft", amount="500")
        out.append(lodge(customer, clerk, events=[theft]))
    return out


def test_the_queue_offers_the_boxes_to_a_supervisor_only(login, clerk_city, supervisor, db):
    a, *_ = _requests(clerk_city, 1)
    html = login(supervisor).get(QUEUE).content.decode()
    assert f'name="number" value="{a.number}"' in html and "受理所选申请" in html
    html = login(clerk_city).get(QUEUE).content.decode()
    assert 'name="number"' not in html and "受理所选申请" not in html


def test_ticked_requests_are_accepted_each_and_a_refused_one_is_named(login, clerk_city, supervisor, db):
    a, b, c = _requests(clerk_city)
    services.accept(b.pk, user=supervisor)  # already accepted by the time of the click
    response = login(supervisor).post(URL, {"number": [a.number, b.number, c.number, "NOPE-1"]}, follow=True)
    html = response.content.decode()
    assert f"已受理 2 件：{a.number}、{c.number}。" in html
    assert "未受理 2 件：" in html and b.number in html and "NOPE-1：申请不存在" in html
    statuses = dict(RepairRequest.objects.values_list("number", "status"))
    assert statuses[a.number] == statuses[c.number] == RepairRequest.Status.ACCEPTED


def test_four_eyes_rule_holds_for_each_row(login, supervisor, db):
    """A supervisor's own request is not accepted by that supervisor (双人审核); the reason is shown."""
    (own,) = _requests(supervisor, 1)
    html = login(supervisor).post(URL, {"number": [own.number]}, follow=True).content.decode()
    assert "双人审核" in html and "已受理 " not in html
    own.refresh_from_db()
    assert own.status == RepairRequest.Status.SUBMITTED


def test_nothing_ticked_and_other_roles(login, clerk_city, clerk_county, supervisor, db):
    (a,) = _requests(clerk_city, 1)
    html = login(supervisor).post(URL, {}, follow=True).content.decode()
    assert "请先勾选要受理的申请" in html
    assert login(clerk_city).post(URL, {"number": [a.number]}).status_code == 403
    a.refresh_from_db()
    assert a.status == RepairRequest.Status.SUBMITTED
