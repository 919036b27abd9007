"""How fast the clerk's customer list and credit file stay at a large utility's size.

Loads N customers (default 1,000,000) with a few bills each into a PostgreSQL database
of its own, then times the pages a clerk uses most through Django's test client, each
against a floor measured in the same run: the bare indexed query that fetches one page
of 50 customers (`SELECT … ORDER BY account_no LIMIT 50`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/list_bench.py [--customers N]

The database named `sz_listbench` is created (or reused when it already holds N customers).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django, timed  # noqa: E402

BENCH_DB = "sz_listbench"


def load(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM customers_customer), (SELECT count(*) FROM customers_bill)")
        have = cur.fetchone()
        if have == (n, 3 * n):
            print(f"reusing {n:,} customers already loaded")
            return
        print(f"loading {n:,} customers and {3 * n:,} bills …", flush=True)
        t = time.perf_counter()
        cur.execute("TRUNCATE customers_bill, customers_event, customers_auditentry, customers_customer CASCADE")
        cur.execute(
            """
            INSERT INTO customers_customer
              (account_no, name, uscc, kind, company_id, opened_on, payment_mode,
               legal_representative, phone, address, created_at, updated_at)
            SELECT 'A' || lpad(i::text, 9, '0'),
                   (ARRAY['随州市曾都区','随县厉山镇','广水市','随州市高新区','随县洪山镇'])[1 + i %% 5]
                     || (ARRAY['鑫源','恒达','福田','华茂','金桥','长兴','瑞丰','永安','宏图','德润'])[1 + (i / 7) %% 10]
                     || (ARRAY['餐饮','食品','酒店','建材','汽修','印务','纺织','物流'])[1 + (i / 70) %% 8]
                     || i::text || '号有限公司',
                   '91421300' || lpad(i::text, 10, '0'),
                   'enterprise',
                   (SELECT id FROM customers_company WHERE code = CASE WHEN i %% 5 < 3 THEN 'city' ELSE 'county' END),
                   DATE '2010-01-01' + (i %% 5000),
                   CASE WHEN i %% 5 < 2 THEN 'prepaid' ELSE 'postpaid' END,
                   '', '', '', now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [n],
        )
        cur.execute(
            """
            INSERT INTO customers_bill (customer_id, period, amount, due_on, paid_on)
            SELECT c.id, to_char(DATE '2026-08-01' + (m || ' month')::interval, 'YYYY-MM'), 100.00,
                   (DATE '2026-08-25' + (m || ' month')::interval)::date,
                   CASE WHEN c.id % 20 = 0 THEN NULL ELSE (DATE '2026-08-20' + (m || ' month')::interval)::date END
            FROM customers_customer c CROSS JOIN generate_series(0, 2) AS m
            """
        )
        cur.execute("ANALYZE")
        print(f"loaded in {time.perf_counter() - t:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()

    setup_django(BENCH_DB, test_client=True)
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from customers.models import Company

    load(args.customers)
    clerk, _ = User.objects.get_or_create(username="bench_clerk")
    clerk.groups.set(Group.objects.filter(name="clerk"))
    Company.objects.get(code="city").members.add(clerk)
    client = Client()
    client.force_login(clerk)

    def floor():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT c.id, c.account_no, c.name, c.uscc FROM customers_customer c "
                "JOIN customers_company co ON co.id = c.company_id WHERE co.code = 'city' "
                "ORDER BY c.account_no LIMIT 50"
            )
            cur.fetchall()

    floor_ms = timed(floor)
    print(f"\nfloor: one page of 50 customers, bare SQL: {floor_ms:.1f} ms\n")
    sample = "A000123456"
    pages = [
        ("list, first page", "/customers/"),
        ("list, page 5000", "/customers/?page=5000"),
        ("search account no prefix", "/customers/?q=A00012345"),
        ("search name fragment", "/customers/?q=恒达酒店"),
        ("search USCC prefix", "/customers/?q=914213000000123"),
        ("filter overdue", "/customers/?overdue=true"),
        ("filter payment mode", "/customers/?payment_mode=prepaid"),
        ("credit file", f"/customers/file/{sample}/"),
        ("change history", f"/customers/file/{sample}/history/"),
    ]
    print(f"{'page':32} {'median ms':>10} {'× floor':>8} {'queries':>8} status")
    for label, url in pages:
        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            status = client.get(url).status_code
        ms = timed(lambda u=url: client.get(u))
        print(f"{label:32} {ms:10.1f} {ms / floor_ms:8.1f} {len(executed):8d} {status}")


if __name__ == "__main__":
    main()
