"""Issue 14, item 9: a Chinese 400 page, TRACE/OPTIONS refused with 405, and a moved customer's open
request counted (dashboard, queue, badge) under the company that lists it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.repair_support import lodge

pytestmark = pytest.mark.django_db


def test_a_bad_request_is_a_chinese_page(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")  # not in ALLOWED_HOSTS
    assert response.status_code == 400
    html = response.content.decode()
    assert "请求无效" in html and "没有保存任何修改" in html
    assert "Bad Request" not in html


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/accounts/login/", "/customers/", "/admin/login/"])
def test_other_methods_are_405_and_show_no_page(login, clerk_city, method, path):
    client = login(clerk_city)
    response = client.generic(method, path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert b"<html" not in response.content.lower()


def test_anonymous_trace_is_405_too():
    response = Client().generic("TRACE", "/")
    assert response.status_code == 405


def test_a_moved_customers_open_request_counts_where_it_is_listed(login, clerk_city, clerk_county):
    customer = factories.customer("city")
    lodge(customer, clerk_city, events=[factories.event(customer)])
    customer.company = factories.company("county")
    customer.save()

    def dashboard_open(user) -> dict[str, int]:
        board = login(user).get(reverse("reporting:dashboard")).context["board"]
        return {b.company.code: sum(k.submitted for k in b.requests) for b in board.companies}

    assert dashboard_open(clerk_city) == {"city": 0}
    assert dashboard_open(clerk_county) == {"county": 1}

    client = login(clerk_county)
    county = factories.company("county")
    page = client.get(reverse("repair:queue"), {"company": county.pk})
    assert [r["req"].customer_id for r in page.context["rows"]] == [customer.pk]  # the filter agrees
    counts = {(c["company"].code, c["kind"]): c["open"] for c in page.context["counts"]}
    assert counts[("county", "repair")] == 1
    assert "随县供水公司" in page.content.decode()  # the row names the customer's company now
    city_page = login(clerk_city).get(reverse("repair:queue"))
    assert list(city_page.context["rows"]) == []
    assert {(c["company"].code, c["kind"]): c["open"] for c in city_page.context["counts"]}[("city", "repair")] == 0
