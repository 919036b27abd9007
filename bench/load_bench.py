"""The pages under load: wrk against gunicorn (2 workers) on the generated register, signed in as a clerk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load_bench.py \
        [--customers N] [--db NAME] [--duration 10] [--connections 8 32]

Fills (or reuses) bench/datagen.py's database, starts gunicorn with 2 sync workers (as
deploy/gunicorn.conf.py runs them) on a free local port (settings bench.load.settings: the project's plus the floor views of
bench/bare.py), signs in a clerk of the city company (a supervisor of both companies for the repair
queue, which is theirs) and runs `wrk -t2 -c{C} -d{D}s -s bench/load/session.lua` against each page at
each number of connections:

- the floor: a bare Django view on the same server (/bench/bare/: session, user, every middleware, two bytes);
- search by account prefix, by two and by four characters of a name, by USCC prefix;
- the credit file of the customer with the most records; a level list (red); the latest run's page;
- the dashboard; the repair queue.

Prints requests/s, p50/p95/p99 (ms), errors (socket errors and status >= 400) and the share of the
floor's throughput for each, then the workers' peak RSS. Needs `wrk` (Debian package wrk) and gunicorn.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report, setup_django  # noqa: E402
from bench.datagen import DEFAULT_DB, generate  # noqa: E402

STAGES = ("customers", "events", "pledges", "runs", "repairs", "batches")
LUA = ROOT / "bench" / "load" / "session.lua"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def targets() -> list[tuple[str, str, str]]:
    """(label, path, who) of each page; who: clerk or supervisor."""
    from django.db import connection

    from ratings.models import RatingRun

    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.account_no, c.uscc FROM customers_customer c JOIN customers_company co ON co.id = c.company_id "
            "WHERE co.code = 'city' ORDER BY c.id LIMIT 1"
        )
        account_no, uscc = cur.fetchone()
        cur.execute(
            "SELECT c.account_no FROM customers_event e JOIN customers_customer c ON c.id = e.customer_id "
            "JOIN customers_company co ON co.id = c.company_id WHERE co.code = 'city' "
            "GROUP BY c.account_no ORDER BY count(*) DESC LIMIT 1"
        )
        busiest = cur.fetchone()[0]
    run = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    quote = urllib.request.quote
    return [
        ("bare Django view (floor)", "/bench/bare/", "clerk"),
        ("search, account prefix", f"/customers/?q={account_no[:7]}", "clerk"),
        ("search, two characters", f"/customers/?q={quote('安泰')}", "clerk"),
        ("search, four characters", f"/customers/?q={quote('安泰建材')}", "clerk"),
        ("search, USCC prefix", f"/customers/?q={uscc[:10]}", "clerk"),
        ("credit file, most records", f"/customers/file/{busiest}/", "clerk"),
        ("level list (red)", "/ratings/levels/red/", "clerk"),
        ("run page", f"/ratings/runs/{run.pk}/", "clerk"),
        ("dashboard", "/dashboard/", "clerk"),
        ("repair queue", "/repair/", "supervisor"),
    ]


def wrk(url: str, cookie: str, connections: int, duration: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", str(LUA), url],
        env={**os.environ, "WRK_COOKIE": cookie},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def peak_rss_mb(pids: list[int]) -> float:
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except FileNotFoundError:
            pass
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page and number of connections")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (apt-get install wrk)")
        return

    base = setup_django(args.db, test_client=True)
    from django.contrib.auth.models import Group, User

    from customers.models import Company

    generate(args.customers, only=STAGES)
    clerk, _ = User.objects.get_or_create(username="bench_load_clerk", defaults={"first_name": "压测客服"})
    clerk.groups.set(Group.objects.filter(name="clerk"))
    Company.objects.get(code="city").members.add(clerk)
    supervisor, _ = User.objects.get_or_create(username="bench_load_supervisor", defaults={"first_name": "压测主管"})
    supervisor.groups.set(Group.objects.filter(name="supervisor"))
    for company in Company.objects.all():
        company.members.add(supervisor)
    cookies = {"clerk": session_cookie(clerk), "supervisor": session_cookie(supervisor)}
    pages = targets()

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "PYTHONPATH": str(ROOT),
    }
    # As deploy/gunicorn.conf.py runs it (sync workers, one thread), with 2 workers, no recycling, no access log.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "suizhou_credit.wsgi:application",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--max-requests=0",
            "--access-logfile=/dev/null",
            "--log-level=warning",
            "--worker-tmp-dir=/dev/shm",
            "--timeout=120",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        origin = f"http://127.0.0.1:{port}"
        for _ in range(150):
            if server.poll() is not None:
                sys.exit("gunicorn did not start")
            try:
                urllib.request.urlopen(f"{origin}/accounts/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        for label, path, who in pages:  # each page answers 200 for its user, or the figures mean nothing
            request = urllib.request.Request(origin + path, headers={"Cookie": cookies[who]})
            with urllib.request.urlopen(request, timeout=60) as response:
                assert response.status == 200 and response.url == origin + path, (label, response.status, response.url)
        workers = [
            int(p)
            for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        ]
        print(f"\ngunicorn, 2 workers, on {base.rsplit('/', 1)[0]}/{args.db}; wrk -t2 -d{args.duration}s\n")
        print(
            f"{'page':28} {'conns':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'× floor':>7}"
        )
        floors: dict[int, float] = {}
        p95s: dict[tuple[str, int], float] = {}
        for label, path, who in pages:
            for c in args.connections:
                r = wrk(origin + path, cookies[who], c, args.duration)
                rps = r["requests"] / (r["duration_us"] / 1e6)
                floors.setdefault(c, rps)
                p95s[label, c] = r["p95"] / 1000
                if label != pages[0][0]:
                    # ≥ 40 % of the bare view's throughput: time per request ≤ 2.5× the floor's
                    per_request = 1000 / rps if rps else float("inf")
                    report(f"{label} under wrk -c{c}, time a request", 1000 / floors[c], per_request, 2.5)
                    if c == 8:
                        report(f"{label}, p95 at 8 connections", p95s[pages[0][0], 8], p95s[label, 8], 3)
                errors = r["status_errors"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
                print(
                    f"{label:28} {c:5d} {rps:7.1f} {r['p50'] / 1000:7.1f} {r['p95'] / 1000:7.1f} "
                    f"{r['p99'] / 1000:7.1f} {errors:6d} {rps / floors[c]:7.2f}",
                    flush=True,
                )
        print(f"\nworkers' peak RSS: {peak_rss_mb(workers):.0f} MB")
        for c in args.connections:
            if ("search, four characters", c) in p95s:
                four, two = p95s["search, four characters", c], p95s["search, two characters", c]
                report(f"search ?q=安泰 vs ?q=安泰建材, p95 under wrk -c{c}", four, two, 1.2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
