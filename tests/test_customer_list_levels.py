"""The customer list's current level column and filter, arrears, sorting and the exact account search."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ratings.models import LevelOverride
from tests import factories
from tests.test_rating_pages import make_run

LIST = reverse("customers:list")


def rows(response) -> list[str]:
    return [r.record.account_no for r in response.context["table"].paginated_rows]


def levels(response) -> dict[str, str | None]:
    return {r.record.account_no: r.record.current_level for r in response.context["table"].paginated_rows}


@pytest.fixture
def rated(db):
    """City C1..C4 and county X1, rated at two month ends; C4 not rated in the latest run."""
    c = {n: factories.customer("city", account_no=n, name=f"客户{n}") for n in ("C1", "C2", "C3", "C4")}
    x = factories.customer("county", account_no="X1", name="随县客户")
    make_run(dt.date(2026, 10, 31), {c["C1"]: "red", c["C2"]: "red", c["C3"]: "red", c["C4"]: "red", x: "red"})
    nov = make_run(dt.date(2026, 11, 30), {c["C1"]: "green", c["C2"]: "yellow", c["C3"]: "red", x: "blue"})
    return {**c, "X1": x, "nov": nov}


def test_level_column_shows_the_effective_level_of_the_latest_run(login, supervisor, rated):
    LevelOverride.objects.create(
        customer=rated["C2"], level="green", reason="核实", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    # an override that ended before the run's date does not count
    LevelOverride.objects.create(
        customer=rated["C3"],
        level="green",
        reason="过期",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 11, 29),
        created_by=supervisor,
    )
    response = login(supervisor).get(LIST)
    assert levels(response) == {"C1": "green", "C2": "green", "C3": "red", "C4": None, "X1": "blue"}
    html = response.content.decode()
    assert "当前等级" in html and "人工调整" in html and "未评级" in html and "2026-11-30" in html


def test_level_filter(login, supervisor, clerk_city, rated):
    LevelOverride.objects.create(
        customer=rated["C2"], level="green", reason="核实", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    client = login(supervisor)
    assert rows(client.get(LIST, {"level": "green"})) == ["C1", "C2"]
    assert rows(client.get(LIST, {"level": "yellow"})) == []
    assert rows(client.get(LIST, {"level": "red"})) == ["C3"]
    assert rows(client.get(LIST, {"level": "blue"})) == ["X1"]
    assert rows(client.get(LIST, {"level": "none"})) == ["C4"]
    assert rows(login(clerk_city).get(LIST, {"level": "blue"})) == []  # the county's customer is not theirs


def test_no_run_means_every_customer_is_unrated(login, clerk_city, db):
    factories.customer("city", account_no="C9")
    client = login(clerk_city)
    assert levels(client.get(LIST)) == {"C9": None}
    assert rows(client.get(LIST, {"level": "none"})) == ["C9"]
    assert rows(client.get(LIST, {"level": "green"})) == []


def test_arrears_column(login, clerk_city, db):
    today = dt.date.today()
    c = factories.customer("city", account_no="C1")
    factories.customer("city", account_no="C2")
    factories.bill(c, "2020-01", amount="1234.50", due_on=today - dt.timedelta(days=40))
    factories.bill(c, "2020-02", amount="10.00", due_on=today - dt.timedelta(days=10))
    factories.bill(c, "2020-03", amount="99.00", due_on=today - dt.timedelta(days=10), paid_on=today)
    response = login(clerk_city).get(LIST)
    arrears = {r.record.account_no: r.record.arrears for r in response.context["table"].paginated_rows}
    assert str(arrears["C1"]) == "1244.50" and arrears["C2"] is None
    assert "1,244.50" in response.content.decode()


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("account_no", ["C1", "C2", "C3", "C4"]),
        ("-account_no", ["C4", "C3", "C2", "C1"]),
        ("name", ["C1", "C2", "C3", "C4"]),
        ("-name", ["C4", "C3", "C2", "C1"]),
        ("current_level", ["C1", "C2", "C3", "C4"]),  # green, yellow, red, 未评级
        ("-current_level", ["C4", "C3", "C2", "C1"]),
        ("opened_on", ["C1", "C2", "C3", "C4"]),
        ("company", ["C1", "C2", "C3", "C4"]),
    ],
)
def test_sortable_columns(login, clerk_city, rated, sort, expected):
    response = login(clerk_city).get(LIST, {"sort": sort})
    assert rows(response) == expected
    assert 'href="?sort=' in response.content.decode()


def test_exact_own_account_opens_the_file(login, clerk_city, rated):
    client = login(clerk_city)
    response = client.get(LIST, {"q": "C1"})
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=["C1"])
    assert client.get(LIST, {"q": "c1"})["Location"] == reverse("customers:detail", args=["C1"])  # typed lower case


def test_other_company_or_partial_account_does_not_redirect(login, clerk_city, clerk_county, rated):
    # another company's account: searched like any text, nothing found, no redirect, no name shown
    response = login(clerk_city).get(LIST, {"q": "X1"})
    assert response.status_code == 200 and rows(response) == []
    assert "随县客户" not in response.content.decode()
    missing = login(clerk_city).get(LIST, {"q": "C0"})
    assert missing.status_code == 200 and rows(missing) == []
    response = login(clerk_county).get(LIST, {"q": "C"})  # a prefix of many: the list
    assert response.status_code == 200 and rows(response) == []
    assert login(clerk_city).get(LIST, {"q": "C"}).status_code == 200


def test_query_count_is_fixed_with_level_filter_and_sort(login, clerk_city, rated, django_assert_max_num_queries):
    for _ in range(60):
        factories.customer("city")
    client = login(clerk_city)
    with django_assert_max_num_queries(9):
        response = client.get(LIST, {"q": "C", "level": "red", "sort": "-current_level", "overdue": "0"})
    assert rows(response) == ["C3"]


def test_level_filter_timing_on_many_customers(login, clerk_city, db):
    """5,000 customers rated, 1% red: the red filter walks the customers by account order and looks each one's
    result up by the unique (run, customer) index; the page's queries are timed and planned."""
    from customers.models import Company, Customer

    city = Company.objects.get(code="city")
    Customer.objects.bulk_create(
        Customer(
            company=city,
            account_no=f"M{i:06d}",
            name=f"户{i}",
            uscc=factories.uscc(500000 + i),
            payment_mode="prepaid",
            opened_on=dt.date(2019, 1, 1),
        )
        for i in range(5000)
    )
    customers = list(Customer.objects.filter(account_no__startswith="M").order_by("account_no"))
    make_run(dt.date(2026, 11, 30), {c: ("red" if i % 100 == 0 else "green") for i, c in enumerate(customers)})
    client = login(clerk_city)
    client.get(LIST, {"level": "red"})  # warm
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"level": "red"})
    elapsed = time.perf_counter() - start
    assert len(rows(response)) == 50
    page_sql = next(q["sql"] for q in ctx.captured_queries if "LIMIT 51" in q["sql"] or "LIMIT 50" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page_sql if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN " + page_sql)
        plan = "\n".join(str(r) for r in cursor.fetchall())
    print(f"\nlevel=red on 5,000 customers: {elapsed * 1000:.0f} ms for the page\n{plan}")
    assert "rating_result_run_customer" in plan
    assert elapsed < 2.0


def test_sort_by_level_sorts_by_the_effective_level(login, clerk_city, supervisor, rated):
    """C1 computed green but overridden red on the run's date sorts among the red; a revoked override
    on C2 (yellow) does not move it."""
    LevelOverride.objects.create(
        customer=rated["C1"], level="red", reason="核实", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    LevelOverride.objects.create(
        customer=rated["C2"],
        level="green",
        reason="误录",
        starts_on=dt.date(2026, 11, 1),
        created_by=supervisor,
        revoked_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        revoked_by=supervisor,
        revoke_reason="撤销",
    )
    response = login(clerk_city).get(LIST, {"sort": "current_level"})
    assert rows(response) == ["C2", "C1", "C3", "C4"]  # yellow, red (override), red, 未评级
    assert levels(response) == {"C2": "yellow", "C1": "red", "C3": "red", "C4": None}
