"""How fast the staff dashboard (工作台, the page everyone lands on) stays at a large utility's size.

On bench/datagen.py's data (default 1,000,000 customers, about 500,000 of them with a signed pledge,
two month-end runs, 10,000 repair requests, a year of platform batches; database `sz_bench_data`),
times /dashboard/ and /pledges/coverage/ through Django's test client for a supervisor of both
companies and a clerk of the city company, against floors measured in the same run on the same
middleware (bench/bare.py): a bare signed-in view (two bytes, no template) — the goal's floor
(≤ 3×) — and the site's empty layout. Also the live count the stored coverage replaced
(`pledges.coverage.live_counts`, what every view cost before).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dashboard_bench.py [--customers N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report, setup_django, timed  # noqa: E402
from bench.datagen import DEFAULT_DB, generate  # noqa: E402

STAGES = ("customers", "pledges", "runs", "repairs", "batches")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    setup_django(args.db, test_client=True)
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from customers.models import Company
    from pledges import coverage

    generate(args.customers, only=STAGES)
    coverage.fold()
    companies = list(Company.objects.order_by("id"))
    supervisor, _ = User.objects.get_or_create(username="bench_supervisor", defaults={"first_name": "主管"})
    supervisor.groups.set(Group.objects.filter(name="supervisor"))
    clerk, _ = User.objects.get_or_create(username="bench_clerk_city", defaults={"first_name": "客服"})
    clerk.groups.set(Group.objects.filter(name="clerk"))
    for company in companies:
        company.members.add(supervisor)
    Company.objects.get(code="city").members.add(clerk)

    counts = coverage.coverage_counts(companies)
    print("\ncoverage: " + "; ".join(f"{c.code} {counts[c.pk][1]:,} of {counts[c.pk][0]:,}" for c in companies))
    live_ms = timed(lambda: coverage.live_counts(companies), 3)
    stored_ms = timed(lambda: coverage.coverage_counts(companies), args.repeat)
    print(f"coverage of both companies: stored {stored_ms:.2f} ms, counted live {live_ms:.0f} ms (before)")

    print(
        f"\n{'who':18} {'page':20} {'bare ms':>8} {'layout ms':>9} {'page ms':>8} {'× bare':>7} {'× layout':>8} {'queries':>8}"
    )
    with override_settings(ROOT_URLCONF="bench.bare"):
        for user in (supervisor, clerk):
            client = Client()
            client.force_login(user)
            bare_ms = timed(lambda c=client: c.get("/bench/bare/"), args.repeat)
            layout_ms = timed(lambda c=client: c.get("/bench/layout/"), args.repeat)
            for url in ("/dashboard/", "/pledges/coverage/"):
                executed: list[str] = []

                def count(execute, sql, params, many, context, executed=executed):
                    executed.append(sql)
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(count):
                    status = client.get(url).status_code
                assert status == 200, (url, status)
                ms = timed(lambda c=client, u=url: c.get(u), args.repeat)
                print(
                    f"{user.username:18} {url:20} {bare_ms:8.1f} {layout_ms:9.1f} {ms:8.1f} {ms / bare_ms:7.2f} "
                    f"{ms / layout_ms:8.2f} {len(executed):8d}"
                )
                if url == "/dashboard/":
                    report(f"dashboard ({user.username}) vs a bare view, test client", bare_ms, ms, 3)


if __name__ == "__main__":
    main()
