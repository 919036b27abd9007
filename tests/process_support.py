"""Real processes for the deployment and fault tests: a Redis of the test's own (to stop and start),
gunicorn with the production settings, Celery workers and beat, all against the test database."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


def database_url() -> str:
    """The test database (pytest-django's test_… database), for processes started by the test."""
    d = connection.settings_dict
    user = urllib.parse.quote(d["USER"] or "")
    password = (":" + urllib.parse.quote(d["PASSWORD"])) if d.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence; stop() and start() again."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def environment(redis_url: str, **extra: str) -> dict[str, str]:
    """The production configuration: DEBUG off, a long secret, the test database and this Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY="test-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        CONN_MAX_AGE="0",
        # the test speaks plain HTTP to gunicorn (in production nginx ends HTTPS, see deploy/)
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Service:
    """A child process with its output in a log file; stop() (TERM) or kill() (SIGKILL, as a crash)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._out = self.log.open("ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


def gunicorn(env: dict[str, str], log_dir: Path, workers: int = 1) -> tuple[Service, int]:
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    web = Service("gunicorn", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], env, log_dir)
    wait_for_port(port, timeout=30, proc=web.proc)
    return web, port


def worker(env: dict[str, str], log_dir: Path, name: str = "worker") -> Service:
    service = Service(
        name,
        [
            str(BIN / "celery"),
            "-A",
            "suizhou_credit",
            "worker",
            "--pool=solo",
            f"--hostname={name}@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        env,
        log_dir,
    )
    return service


def beat(env: dict[str, str], log_dir: Path) -> Service:
    return Service(
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "suizhou_credit",
            "beat",
            f"--schedule={log_dir / 'beat-schedule'}",
            "--loglevel=INFO",
        ],
        env,
        log_dir,
    )


class Browser:
    """A tiny HTTP client with cookies and Django's CSRF token, like a user's browser."""

    def __init__(self, port: int, *, behind_proxy: bool = False) -> None:
        """`behind_proxy`: send what nginx adds when it has ended HTTPS (X-Forwarded-Proto: https)."""
        self.base = f"http://127.0.0.1:{port}"
        self.origin = f"https://127.0.0.1:{port}" if behind_proxy else self.base
        self.headers = {"X-Forwarded-Proto": "https"} if behind_proxy else {}
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def get(self, path: str) -> tuple[int, str, dict]:
        try:
            with self.opener.open(urllib.request.Request(self.base + path, headers=self.headers), timeout=30) as r:
                return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path: str, data: dict) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={**self.headers, "Referer": self.origin + path}
        )
        try:
            with self.opener.open(request, timeout=60) as r:
                return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)

    def follow(self, response: tuple[int, str, dict]) -> tuple[int, str, dict]:
        """Follow redirects within the site (as a browser does after a POST)."""
        status, page, headers = response
        for _hop in range(5):
            if status not in (301, 302, 303):
                break
            location = headers.get("Location", "")
            path = urllib.parse.urlsplit(location)
            status, page, headers = self.get(path.path + (f"?{path.query}" if path.query else ""))
        return status, page, headers

    def login(self, username: str, password: str) -> None:
        status, page, _headers = self.get("/accounts/login/")
        assert status == 200, page[:500]
        response = self.post("/accounts/login/", {"username": username, "password": password})
        status, page, _headers = self.follow(response)
        assert status == 200 and "退出" in page, page[:2000]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are returned to the caller (to see them, and to follow them with the proxy's headers)."""

    def redirect_request(self, *args, **kwargs):
        return None


def static_links(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
