"""How fast the monthly Annex 4 run rates a large utility, against a floor measured in the same run.

Loads N customers (default 1,000,000) with 12 bills each and 2 events each on average into
a PostgreSQL database of its own (INSERT … SELECT generate_series, deterministic), then times

(a) the floor: one plain SQL statement that aggregates the same facts for every customer
    (the facts query of `ratings.facts` over all ids) into a fresh table
    (`CREATE TABLE … AS SELECT …`), and
(b) the full monthly run through the product's code: `ratings.runs.run_rating` in this
    process (claim, plan, every chunk one after the other, finish: what `run_rating` the
    command does), and, when REDIS_URL is set, (c) the same run as the monthly task does it:
    its chunks as a Celery chord taken by real worker processes (`celery worker -c 2`),

and prints the times, their ratio to the floor, the peak memory (ru_maxrss of this process;
for (c) also of the workers) and the load average (the machine is shared). (b) starts with no
earlier run, so it has no movers to compute; (b') then rates the following month end, whose
finish computes its movers against (b) — what a monthly run normally does.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres [REDIS_URL=redis://127.0.0.1:6379/5] \
        .venv/bin/python bench/rating_bench.py [--customers N] [--workers 2]

Give (c) a Redis database of its own: its workers take every task queued there.
The database named `sz_ratebench` is created (or reused when it already holds N customers).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report, setup_django  # noqa: E402

BENCH_DB = "sz_ratebench"
AS_OF = datetime.date(2026, 11, 30)
NEXT_AS_OF = datetime.date(2026, 12, 31)
EVENT_TYPES = [
    "late_payment",
    "contract_violation",
    "water_theft",
    "dishonesty_general",
    "dishonesty_serious",
    "pipe_outage",
    "facility_damage",
    "usage_misrepresentation",
    "safety_hazard_unrectified",
    "meter_fault_refused",
    "protection_zone_violation",
    "agreement_refusal",
    "order_disruption",
]


def load(n: int) -> None:
    """N customers, 12 monthly bills each (about 8 % paid late, 3 % unpaid), 2N events of random types."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM customers_customer), (SELECT count(*) FROM customers_event)")
        if cur.fetchone() == (n, 2 * n):
            print(f"reusing {n:,} customers already loaded")
            return
        print(f"loading {n:,} customers, {12 * n:,} bills, {2 * n:,} events …", flush=True)
        t = time.perf_counter()
        cur.execute(
            "TRUNCATE ratings_ratingresult, ratings_ratingrun, customers_bill, customers_event, "
            "customers_auditentry, customers_customer RESTART IDENTITY CASCADE"
        )
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            INSERT INTO customers_customer
              (account_no, name, uscc, kind, company_id, opened_on, payment_mode,
               legal_representative, phone, address, created_at, updated_at)
            SELECT 'A' || lpad(i::text, 9, '0'), '随州测试' || i::text || '号有限公司',
                   '91421300' || lpad(i::text, 10, '0'), 'enterprise',
                   (SELECT id FROM customers_company WHERE code = CASE WHEN i %% 5 < 3 THEN 'city' ELSE 'county' END),
                   DATE '2010-01-01' + (i %% 6200),
                   CASE WHEN i %% 5 < 2 THEN 'prepaid' ELSE 'postpaid' END,
                   '', '', '', now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [n],
        )
        cur.execute(
            """
            INSERT INTO customers_bill (customer_id, period, amount, due_on, paid_on)
            SELECT c.id, to_char(DATE '2025-12-01' + (m || ' month')::interval, 'YYYY-MM'), 100.00,
                   (DATE '2026-01-25' + (m || ' month')::interval)::date,
                   CASE WHEN r < 0.03 THEN NULL
                        WHEN r < 0.11 THEN (DATE '2026-01-25' + (m || ' month')::interval)::date + (1 + (r * 1000)::int % 90)
                        ELSE (DATE '2026-01-20' + (m || ' month')::interval)::date END
            FROM customers_customer c CROSS JOIN generate_series(0, 11) AS m CROSS JOIN LATERAL (SELECT random() + c.id * 0 AS r) x
            """
        )
        cur.execute(
            """
            INSERT INTO customers_event (ref, customer_id, type, occurred_on, amount, pipe_diameter_mm,
                                         force_majeure, severity, note, created_at, voided_at, void_reason)
            SELECT 'EV' || i::text, cid, t,
                   DATE '2026-11-30' - (r2 * 1500)::int,
                   CASE WHEN t = 'water_theft' THEN round((500 + r2 * 15000)::numeric, 2) END,
                   CASE WHEN t = 'pipe_outage' THEN 15 + (r2 * 300)::int END,
                   t = 'pipe_outage' AND r2 < 0.1,
                   CASE WHEN t = 'facility_damage' THEN CASE WHEN r2 < 0.5 THEN 'minor' ELSE 'serious' END ELSE '' END,
                   '', now(), CASE WHEN r2 > 0.95 THEN now() END, ''
            FROM (
              SELECT i, 1 + (random() * (%s - 1))::int AS cid, (%s::text[])[1 + (random() * 12)::int] AS t,
                     random() AS r2
              FROM generate_series(1, %s) AS i
            ) e
            JOIN customers_customer c ON c.id = e.cid
            """,
            [n, EVENT_TYPES, 2 * n],
        )
        cur.execute("VACUUM ANALYZE")
        print(f"loaded in {time.perf_counter() - t:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes for (c)")
    parser.add_argument(
        "--no-next-month",
        dest="next_month",
        action="store_false",
        help="skip (b'): the following month's run, which also computes its movers against (b)",
    )
    args = parser.parse_args()

    setup_django(BENCH_DB)
    from django.db import connection

    from ratings.facts import facts_query
    from ratings.models import RatingRun, RunMove
    from ratings.runs import LAST_ID, chunk_size, level_counts, run_rating

    load(args.customers)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_bill")
        bills = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM customers_event")
        events = cur.fetchone()[0]
    print(f"data: {args.customers:,} customers, {bills:,} bills, {events:,} events; as of {AS_OF}")

    sql, params = facts_query(AS_OF, 0, LAST_ID, ordered=False)

    def fresh() -> None:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE ratings_ratingresult, ratings_runlevelcount, ratings_runmove")
            cur.execute("DELETE FROM ratings_ratingrun")
            cur.execute("CHECKPOINT")

    floors = []
    for _ in range(2):  # the first also warms the cache for what follows
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_floor")
            t = time.perf_counter()
            cur.execute(f"CREATE TABLE bench_floor AS {sql}", params)
            floors.append(time.perf_counter() - t)
            cur.execute("SELECT count(*) FROM bench_floor")
            floor_rows = cur.fetchone()[0]
            cur.execute("DROP TABLE bench_floor")
    floor = min(floors)
    print(
        f"(a) floor, one CREATE TABLE AS over all customers: {floor:.1f} s "
        f"(runs: {', '.join(f'{x:.1f}' for x in floors)}; {floor_rows:,} rows)   load average {os.getloadavg()}",
        flush=True,
    )
    fresh()

    t = time.perf_counter()
    run = run_rating(AS_OF, RatingRun.Trigger.SCHEDULE, inline=True)
    full = time.perf_counter() - t
    counts = level_counts(run)
    print(
        f"(b) full run through run_rating ({run.chunks_total} chunks of {chunk_size():,}): {full:.1f} s, "
        f"status {run.status}, {run.done:,} results {counts}"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    ratio (b)/(a): {full / floor:.2f}   peak memory: {peak_mb:.0f} MB   load average: {os.getloadavg()}")
    report(f"monthly run, {run.done:,} customers, vs CREATE TABLE AS of its facts", floor, full, 1.3, unit="s")
    if args.next_month:
        nxt = NEXT_AS_OF
        t = time.perf_counter()
        run2 = run_rating(nxt, RatingRun.Trigger.SCHEDULE, inline=True)
        took = time.perf_counter() - t
        moves = RunMove.objects.filter(run=run2).count()
        print(
            f"(b') the next month's run ({nxt}), movers against (b) included: {took:.1f} s, status {run2.status}, "
            f"{run2.done:,} results, {moves:,} movers; ratio (b')/(a): {took / floor:.2f}   "
            f"load average: {os.getloadavg()}"
        )
        report("the next month's run, with movers, vs the same floor", floor, took, 1.3, unit="s")
    if os.environ.get("REDIS_URL"):
        fresh()
        celery_run(args.workers, floor)


def worker_peaks_mb(session: int) -> list[float]:
    """Peak resident memory of every process in the worker's session (Linux /proc)."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError):
            continue
    return sorted(peaks, reverse=True)


def celery_run(workers: int, floor: float) -> None:
    """(c): the monthly task's path, chunks taken by `workers` real Celery worker processes."""
    from ratings.models import RatingRun
    from ratings.runs import claim_run, dispatch
    from suizhou_credit.celery import app

    app.conf.task_always_eager = False
    log = open("/tmp/rating_bench_worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "suizhou_credit", "worker", "-c", str(workers), "-l", "WARNING"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(60):
            if app.control.ping(timeout=1.0):
                break
        t = time.perf_counter()
        run = claim_run(AS_OF, RatingRun.Trigger.SCHEDULE)
        dispatch(run.pk, run.attempt)
        while True:
            run.refresh_from_db()
            if run.status in (RatingRun.Status.SUCCEEDED, RatingRun.Status.FAILED):
                break
            time.sleep(0.1)
        took = time.perf_counter() - t
        print(
            f"(c) the same run as a Celery chord on {workers} worker processes: {took:.1f} s, status {run.status}, "
            f"{run.done:,} results; ratio (c)/(a): {took / floor:.2f}   load average: {os.getloadavg()}"
        )
        if run.error:
            print(f"    error: {run.error[:300]}")
        peaks = worker_peaks_mb(worker.pid)
        print(f"    peak memory (VmHWM) of the worker processes: {', '.join(f'{m:.0f} MB' for m in peaks)}")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
