"""Customers without a pledge: tick some and 打印所选客户的承诺书 makes one batch of exactly their pledges."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Company
from pledges.models import Pledge, PledgeBatch, PledgeKind
from tests import factories
from tests.pledge_support import printed_on

URL = reverse("pledges:batch_start_selected")
COVERAGE = reverse("pledges:coverage")


@pytest.fixture
def city_customers(db):
    return [factories.customer("city", account_no=f"P{i:04d}", name=f"随州打印{i}号有限公司") for i in range(5)]


def test_the_list_has_a_box_per_customer_and_the_button(login, clerk_city, city_customers):
    city = Company.objects.get(code="city")
    html = login(clerk_city).get(COVERAGE, {"company": city.pk}).content.decode()
    assert 'name="account_no" value="P0000"' in html and "打印所选客户的承诺书" in html


def test_printing_the_ticked_customers_makes_one_batch_of_their_pledges(
    login, clerk_city, city_customers, eager_celery
):
    a, b, c = city_customers[:3]
    already = printed_on(c, clerk_city)  # printed before, not signed: its pledge is reused
    city = Company.objects.get(code="city")
    response = login(clerk_city).post(URL, {"company": city.pk, "account_no": ["P0000", "P0002", "P0001"]})
    batch = PledgeBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("pledges:batch", args=[batch.pk])
    pledges = list(batch.pledges.order_by("customer__account_no"))
    assert [p.customer.account_no for p in pledges] == ["P0000", "P0001", "P0002"]
    assert already in pledges and batch.total == 3
    assert Pledge.objects.filter(kind=PledgeKind.VOLUNTARY).count() == 3  # nothing for the others


def test_one_wrong_account_prints_nothing_and_names_it(login, clerk_city, clerk_county, city_customers):
    county = factories.customer("county", account_no="X0001")
    city = Company.objects.get(code="city")
    response = login(clerk_city).post(
        URL, {"company": city.pk, "account_no": ["P0000", county.account_no, "NOPE"], "page": "1"}, follow=True
    )
    html = response.content.decode()
    assert "户号 X0001、NOPE 不存在或已签署承诺书，未打印任何承诺书" in html
    assert not PledgeBatch.objects.exists() and not Pledge.objects.exists()


def test_nothing_ticked_says_so(login, clerk_city, city_customers):
    city = Company.objects.get(code="city")
    html = login(clerk_city).post(URL, {"company": city.pk}, follow=True).content.decode()
    assert "请先勾选要打印承诺书的客户" in html and not PledgeBatch.objects.exists()


def test_another_companys_list_is_not_found(login, clerk_county, city_customers):
    city = Company.objects.get(code="city")
    assert login(clerk_county).post(URL, {"company": city.pk, "account_no": ["P0000"]}).status_code == 404
    assert not PledgeBatch.objects.exists()
