"""The pledge pages: the credit file card, preparing and printing, the list and its filters, coverage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from pledges import services
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeState
from tests import factories
from tests.pledge_support import at

pytestmark = pytest.mark.django_db


def prepared(customer, user, day=dt.date(2026, 3, 2)):
    """A pledge generated on `day` (a pledge cannot be signed before it was generated)."""
    with at(day):
        return services.prepare_pledge(customer, user=user)


def sign(pledge, user, on=dt.date(2026, 3, 2)):
    services.mark_printed([pledge])
    return services.sign_pledge(
        pledge, signed_on=on, received_by=user, scan=ContentFile(tiny_scan_pdf(), "s.pdf"), user=user
    )


def test_credit_file_card_prepares_and_lists_pledges(login, clerk_city, city_customer):
    client = login(clerk_city)
    file_url = reverse("customers:detail", args=[city_customer.account_no])
    html = client.get(file_url).content.decode()
    assert "尚未签署信用承诺书" in html and "将在后续版本提供" not in html
    assert reverse("pledges:prepare", args=[city_customer.account_no]) in html

    response = client.post(reverse("pledges:prepare", args=[city_customer.account_no]), {"kind": "voluntary"})
    pledge = Pledge.objects.get(customer=city_customer)
    assert response.status_code == 302 and response["Location"] == reverse("pledges:detail", args=[pledge.pk])

    html = client.get(file_url).content.decode()
    assert reverse("pledges:detail", args=[pledge.pk]) in html and "已生成" in html
    assert reverse("pledges:prepare", args=[city_customer.account_no]) not in html  # one active voluntary pledge

    again = client.post(reverse("pledges:prepare", args=[city_customer.account_no]), follow=True)
    assert "已有主动型承诺书" in again.content.decode()
    assert Pledge.objects.filter(customer=city_customer).count() == 1


def test_print_marks_printed_then_opens_the_pdf(login, clerk_city, city_customer):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    client = login(clerk_city)
    page = client.get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
    assert reverse("pledges:print", args=[pledge.pk]) in page
    assert reverse("pledges:sign", args=[pledge.pk]) not in page  # not before printing
    response = client.post(reverse("pledges:print", args=[pledge.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("pledges:pdf", args=[pledge.pk])
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PRINTED
    assert client.get(response["Location"]).content.startswith(b"%PDF")
    page = client.get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
    assert reverse("pledges:sign", args=[pledge.pk]) in page
    assert client.get(reverse("pledges:print", args=[pledge.pk])).status_code == 405  # printing is a POST


def test_revoked_pledge_cannot_be_printed(login, clerk_city, supervisor, city_customer):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    services.revoke_pledge(pledge, reason="错打", user=supervisor)
    client = login(clerk_city)
    response = client.get(reverse("pledges:pdf", args=[pledge.pk]), follow=True)
    assert response.redirect_chain == [(reverse("pledges:detail", args=[pledge.pk]), 302)]
    assert "已撤销的承诺书不能打印" in response.content.decode()
    response = client.post(reverse("pledges:print", args=[pledge.pk]), follow=True)
    assert "不能打印" in response.content.decode()


def test_list_filters_by_state_and_company_and_search(login, supervisor, clerk_city, clerk_county):
    a = services.prepare_pledge(factories.customer("city", name="随州甲公司"), user=clerk_city)
    b = sign(prepared(factories.customer("city", name="随州乙公司"), clerk_city), clerk_city)
    c = services.prepare_pledge(factories.customer("county", name="随县丙公司"), user=clerk_county)
    client = login(supervisor)
    html = client.get(reverse("pledges:list")).content.decode()
    assert all(name in html for name in ("随州甲公司", "随州乙公司", "随县丙公司"))
    html = client.get(reverse("pledges:list"), {"state": "signed"}).content.decode()
    assert "随州乙公司" in html and "随州甲公司" not in html and b.number in html
    html = client.get(reverse("pledges:list"), {"company": c.company_id}).content.decode()
    assert "随县丙公司" in html and "随州甲公司" not in html
    html = client.get(reverse("pledges:list"), {"q": b.number}).content.decode()
    assert "随州乙公司" in html and "随州甲公司" not in html
    html = client.get(reverse("pledges:list"), {"q": a.customer.account_no}).content.decode()
    assert "随州甲公司" in html and "随州乙公司" not in html


def test_coverage_counts_signed_unrevoked_pledges_of_rateable_customers(login, supervisor, clerk_city):
    signed = factories.customer("city")
    sign(prepared(signed, clerk_city), clerk_city)
    breached = factories.customer("city")
    sign(prepared(breached, clerk_city), clerk_city)
    factories.event(breached, occurred_on=dt.date(2026, 4, 1))
    services.sync_breaches([breached.pk])
    revoked = factories.customer("city")
    services.revoke_pledge(sign(prepared(revoked, clerk_city), clerk_city), reason="注销", user=supervisor)
    printed_only = factories.customer("city")
    services.mark_printed([services.prepare_pledge(printed_only, user=clerk_city)])
    nothing = factories.customer("city")
    factories.customer("city", opened_on=timezone.localdate() + dt.timedelta(days=5))  # not opened yet: not rateable
    factories.customer("county")

    client = login(supervisor)
    city = signed.company
    response = client.get(reverse("pledges:coverage"), {"company": city.pk})
    rows = {row["company"].code: row for row in response.context["rows"]}
    assert (rows["city"]["rateable"], rows["city"]["signed"], rows["city"]["missing"]) == (5, 2, 3)
    assert rows["city"]["percent"] == 40.0
    assert (rows["county"]["rateable"], rows["county"]["signed"]) == (1, 0)
    assert {c.pk for c in response.context["page"]} == {revoked.pk, printed_only.pk, nothing.pk}
    html = response.content.decode()
    assert "批量打印未签署的 3 份" in html


def test_clerk_sees_only_own_company_coverage(login, clerk_county, clerk_city):
    factories.customer("city")
    response = login(clerk_county).get(reverse("pledges:coverage"))
    assert [row["company"].code for row in response.context["rows"]] == ["county"]
    assert login(clerk_county).get(reverse("pledges:coverage"), {"company": 1}).status_code in (200, 404)
    city_id = factories.company("city").pk
    assert login(clerk_county).get(reverse("pledges:coverage"), {"company": city_id}).status_code == 404


def test_history_on_the_pledge_page(login, clerk_city, city_customer):
    pledge = sign(prepared(city_customer, clerk_city), clerk_city)
    html = login(clerk_city).get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
    assert html.count('data-testid="history-entry"') == 3  # prepared, printed, signed
    assert "已签署" in html and "登记签署" in html


def test_credit_file_history_names_pledge_changes(login, clerk_city, city_customer):
    sign(prepared(city_customer, clerk_city), clerk_city)
    html = login(clerk_city).get(reverse("customers:history", args=[city_customer.account_no])).content.decode()
    assert "信用承诺书" in html and "已签署" in html and "承诺编码" in html
    assert "郑重承诺如下" not in html  # the text itself is on the pledge's page, not in the history


@pytest.mark.parametrize(
    "state, action, message",
    [
        ("signed", "sign", "不能登记签署"),
        ("prepared", "sign", "尚未打印"),
        ("revoked", "sign", "不能登记签署"),
        ("prepared", "fulfil", "不能认定为全部履行"),
        ("breached", "fulfil", "不能认定为全部履行"),
        ("revoked", "revoke", "不能撤销"),
    ],
)
def test_an_action_page_of_a_pledge_in_the_wrong_state_says_why_instead_of_a_form(
    login, supervisor, clerk_city, city_customer, state, action, message
):
    pledge = prepared(city_customer, clerk_city)
    if state in ("signed", "breached"):
        sign(pledge, clerk_city)
    if state == "breached":
        factories.event(city_customer, occurred_on=dt.date(2026, 4, 1))
        services.sync_breaches([city_customer.pk])
    if state == "revoked":
        services.revoke_pledge(pledge, reason="错打", user=supervisor)
    assert Pledge.objects.get(pk=pledge.pk).state == state
    response = login(supervisor).get(reverse(f"pledges:{action}", args=[pledge.pk]), follow=True)
    assert response.redirect_chain == [(reverse("pledges:detail", args=[pledge.pk]), 302)]
    html = response.content.decode()
    assert message in html and 'data-testid="action-form"' not in html


def test_an_overlong_revoke_reason_is_named_in_chinese(login, supervisor, clerk_city, city_customer):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    response = login(supervisor).post(reverse("pledges:revoke", args=[pledge.pk]), {"reason": "错" * 1001})
    html = response.content.decode()
    assert response.status_code == 200 and "撤销原因不能超过 1000 字（现有 1001 字）" in html
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.PREPARED


@pytest.mark.parametrize(
    "kind, message", [("repair", "信用修复型承诺书在信用修复申请中生成"), ("zzz", "未知的承诺类型 zzz")]
)
def test_the_credit_file_prepares_only_voluntary_pledges(login, clerk_city, city_customer, kind, message):
    """A 信用修复型 pledge belongs to a repair request (the repair app makes it); a forged kind on the
    credit file's prepare button makes no pledge of another kind and says why."""
    response = login(clerk_city).post(
        reverse("pledges:prepare", args=[city_customer.account_no]), {"kind": kind}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[city_customer.account_no])
    assert message in response.content.decode()
    assert not Pledge.objects.filter(customer=city_customer).exists()
