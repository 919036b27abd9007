"""Two-character name search against the indexed four-character one, on the generated register.

Uses bench/datagen.py's customers (default 1,000,000, database `sz_bench_data`) and times, through
Django's test client as a clerk of both companies, the customer list searched by two characters of a
trade name (`?q=安泰`, the bigram index) against four (`?q=安泰建材`, the trigram index) — the floor
of the goal "no slower than the indexed four-character search (≤ 1.2×)" — and the SQL of each page
alone (the page's rows and its capped count), with how many customers match.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/search_bench.py [--customers N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report, setup_django, timed  # noqa: E402
from bench.datagen import DEFAULT_DB, generate  # noqa: E402

SEARCHES = [("two characters", "安泰"), ("four characters", "安泰建材"), ("two, a common pair", "恒达")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    setup_django(args.db, test_client=True)
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from customers.filters import search_q
    from customers.models import Company, Customer

    generate(args.customers, only=("customers",))
    clerk, _ = User.objects.get_or_create(username="bench_search_clerk")
    clerk.groups.set(Group.objects.filter(name="clerk"))
    for company in Company.objects.all():
        company.members.add(clerk)
    client = Client()
    client.force_login(clerk)

    def sql_of(q: str):
        page = Customer.objects.filter(search_q(q)).order_by("account_no")[:51].query.sql_with_params()
        capped = Customer.objects.filter(search_q(q)).order_by()[:1001].query.sql_with_params()
        return page, (f"SELECT count(*) FROM ({capped[0]}) t", capped[1])

    def run_sql(statements) -> None:
        with connection.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
                cur.fetchall()

    print(f"\n{'search':22} {'q':8} {'matches':>8} {'SQL ms':>8} {'page ms':>8} {'× 4 chars':>10}")
    results = []
    for label, q in SEARCHES:
        matches = Customer.objects.filter(search_q(q)).count()
        statements = sql_of(q)
        assert client.get("/customers/", {"q": q}).status_code == 200
        results.append(
            (
                label,
                q,
                matches,
                timed(lambda s=statements: run_sql(s), args.repeat),
                timed(lambda q=q: client.get("/customers/", {"q": q}), args.repeat),
            )
        )
    floor_page = results[1][4]
    for label, q, matches, sql_ms, page_ms in results:
        print(f"{label:22} {q:8} {matches:8,} {sql_ms:8.2f} {page_ms:8.1f} {page_ms / floor_page:10.2f}")
    report(
        f"customer search ?q=安泰 vs ?q=安泰建材, {args.customers:,} customers, alone", floor_page, results[0][4], 1.2
    )


if __name__ == "__main__":
    main()
