"""How fast `import_records bills` is against the floor of a plain PostgreSQL COPY.

Creates (or reuses) the database `sz_bench` next to DATABASE_URL's, migrates it, loads N
customers (default 100,000) directly, writes a bills CSV of M rows (default 1,000,000;
M/N periods per customer) to a temporary folder, then times:

  (a) the floor: `COPY` of the same CSV into a fresh unlogged table with the same columns;
  (b) `manage.py import_records bills FILE` (first import: every bill created);
  (c) the same command again (every bill unchanged, nothing written).

The imports run as child processes, so their peak RSS is the children's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_bench.py [--customers N] [--bills M]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import bench_url, ensure_database, report  # noqa: E402

BENCH_DB = "sz_bench"


def migrate_and_reset(url: str, customers: int) -> None:
    """Migrate, empty the credit tables, and insert `customers` customers with SQL."""
    import psycopg

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env={**os.environ, "DATABASE_URL": url}
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE customers_auditentry, customers_event, customers_bill, customers_customer CASCADE")
        conn.execute(
            """
            INSERT INTO customers_customer
              (account_no, name, uscc, kind, company_id, opened_on, payment_mode,
               legal_representative, phone, address, created_at, updated_at)
            SELECT 'B' || lpad(i::text, 8, '0'), '随州测试' || i || '号有限公司',
                   '91421300' || lpad(i::text, 10, '0'), 'enterprise',
                   (SELECT id FROM customers_company WHERE code = CASE WHEN i %% 3 = 0 THEN 'county' ELSE 'city' END),
                   DATE '2015-01-01', 'prepaid', '', '', '', now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [customers],
        )
        conn.execute("VACUUM ANALYZE customers_customer")


def write_bills(path: Path, customers: int, bills: int) -> None:
    """`bills` rows: each customer gets consecutive monthly bills from 2020-01."""
    per_customer = max(1, bills // customers)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["account_no", "period", "amount", "due_on", "paid_on"])
        n = 0
        for i in range(1, customers + 1):
            account = f"B{i:08d}"
            for k in range(per_customer):
                if n >= bills:
                    return
                year, month = 2020 + k // 12, k % 12 + 1
                paid = f"{year}-{month:02d}-20" if (i + k) % 4 else ""
                w.writerow(
                    [
                        account,
                        f"{year}-{month:02d}",
                        f"{(i * 7 + k * 13) % 5000}.{k % 100:02d}",
                        f"{year}-{month:02d}-25",
                        paid,
                    ]
                )
                n += 1


def time_floor(url: str, path: Path) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_floor")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_copy_floor (account_no varchar(32), period varchar(7),"
            " amount numeric(14,2), due_on date, paid_on date)"
        )
        start = time.perf_counter()
        sql = "COPY bench_copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cur, path.open("rb") as f, cur.copy(sql) as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - start
        conn.execute("DROP TABLE bench_copy_floor")
    return seconds


def time_import(url: str, path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "import_records", "bills", str(path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "INFO"},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"import failed ({done.returncode}):\n{done.stderr[-3000:]}")
    phases = [line.removeprefix("import ") for line in done.stderr.splitlines() if line.startswith("import ")]
    return seconds, done.stdout.strip() + ("; " + ", ".join(phases) if phases else "")


def peak_children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--bills", type=int, default=1_000_000)
    parser.add_argument("--database", default=BENCH_DB, help=f"benchmark database (default {BENCH_DB})")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point to PostgreSQL")
    url = bench_url(base, args.database)
    ensure_database(base, args.database)
    print(f"preparing {args.database}: {args.customers:,} customers …", flush=True)
    migrate_and_reset(url, args.customers)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bills.csv"
        write_bills(path, args.customers, args.bills)
        size_mb = path.stat().st_size / 1e6
        rows = args.bills
        print(f"bills CSV: {rows:,} rows, {size_mb:.1f} MB", flush=True)
        floor = time_floor(url, path)
        print(f"(a) floor, plain COPY:        {floor:7.1f} s  {rows / floor:10,.0f} rows/s", flush=True)
        first, out = time_import(url, path)
        print(
            f"(b) import_records, created:  {first:7.1f} s  {rows / first:10,.0f} rows/s"
            f"  x{first / floor:.1f} floor  peak RSS {peak_children_rss_mb():.0f} MB  [{out}]",
            flush=True,
        )
        report(
            f"import_records bills, {rows:,} rows, vs COPY", floor, first, 4, unit="s", peak_mb=peak_children_rss_mb()
        )
        second, out = time_import(url, path)
        print(
            f"(c) import_records, again:    {second:7.1f} s  {rows / second:10,.0f} rows/s"
            f"  x{second / floor:.1f} floor  peak RSS {peak_children_rss_mb():.0f} MB  [{out}]",
            flush=True,
        )
        report(
            "the same file again (nothing changes) vs COPY", floor, second, 3, unit="s", peak_mb=peak_children_rss_mb()
        )
    print(f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
