"""How fast the supervisors' repair queue and the request page stay at a large utility's size.

Loads N customers (default 1,000,000) and R repair/objection requests (default 100,000: 95 %
decided over the years, 5 % open, a tenth of those overdue) into a PostgreSQL database of its own,
then times the pages a supervisor uses through Django's test client, against a floor measured in
the same run: the bare indexed query for the queue's first page of open requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/repair_bench.py [--customers N] [--requests R]

The database `sz_repairbench` is created (or reused when it already holds N customers and R requests).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django, timed  # noqa: E402

BENCH_DB = "sz_repairbench"


def load(n: int, r: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM customers_customer), (SELECT count(*) FROM repair_repairrequest)")
        if cur.fetchone() == (n, r):
            print(f"reusing {n:,} customers and {r:,} requests already loaded")
            return
        print(f"loading {n:,} customers, {n:,} events and {r:,} requests …", flush=True)
        t = time.perf_counter()
        cur.execute(
            "TRUNCATE repair_repairrequest_editors, repair_repairrequest_events, repair_repairrequest_bills, "
            "repair_evidence, repair_restrictionrelease, repair_repairrequest, repair_numbercounter, "
            "customers_bill, customers_event, customers_auditentry, customers_customer CASCADE"
        )
        cur.execute(
            """
            INSERT INTO customers_customer
              (account_no, name, uscc, kind, company_id, opened_on, payment_mode,
               legal_representative, phone, address, created_at, updated_at)
            SELECT 'A' || lpad(i::text, 9, '0'), '随州测试' || i::text || '号有限公司',
                   '91421300' || lpad(i::text, 10, '0'), 'enterprise',
                   (SELECT id FROM customers_company WHERE code = CASE WHEN i %% 5 < 3 THEN 'city' ELSE 'county' END),
                   DATE '2010-01-01' + (i %% 5000), 'postpaid', '', '', '', now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [n],
        )
        cur.execute(
            """
            INSERT INTO customers_event (ref, customer_id, type, occurred_on, force_majeure, severity, note, void_reason, created_at)
            SELECT 'EV' || c.id, c.id, 'contract_violation', DATE '2026-01-01' + (c.id % 300)::int, false, '', '', '', now()
            FROM customers_customer c
            """
        )
        cur.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined) VALUES ('!', false, 'bench_lodger', '', '', '', false, true, now()) "
            "ON CONFLICT (username) DO NOTHING"
        )
        # request i concerns customer (i * 7) mod n: spread over both companies; open ones are the last 5 %
        cur.execute(
            """
            INSERT INTO repair_repairrequest
              (number, kind, customer_id, company_id, reason, status, submitted_at, submitted_by_id, accept_by,
               accepted_at, accepted_by_id, decide_by, extension_reason, decided_at, decided_by_id,
               decision_reason, level_before, level_after, queued_for_report, reported_batch)
            SELECT (CASE WHEN i %% 3 = 0 THEN 'YY-' ELSE 'XF-' END)
                   || (SELECT upper(code) FROM customers_company WHERE id = c.company_id) || '-'
                   || to_char(CURRENT_DATE - (i / 50), 'YYYYMMDD') || '-' || lpad((i %% 50 + 1)::text, 4, '0'),
                   CASE WHEN i %% 3 = 0 THEN 'objection' ELSE 'repair' END,
                   c.id, c.company_id, '已整改', s.status,
                   now() - ((%(r)s - i) || ' minutes')::interval, u.id,
                   CASE WHEN i %% 200 = 0 THEN CURRENT_DATE - 2 ELSE CURRENT_DATE + (i %% 5) END,
                   NULL, NULL,
                   CASE WHEN s.status = 'accepted' THEN CURRENT_DATE + (i %% 9) ELSE NULL END,
                   '', CASE WHEN s.status IN ('submitted', 'accepted') THEN NULL ELSE now() END,
                   CASE WHEN s.status IN ('submitted', 'accepted') THEN NULL ELSE u.id END,
                   '', '', '', false, ''
            FROM generate_series(1, %(r)s) AS i
            JOIN customers_customer c ON c.id = (SELECT min(id) FROM customers_customer) + ((i::bigint * 7) %% %(n)s)
            CROSS JOIN (SELECT id FROM auth_user WHERE username = 'bench_lodger') u
            CROSS JOIN LATERAL (SELECT CASE
                WHEN i > %(r)s * 0.95 THEN (CASE WHEN i %% 2 = 0 THEN 'submitted' ELSE 'accepted' END)
                WHEN i %% 3 = 0 THEN 'dismissed' ELSE 'approved' END AS status) s
            """,
            {"r": r, "n": n},
        )
        cur.execute(
            """
            INSERT INTO repair_repairrequest_events (repairrequest_id, event_id)
            SELECT rr.id, e.id FROM repair_repairrequest rr JOIN customers_event e ON e.customer_id = rr.customer_id
            """
        )
        cur.execute("ANALYZE")
        print(f"loaded in {time.perf_counter() - t:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()

    setup_django(BENCH_DB, test_client=True)
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from customers.models import Company
    from repair.models import RepairRequest

    load(args.customers, args.requests)
    supervisor, _ = User.objects.get_or_create(username="bench_supervisor")
    supervisor.groups.set(Group.objects.filter(name="supervisor"))
    for company in Company.objects.all():
        company.members.add(supervisor)
    client = Client()
    client.force_login(supervisor)

    def floor():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, number FROM repair_repairrequest WHERE status IN ('submitted', 'accepted') "
                "ORDER BY CASE WHEN status = 'submitted' THEN accept_by ELSE decide_by END, submitted_at LIMIT 50"
            )
            cur.fetchall()

    floor_ms = timed(floor)
    print(f"\nfloor: the queue's first 50 open requests, bare SQL: {floor_ms:.1f} ms\n")
    open_req = RepairRequest.objects.filter(status="accepted").order_by("-id").first()
    city = Company.objects.get(code="city")
    pages = [
        ("queue, open, first page", "/repair/"),
        ("queue, city + repair", f"/repair/?company={city.pk}&kind=repair"),
        ("queue, overdue", "/repair/?state=overdue"),
        ("queue, decided, page 100", "/repair/?state=decided&page=100"),
        ("queue, search by number", f"/repair/?state=all&q={open_req.number}"),
        ("request page", f"/repair/{open_req.number}/"),
        ("credit file with its requests", f"/customers/file/{open_req.customer.account_no}/"),
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
