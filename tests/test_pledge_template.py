"""Publishing a template version in the admin: what a version must hold before pledges are made from it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pledges import services
from pledges.models import PledgeKind, PledgeTemplate
from tests import factories

pytestmark = pytest.mark.django_db

ADD = "admin:pledges_pledgetemplate_add"


def publish(admin_client, **fields):
    v1 = PledgeTemplate.objects.get(kind=PledgeKind.VOLUNTARY, version=1)
    data = {
        "kind": "voluntary",
        "title": v1.title,
        "intro": v1.intro,
        "preamble": v1.preamble,
        "clauses_text": "\n".join(v1.clauses),
        "consequences_index": v1.consequences_index,
        "reason": v1.reason,
        "disclosure": v1.disclosure,
    }
    data.update(fields)
    return admin_client.post(reverse(ADD), data)


def versions() -> int:
    return PledgeTemplate.objects.filter(kind=PledgeKind.VOLUNTARY).count()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"clauses_text": " \n  \n"}, "承诺条款必须是非空的文字列表"),
        ({"consequences_index": 6}, "违诺责任条款序号必须在 1 到 5 之间"),
        ({"consequences_index": 0}, "违诺责任条款序号必须在 1 到 5 之间"),
        ({"intro": "我单位郑重承诺。"}, "开头必须包含占位符 {name} 和 {uscc}"),
        ({"intro": "我单位{name},代码{uscc}{0}"}, "开头只能使用占位符 {name} 和 {uscc}"),
        ({"intro": "我单位{name.__class__},代码{uscc}"}, "开头只能使用占位符 {name} 和 {uscc}"),
        ({"intro": "我单位{name:>300},代码{uscc}"}, "开头只能使用占位符 {name} 和 {uscc}"),
        ({"clauses_text": ("条" * 1500 + "\n") * 3}, "承诺内容最多 4000 字"),
    ],
    ids=[
        "empty-clauses",
        "index-too-big",
        "index-zero",
        "no-placeholders",
        "positional",
        "attribute",
        "format-spec",
        "too-long",
    ],
)
def test_a_bad_version_is_refused_naming_the_field_and_nothing_is_published(admin_client, fields, message):
    response = publish(admin_client, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert versions() == 1


def test_a_good_version_is_published_and_used_for_new_pledges(admin_client, clerk_city):
    response = publish(admin_client, intro="本单位{name}(统一社会信用代码{uscc})。")
    assert response.status_code == 302 and versions() == 2
    customer = factories.customer("city")
    pledge = services.prepare_pledge(customer, user=clerk_city)
    assert pledge.template.version == 2
    assert pledge.intro == f"本单位{customer.name}(统一社会信用代码{customer.uscc})。"
