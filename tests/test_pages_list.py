"""The customer list: search by account number, USCC or name; filters; paging; query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories

LIST = reverse("customers:list")


def listed(response) -> set[str]:
    """Account numbers in the list table."""
    return {row.record.account_no for row in response.context["table"].paginated_rows}


@pytest.fixture
def customers(db):
    """Four city customers and one county customer with distinct names and USCCs."""
    return {
        "a": factories.customer(
            "city", account_no="C100200", name="随州市城区示范餐饮有限公司", uscc=factories.uscc(91001)
        ),
        "b": factories.customer(
            "city",
            account_no="C100300",
            name="随州市曾都区洗浴中心",
            uscc=factories.uscc(91002),
            payment_mode="postpaid",
        ),
        "c": factories.customer(
            "city", account_no="C200100", name="Suizhou Steel Works", uscc=factories.uscc(7777, "12")
        ),
        "d": factories.customer("city", account_no="C200200", name="随州市第一中学食堂", uscc=factories.uscc(91004)),
        "county": factories.customer("county", account_no="X100200", name="随县示范餐饮店", uscc=factories.uscc(91005)),
    }


def test_list_shows_only_own_company_in_account_order(login, clerk_city, customers):
    response = login(clerk_city).get(LIST)
    assert response.status_code == 200
    assert listed(response) == {"C100200", "C100300", "C200100", "C200200"}
    rows = [r.record.account_no for r in response.context["table"].paginated_rows]
    assert rows == sorted(rows)
    html = response.content.decode()
    assert "随州市城区示范餐饮有限公司" in html and "随县示范餐饮店" not in html
    assert reverse("customers:detail", args=["C100200"]) in html


def test_search_by_account_number_prefix(login, clerk_city, customers):
    assert listed(login(clerk_city).get(LIST, {"q": "C100"})) == {"C100200", "C100300"}
    assert listed(login(clerk_city).get(LIST, {"q": "c2001"})) == {"C200100"}  # typed in lower case


def test_search_by_name_fragment(login, clerk_city, customers):
    assert listed(login(clerk_city).get(LIST, {"q": "示范餐饮"})) == {"C100200"}  # county's 示范餐饮 not shown
    assert listed(login(clerk_city).get(LIST, {"q": "steel"})) == {"C200100"}  # any case


def test_search_by_two_characters_of_a_name(login, clerk_city, customers):
    # Two characters have no trigram: PostgreSQL answers them from the bigram index (customers migration 0003).
    assert listed(login(clerk_city).get(LIST, {"q": "示范"})) == {"C100200"}  # county's 随县示范餐饮店 not shown
    assert listed(login(clerk_city).get(LIST, {"q": "随州"})) == {"C100200", "C100300", "C200200"}
    assert listed(login(clerk_city).get(LIST, {"q": "ST"})) == {"C200100"}  # Steel, any case
    assert listed(login(clerk_city).get(LIST, {"q": "食堂"})) == {"C200200"}  # at the end of the name
    assert listed(login(clerk_city).get(LIST, {"q": "示餐"})) == set()  # both characters, side by side
    assert listed(login(clerk_city).get(LIST, {"q": "%餐"})) == set()


def test_renamed_customer_is_found_by_its_new_name(login, clerk_city, customers):
    customers["b"].name = "随州市安泰建材有限公司"
    customers["b"].save()
    assert listed(login(clerk_city).get(LIST, {"q": "安泰"})) == {"C100300"}
    assert listed(login(clerk_city).get(LIST, {"q": "洗浴"})) == set()


def test_search_by_uscc_prefix_any_case(login, clerk_city, customers):
    uscc = customers["c"].uscc
    assert listed(login(clerk_city).get(LIST, {"q": uscc})) == {"C200100"}
    assert listed(login(clerk_city).get(LIST, {"q": uscc[:12].lower()})) == {"C200100"}


def test_search_treats_like_wildcards_literally(login, clerk_city, customers):
    assert listed(login(clerk_city).get(LIST, {"q": "%"})) == set()
    assert listed(login(clerk_city).get(LIST, {"q": "_"})) == set()


def test_search_never_finds_other_company(login, clerk_city, customers):
    assert listed(login(clerk_city).get(LIST, {"q": "X100200"})) == set()
    assert listed(login(clerk_city).get(LIST, {"q": customers["county"].uscc})) == set()


def test_company_filter_offers_only_own_companies(login, clerk_city, supervisor, customers):
    form = login(clerk_city).get(LIST).context["filter"].form
    assert [c.code for c in form.fields["company"].queryset] == ["city"]
    form = login(supervisor).get(LIST).context["filter"].form
    assert sorted(c.code for c in form.fields["company"].queryset) == ["city", "county"]


def test_company_filter(login, supervisor, customers):
    county = factories.company("county")
    assert listed(login(supervisor).get(LIST, {"company": county.pk})) == {"X100200"}
    assert len(listed(login(supervisor).get(LIST))) == 5


def test_company_filter_cannot_reach_other_company(login, clerk_city, customers):
    county = factories.company("county")
    response = login(clerk_city).get(LIST, {"company": county.pk})
    assert "X100200" not in listed(response)


def test_payment_mode_filter(login, clerk_city, customers):
    assert listed(login(clerk_city).get(LIST, {"payment_mode": "postpaid"})) == {"C100300"}


def test_overdue_filter(login, clerk_city, customers):
    today = dt.date.today()
    factories.bill(customers["a"], "2020-01", due_on=dt.date(2020, 1, 25))  # unpaid, overdue
    factories.bill(customers["a"], "2020-02", due_on=dt.date(2020, 2, 25))  # second: no duplicate row
    factories.bill(customers["b"], "2020-01", due_on=dt.date(2020, 1, 25), paid_on=dt.date(2020, 3, 1))  # paid late
    factories.bill(customers["d"], "2099-01", due_on=today + dt.timedelta(days=30))  # not yet due
    response = login(clerk_city).get(LIST, {"overdue": "1"})
    assert [r.record.account_no for r in response.context["table"].paginated_rows] == ["C100200"]
    assert response.context["matches"] == 1
    assert listed(login(clerk_city).get(LIST, {"overdue": "0"})) == {"C100300", "C200100", "C200200"}


def test_list_is_paginated_fifty_a_page(login, clerk_city):
    for i in range(55):
        factories.customer("city", account_no=f"P{i:04d}")
    first = login(clerk_city).get(LIST)
    assert len(first.context["table"].paginated_rows) == 50
    second = login(clerk_city).get(LIST, {"page": 2})
    assert listed(second) == {f"P{i:04d}" for i in range(50, 55)}


def test_count_is_capped(login, clerk_city, settings, monkeypatch):
    monkeypatch.setattr("customers.views.files.LIST_COUNT_CAP", 3)
    for _ in range(5):
        factories.customer("city")
    response = login(clerk_city).get(LIST)
    assert response.context["more_than_cap"] and "超过 3 户" in response.content.decode()
    response = login(clerk_city).get(LIST, {"q": "T"})
    assert response.context["more_than_cap"]


def test_list_query_count_does_not_grow_with_rows(login, clerk_city, django_assert_max_num_queries):
    for _ in range(60):
        factories.customer("city")
    client = login(clerk_city)
    # session, user, companies, groups, exact account lookup, latest run, capped count,
    # page rows (company joined; level and arrears as per-row index lookups)
    with django_assert_max_num_queries(9):
        response = client.get(LIST, {"q": "T", "overdue": "0"})
    assert response.status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("page_number", ["abc", "0", "9999"])
def test_a_wrong_page_number_shows_a_page_not_an_error(login, clerk_city, customers, page_number):
    response = login(clerk_city).get(LIST, {"page": page_number})
    assert response.status_code == 200
    assert listed(response)
