"""How the customer list's 导出 Excel / 导出 CSV and its sort by level behave at a million customers.

Loads N customers (default 1,000,000) with bills (bench/list_bench.py's data) and a succeeded
rating run with a result for 99.5% of them (80% green, 12% blue, 6% yellow, 2% red) and 1,000
level overrides in force, into a PostgreSQL database of its own. Then:

- exports: each in a fresh child process, so that its peak RSS is its own: time to the first
  byte, total time, bytes, and peak RSS (ru_maxrss) above the process's RSS before the request.
  The floor is a bare `COPY (SELECT …) TO STDOUT` of the same columns and rows (the same joins,
  in account order) read by psycopg and thrown away. `xlsx (temp file)` is the way the list's
  workbook was made before (XlsxWriter constant_memory into a temporary file, then sent), kept
  here to compare; `xlsx` and `csv` are the list's own downloads through Django's test client.
- sort by level: the list page (`/customers/?sort=current_level`, both directions, and with the
  level filter) against the page sorted by account number.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/export_bench.py \\
        [--customers N] [--db NAME] [--skip-exports] [--skip-sort]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django, timed  # noqa: E402

AS_OF = "2026-11-30"
URL = "/customers/"


def load_run(n: int) -> None:
    """A succeeded run as of AS_OF with results for 99.5% of the customers, and 1,000 overrides."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM ratings_ratingrun WHERE as_of = %s AND status = 'succeeded'", [AS_OF])
        row = cur.fetchone()
        if row:
            cur.execute("SELECT count(*) FROM ratings_ratingresult WHERE run_id = %s", [row[0]])
            if cur.fetchone()[0] == n - n // 200:
                print("reusing the rating run already loaded")
                return
        print("loading a rating run …", flush=True)
        t = time.perf_counter()
        cur.execute("TRUNCATE ratings_ratingresult, ratings_leveloverride, ratings_runlevelcount, ratings_runmove")
        cur.execute("DELETE FROM ratings_ratingrun")
        from ratings.models import RatingRun

        run_id = RatingRun.objects.create(
            as_of=AS_OF, status="succeeded", total=n, done=n, chunks_total=1, chunks_done=1, attempt=1
        ).pk
        cur.execute(
            """
            INSERT INTO ratings_ratingresult (run_id, customer_id, level, criteria)
            SELECT %s, c.id,
                   CASE WHEN c.id %% 100 < 2 THEN 'red' WHEN c.id %% 100 < 8 THEN 'yellow'
                        WHEN c.id %% 100 < 20 THEN 'blue' ELSE 'green' END,
                   CASE WHEN c.id %% 100 < 2 THEN 'R2' ELSE '' END
            FROM customers_customer c WHERE c.id %% 200 <> 7
            """,
            [run_id],
        )
        cur.execute(
            """
            INSERT INTO ratings_leveloverride
              (customer_id, level, reason, starts_on, ends_on, created_at, created_by_id, revoke_reason)
            SELECT c.id, 'red', '核实', DATE '2026-11-01', NULL, now(), %s, ''
            FROM customers_customer c WHERE c.id %% 1000 = 500
            """,
            [_user().pk],
        )
        cur.execute("ANALYZE")
        print(f"loaded in {time.perf_counter() - t:.1f} s")


def _user():
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="bench_admin", defaults={"is_superuser": True, "is_staff": True})
    return user


def _client():
    from django.test import Client

    client = Client()
    client.force_login(_user())
    return client


FLOOR_SQL = """
COPY (
  SELECT c.account_no, c.name, c.uscc, c.kind, co.name, c.payment_mode, r.level,
         (SELECT sum(b.amount) FROM customers_bill b WHERE b.customer_id = c.id AND b.due_on < CURRENT_DATE
            AND (b.paid_on IS NULL OR b.paid_on > CURRENT_DATE)),
         c.opened_on
  FROM customers_customer c JOIN customers_company co ON co.id = c.company_id
  LEFT JOIN ratings_ratingresult r ON r.customer_id = c.id
       AND r.run_id = (SELECT id FROM ratings_ratingrun WHERE status = 'succeeded' ORDER BY as_of DESC LIMIT 1)
  ORDER BY c.account_no
) TO STDOUT (FORMAT csv)
"""


def _chunks(case: str):
    """The bytes of one export, chunk by chunk."""
    if case == "copy":
        from django.db import connection

        connection.ensure_connection()
        with connection.connection.cursor() as cur, cur.copy(FLOOR_SQL) as copy:
            yield from copy
        return
    if case == "xlsx (temp file)":
        import tempfile

        from customers.exports import CHUNK_SIZE, _text_rows
        from customers.models import Customer
        from customers.tables import export_columns, export_rows, with_list_columns
        from ratings.views.scope import latest_succeeded_run
        from reporting.exporters import write_xlsx

        queryset = with_list_columns(
            Customer.objects.for_user(_user()).select_related("company").order_by("account_no"), latest_succeeded_run()
        )
        with tempfile.TemporaryFile() as out:
            write_xlsx(out, [("信用档案", export_columns(), _text_rows(export_rows(queryset, CHUNK_SIZE)))])
            out.seek(0)
            while chunk := out.read(64 * 1024):
                yield chunk
        return
    response = _client().get(URL, {"export": case})
    assert response.status_code == 200, response.status_code
    yield from response.streaming_content
    response.close()


def child(case: str) -> None:
    """Run one export in this process and print its figures as JSON."""
    setup_django(os.environ["BENCH_DB"], test_client=True)
    _client()  # the session and the user exist before the baseline is read
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    first = None
    size = 0
    for chunk in _chunks(case):
        if first is None and chunk:
            first = time.perf_counter() - started
        size += len(chunk)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"case": case, "ttfb": first, "total": total, "bytes": size, "rss_mb": (peak - before) / 1024}))


def run_exports(db: str) -> None:
    print(
        f"\n{'export (1 process each)':24} {'first byte s':>12} {'total s':>8} {'× floor':>8} {'MB':>8} {'peak RSS +MB':>13}"
    )
    floor = None
    for case in ("copy", "csv", "xlsx", "xlsx (temp file)"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", case],
            env={**os.environ, "BENCH_DB": db},
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            print(out.stdout, out.stderr)
            continue
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        floor = floor or figures["total"]
        label = "floor: bare COPY" if case == "copy" else case
        print(
            f"{label:24} {figures['ttfb']:12.3f} {figures['total']:8.1f} {figures['total'] / floor:8.1f}"
            f" {figures['bytes'] / 1e6:8.1f} {figures['rss_mb']:13.1f}",
            flush=True,
        )


def run_sort() -> None:
    from django.db import connection

    client = _client()

    def floor():
        with connection.cursor() as cur:
            cur.execute("SELECT id, account_no, name FROM customers_customer ORDER BY account_no LIMIT 51")
            cur.fetchall()

    floor_ms = timed(floor)
    print(f"\nfloor: one page of customers in account order, bare SQL: {floor_ms:.1f} ms")
    pages = [
        ("by account no (default)", URL),
        ("by level, ascending", URL + "?sort=current_level"),
        ("by level, descending", URL + "?sort=-current_level"),
        ("by level, page 100", URL + "?sort=current_level&page=100"),
        ("by level desc, page 100", URL + "?sort=-current_level&page=100"),
        ("red only, by level", URL + "?level=red&sort=current_level"),
    ]
    print(f"{'list page':28} {'median ms':>10} {'× floor':>8} status")
    for label, url in pages:
        status = client.get(url).status_code
        ms = timed(lambda u=url: client.get(u), repeat=5)
        print(f"{label:28} {ms:10.1f} {ms / floor_ms:8.1f} {status}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", default="sz_exportbench")
    parser.add_argument("--child")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-sort", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    setup_django(args.db, test_client=True)
    from bench.list_bench import load

    load(args.customers)
    load_run(args.customers)
    if not args.skip_exports:
        run_exports(args.db)
    if not args.skip_sort:
        run_sort()


if __name__ == "__main__":
    main()
