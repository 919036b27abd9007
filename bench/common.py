"""What every benchmark needs: a PostgreSQL database of its own next to DATABASE_URL's."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def bench_url(base: str, name: str) -> str:
    """DATABASE_URL `base` with its database replaced by `name`."""
    return urlunsplit(urlsplit(base)._replace(path="/" + name))


def ensure_database(base: str, name: str) -> None:
    """Create the database `name` on `base`'s server unless it exists."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def postgres_base(default: str = "") -> str:
    """DATABASE_URL (or `default`), which must name a PostgreSQL server; exits with a message otherwise."""
    import os
    import sys

    base = os.environ.get("DATABASE_URL", default)
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must name a PostgreSQL server")
    return base


def setup_django(name: str, *, default_base: str = "", test_client: bool = False, **env: str) -> str:
    """Point Django at the benchmark database `name` (created if missing) and set it up; returns the base URL.

    `test_client`: settings for Django's test Client (host `testserver`, no HTTPS redirect).
    `env`: further environment variables to set before the settings are read.
    """
    import os

    base = postgres_base(default_base)
    ensure_database(base, name)
    os.environ["DATABASE_URL"] = bench_url(base, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suizhou_credit.settings")
    if test_client:
        os.environ["ALLOWED_HOSTS"] = "testserver"
        os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.update(env)
    import django

    django.setup()
    return base


def timed(fn, repeat: int = 7) -> float:
    """Median wall time of fn() in milliseconds, after one warm-up call."""
    import statistics
    import time

    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def peak_rss_mb() -> float:
    """This process's peak resident memory (ru_maxrss) in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(
    job: str, floor: float, value: float, goal: float, *, unit: str = "ms", peak_mb: float | None = None
) -> None:
    """One row of `make bench`'s table: `value` against its `floor` (same unit, same run) and the goal ratio.

    Appended as a JSON line to the file named by BENCH_RESULTS (set by `make bench`; bench/table.py prints
    the table); without it, nothing. `peak_mb`: the job's peak memory (default: this process's).
    """
    import json
    import os

    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    row = {
        "job": job,
        "floor": floor,
        "value": value,
        "unit": unit,
        "goal": goal,
        "peak_mb": peak_rss_mb() if peak_mb is None else peak_mb,
    }
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
