"""How fast the staff dashboard (工作台, the page everyone lands on) stays at a large utility's size.

Uses the repair benchmark's database `sz_repairbench` (1,000,000 customers, 100,000 repair and
objection requests, 5 % open; loaded by `bench/repair_bench.py`'s loader when absent or of another
size) and times /dashboard/ through Django's test client for a supervisor of both companies and a
clerk of the city company, against a floor measured in the same run: the bare coverage aggregate of
the same companies (rateable customers and those with a signed pledge), the one part of the page that
reads the customers table, exactly as the coverage page /pledges/coverage/ does. Everything else the
page shows comes from indexed counts (open requests, queued decisions) or stored ones (the run's
RunLevelCount rows).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dashboard_bench.py [--customers N] [--requests R]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django, timed  # noqa: E402
from bench.repair_bench import BENCH_DB, load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()

    setup_django(BENCH_DB, test_client=True)
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from customers.models import Company
    from pledges.views.coverage import coverage_rows

    load(args.customers, args.requests)
    companies = list(Company.objects.order_by("id"))
    supervisor, _ = User.objects.get_or_create(username="bench_supervisor")
    supervisor.groups.set(Group.objects.filter(name="supervisor"))
    clerk, _ = User.objects.get_or_create(username="bench_clerk_city")
    clerk.groups.set(Group.objects.filter(name="clerk"))
    for company in companies:
        company.members.add(supervisor)
    Company.objects.get(code="city").members.add(clerk)

    print(f"\ntoday {timezone.localdate()}; customers per company:", end=" ")
    with connection.cursor() as cur:
        cur.execute("SELECT company_id, count(*) FROM customers_customer GROUP BY 1 ORDER BY 1")
        print(", ".join(f"{c.code} {n:,}" for c, (_, n) in zip(companies, cur.fetchall(), strict=False)))

    print(f"\n{'who':30} {'floor ms':>9} {'page ms':>9} {'× floor':>8} {'queries':>8} status")
    for user, scope in ((supervisor, companies), (clerk, [c for c in companies if c.code == "city"])):
        floor_ms = timed(lambda s=scope: coverage_rows(s))
        client = Client()
        client.force_login(user)
        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            status = client.get("/dashboard/").status_code
        ms = timed(lambda c=client: c.get("/dashboard/"))
        label = f"{user.username} ({len(scope)} compan{'ies' if len(scope) > 1 else 'y'})"
        print(f"{label:30} {floor_ms:9.1f} {ms:9.1f} {ms / floor_ms:8.2f} {len(executed):8d} {status}")


if __name__ == "__main__":
    main()
