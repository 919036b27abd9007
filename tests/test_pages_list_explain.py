"""On PostgreSQL, the list's search conditions have index-compatible shapes.

The tables in a test are tiny, so the planner would pick a sequential scan anyway; with
`enable_seqscan = off` a condition that *can* use an index shows it in the plan, and one
that cannot (such as Django's `UPPER(name) LIKE UPPER(...)` for icontains) still scans.
Figures on a million customers are in the report of the pages work (bench numbers).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from customers.filters import overdue_exists, search_q
from customers.models import Customer
from tests import factories

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans only")


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the OR of conditions must then be a BitmapOr
        cursor.execute("SET LOCAL enable_indexscan = off")  # not a walk along the primary/ordering index
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def some_customers(db):
    for _ in range(5):
        factories.customer("city")


@pytest.mark.parametrize(
    ("q", "index"),
    [
        ("T00001", "customer_account_pattern"),
        ("91421300", "customer_uscc_pattern"),
        ("示范餐饮", "customer_name_trgm"),
        ("示范", "customer_name_bigrams"),  # two characters: no trigram, the bigram expression index
        ("ST", "customer_name_bigrams"),
    ],
)
def test_search_uses_the_indexes(some_customers, q, index):
    text = plan(Customer.objects.filter(search_q(q)).order_by())
    assert index in text, text
    assert "Seq Scan on customers_customer" not in text, text


def test_name_search_is_ilike_not_upper_like(some_customers):
    sql = str(Customer.objects.filter(search_q("示范餐")).query)
    assert "ILIKE" in sql and "UPPER(" not in sql


def test_chinese_search_is_one_index_condition(some_customers):
    # No account number or USCC begins with Chinese: the name alone, so no OR for PostgreSQL to recheck
    # row by row (which would call customers_bigrams for every match).
    text = plan(Customer.objects.filter(search_q("示范")).order_by())
    assert "BitmapOr" not in text and "Filter:" not in text, text


def test_overdue_filter_is_a_semi_join_not_a_join(some_customers):
    qs = Customer.objects.filter(overdue_exists(timezone.localdate()))
    sql = str(qs.query)
    assert "EXISTS" in sql and " JOIN " not in sql
