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
