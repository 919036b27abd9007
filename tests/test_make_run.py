"""`make run` as production runs: Redis, a Celery worker and beat beside the web server (scripts/run-dev.sh).

The script is started for real on port 8765 with its own run directory and SQLite file; the demo
supervisor logs in, rebuilds the seeded platform batch and starts a pledge batch, the worker
finishes both (the pages only queue them), a second click is refused while the first build is
queued; SIGINT then stops the web server, the worker, beat and the Redis the script started.
"""

from __future__ import annotations

import contextlib
import datetime
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "run-dev.sh"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


class Client:
    """A browser in miniature: a cookie jar, the CSRF token from the cookie, redirects followed."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, str, str]:
        with self.opener.open(BASE + path, timeout=30) as response:
            return response.status, response.url, response.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **data}).encode()
        request = urllib.request.Request(BASE + path, data=body, headers={"Referer": BASE + path})
        with self.opener.open(request, timeout=60) as response:
            return response.status, response.url, response.read().decode()


def _wait_for_login_page(proc: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"run-dev.sh exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(BASE + "/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"no login page on {BASE} after {seconds} s:\n{log.read_text()[-3000:]}")


def _poll(client: Client, path: str, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    state: dict = {}
    while time.monotonic() < deadline:
        state = json.loads(client.get(path)[2])
        if state.get("finished"):
            return state
        time.sleep(0.5)
    pytest.fail(f"{path} not finished after {seconds} s: {state}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _last_finished_month(today: datetime.date) -> str:
    first = today.replace(day=1)
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def test_make_run_serves_with_a_worker_and_stops_everything(tmp_path):
    run_dir = tmp_path / "run"
    log = tmp_path / "run-dev.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        PORT=str(PORT), RUN_DIR=str(run_dir), RUN_DB=str(tmp_path / "db.sqlite3"), MEDIA_ROOT=str(tmp_path / "media")
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", str(SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # A Ctrl-C must reach the script even when this test runs in the background (where SIGINT is
            # ignored and a shell started with it ignored cannot trap it).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    pids: dict[str, int] = {}
    try:
        _wait_for_login_page(proc, log, 75)
        pids = {name: int((run_dir / f"{name}.pid").read_text()) for name in ("redis", "worker", "beat", "web")}
        output = log.read_text()
        assert re.search(r"^\s*supervisor\s+suizhou-demo\s+陈静", output, re.M)  # the demo logins are printed
        assert re.search(r"Redis on 127\.0\.0\.1:\d+", output)
        assert all(_alive(pid) for pid in pids.values()), pids

        client = Client()
        client.get("/accounts/login/")
        status, url, _ = client.post("/accounts/login/", {"username": "supervisor", "password": "suizhou-demo"})
        assert status == 200 and "/accounts/login/" not in url

        # The platform batch of the last finished month: the page answers at once, the worker builds it.
        period = _last_finished_month(datetime.date.today())
        status, url, page = client.post("/reporting/batches/build/", {"period": period})
        assert status == 200
        number = re.search(r"/reporting/batches/([0-9]{6}-[0-9]{2})/", url).group(1)
        # A second click while it is queued or running is refused; once done it would rebuild.
        second = client.post("/reporting/batches/build/", {"period": period})[2]
        state = _poll(client, f"/reporting/batches/{number}/progress.json", 60)
        assert state["state"] == "done", state
        assert state["total"] > 0 and state["done"] == state["total"]
        if "正在生成" not in second:
            # The worker was faster than the second click: then it rebuilt, and that one also finishes.
            state = _poll(client, f"/reporting/batches/{number}/progress.json", 60)
            assert state["state"] == "done", state

        # A pledge batch (one PDF for the customers without a pledge) through the same worker.
        coverage = client.get("/pledges/coverage/")[2]
        company = re.search(r'name="company" value="(\d+)"', coverage).group(1)
        status, url, _ = client.post("/pledges/batches/start/", {"company": company})
        pk = re.search(r"/pledges/batches/(\d+)/", url).group(1)
        # The double click: the batch still printing is shown again, no second batch is started.
        again = client.post("/pledges/batches/start/", {"company": company})[1]
        assert re.search(r"/pledges/batches/(\d+)/", again).group(1) == pk
        state = _poll(client, f"/pledges/batches/{pk}/progress.json", 60)
        assert state["status"] == "succeeded" and state["download"], state

        worker_log = (run_dir / "worker.log").read_text()
        assert "reporting" in worker_log and "succeeded" in worker_log
    finally:
        # Shown by pytest when the test fails: what the script and the worker said.
        print(log.read_text()[-4000:])
        if (run_dir / "worker.log").exists():
            print((run_dir / "worker.log").read_text()[-4000:])
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # only the script, as Ctrl-C reaches it under make
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for pid in pids.values():  # never leave a process behind, even when an assertion failed
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)

    assert proc.returncode == 130, log.read_text()[-2000:]
    leftover = {name: pid for name, pid in pids.items() if _alive(pid)}
    assert not leftover, leftover
    assert "Stopped." in log.read_text()
    assert not list(run_dir.glob("*.pid"))
