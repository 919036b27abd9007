"""Imports as jobs (issue 12 part 3): the page stores the upload and a Celery worker imports it;
the job's page shows rows read / checked / written while it runs, then the result; the history
lists every import (the page's and import_records's) with its error list as a CSV or Excel file;
a broker that is down fails the job at once with a Chinese reason; the sweeper takes care of a
job whose worker died."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import threading
import time

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from customers import import_jobs
from customers.importer import engine
from customers.models import AuditEntry, Customer, ImportJob
from tests.conftest import require_service
from tests.test_importer import CUSTOMER_HEADER, customer_row
from tests.test_importer_page import csv_upload

URL = reverse("customers:import")
HISTORY = reverse("customers:import_history")


def wait_until_finished(job_id: int, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"import job {job_id} did not finish: {ImportJob.objects.get(pk=job_id).state}")


def submit(client, kind: str, upload) -> int:
    response = client.post(URL, {"kind": kind, "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("id").pk


class Gate:
    """Holds the import (in the worker) once it has read `after` rows, until the test lets it go."""

    def __init__(self, monkeypatch, after: int = 20) -> None:
        self.after = after
        self.reached = threading.Event()
        self.release = threading.Event()
        real = import_jobs._Progress.__call__
        gate = self

        def held(progress, phase, **counts):
            real(progress, phase, **counts)
            if phase == "reading" and counts.get("read", 0) >= gate.after and not gate.reached.is_set():
                gate.reached.set()
                gate.release.wait(60)

        monkeypatch.setattr(import_jobs._Progress, "__call__", held)
        monkeypatch.setattr(engine, "PROGRESS_EVERY", 10)
        monkeypatch.setattr(import_jobs, "PROGRESS_INTERVAL", 0)


@pytest.fixture
def gate(monkeypatch):
    held = Gate(monkeypatch)
    yield held
    held.release.set()  # never leave the worker waiting, whatever the test's outcome


def need_worker(worker) -> None:
    require_service("a Celery worker (REDIS_URL)", worker is not None)


@pytest.mark.django_db(transaction=True)
def test_the_page_import_runs_on_the_worker_and_shows_its_progress(celery_worker_or_eager, client, clerk_city, gate):
    need_worker(celery_worker_or_eager)
    client.force_login(clerk_city)
    upload = csv_upload(CUSTOMER_HEADER, [customer_row(f"J{i:03d}", i) for i in range(50)], name="客户档案.csv")
    content = upload.read()
    upload.seek(0)
    job_id = submit(client, "customers", upload)
    assert gate.reached.wait(30), "the worker did not start the import"

    # While the worker holds the import's transaction open: progress shows, nothing is written yet.
    progress = client.get(reverse("customers:import_job_progress", args=[job_id])).json()
    assert progress["state"] == "running" and progress["phase"] == "reading" and not progress["finished"]
    assert progress["read"] == 20 and progress["checked"] == 20 and progress["written"] == 0
    assert reverse("customers:import_job_progress", args=[job_id]).endswith("/progress.json")  # not activity
    page = client.get(reverse("customers:import_job", args=[job_id])).content.decode()
    assert "读取并逐行校验" in page and 'data-testid="progress-read">20<' in page
    assert "/static/js/import_progress." in page and "<script>" not in page
    assert not Customer.objects.filter(account_no__startswith="J").exists()

    gate.release.set()
    job = wait_until_finished(job_id)
    assert job.state == ImportJob.State.SUCCEEDED
    assert (job.created, job.updated, job.unchanged, job.rows_read, job.rows_written) == (50, 0, 0, 50, 50)
    assert Customer.objects.filter(account_no__startswith="J").count() == 50
    # The created records' trail is the job: the clerk, the time, the file.
    assert set(Customer.objects.values_list("import_job", flat=True)) == {job_id}
    assert not AuditEntry.objects.filter(model="customer").exists()

    page = client.get(reverse("customers:import_job", args=[job_id])).content.decode()
    assert "客户档案导入完成：50 条新建，0 条更新，0 条未变" in page
    history = client.get(HISTORY).content.decode()
    row = history[history.index('data-testid="import-history-row"') :].split("</tr>")[0]
    sha = hashlib.sha256(content).hexdigest()
    local = timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M")
    for text in ("客户档案.csv", "客户档案", "城区客服", "已导入", ">50<", sha[:10], local):
        assert text in row, text


@pytest.mark.django_db(transaction=True)
def test_an_invalid_file_keeps_its_errors_as_a_download(celery_worker_or_eager, client, clerk_city):
    client.force_login(clerk_city)
    rows = [customer_row("E001", 1), customer_row("E002", 2, opened_on="2020-13-01"), customer_row("E001", 3)]
    rows[1][CUSTOMER_HEADER.index("uscc")] = "123"
    job_id = submit(client, "customers", csv_upload(CUSTOMER_HEADER, rows, name="坏文件.csv"))
    job = wait_until_finished(job_id)
    assert job.state == ImportJob.State.INVALID and job.error_count == 3
    assert not Customer.objects.exists()

    errors_url = reverse("customers:import_job_errors", args=[job_id])
    response = client.get(errors_url, {"export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["行号", "列", "原因"]
    assert [(r[0], r[1]) for r in lines[1:]] == [("3", "uscc"), ("3", "opened_on"), ("4", "account_no")]
    assert "与第 2 行重复" in lines[3][2]
    assert "坏文件" in response["Content-Disposition"] or "%E5%9D%8F" in response["Content-Disposition"]

    response = client.get(errors_url, {"export": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = [[c.value for c in row] for row in workbook.worksheets[0].iter_rows()]
    assert sheet[0] == ["行号", "列", "原因"] and [r[:2] for r in sheet[1:]] == [[r[0], r[1]] for r in lines[1:]]
    page = client.get(reverse("customers:import_job", args=[job_id])).content.decode()
    assert "文件中有 3 处错误，没有导入任何数据" in page and "下载错误清单 Excel" in page
    history = client.get(HISTORY).content.decode()
    assert "坏文件.csv" in history and "有错误，未导入" in history


@pytest.fixture
def broker_down():
    """The Celery app pointed at a port where no Redis listens, as when Redis is stopped."""
    from suizhou_credit.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = "redis://127.0.0.1:9/0", False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_broker_down_fails_the_job_at_once_with_a_chinese_reason(broker_down, client, clerk_city, media_root):
    client.force_login(clerk_city)
    response = client.post(URL, {"kind": "customers", "file": csv_upload(CUSTOMER_HEADER, [customer_row("R1", 1)])})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "后台任务服务（Redis）暂时无法连接，导入未能开始，没有写入任何数据" in page
    for leak in ("127.0.0.1", ":9", "Error", "Retry limit"):
        assert leak not in job.message
    assert not job.file and not any(p.is_file() for p in media_root.rglob("*"))
    assert not Customer.objects.exists()
    # The page keeps working: a new upload can be made at once.
    assert client.get(URL).status_code == 200


@pytest.mark.django_db
def test_import_records_runs_are_in_the_history(tmp_path, login, supervisor, clerk_city, capsys):
    good = tmp_path / "nightly.csv"
    good.write_text(",".join(CUSTOMER_HEADER) + "\n" + ",".join(customer_row("N1", 1)) + "\n", encoding="utf-8")
    call_command("import_records", "customers", str(good))
    assert capsys.readouterr().out.strip() == "customers: 1 created, 0 updated, 0 unchanged"
    bad = tmp_path / "broken.csv"
    bad.write_text(",".join(CUSTOMER_HEADER) + "\n" + ",".join(customer_row("N2", 2, company="x")) + "\n")
    with pytest.raises(CommandError):
        call_command("import_records", "customers", str(bad))
    assert "row 2, column company:" in capsys.readouterr().err

    ok, invalid = ImportJob.objects.order_by("id")
    assert (ok.source, ok.state, ok.created, ok.actor) == ("command", "succeeded", 1, "command:import_records")
    assert ok.sha256 == hashlib.sha256(good.read_bytes()).hexdigest() and ok.user is None
    assert (invalid.state, invalid.error_count) == ("invalid", 1)
    assert [(e.row, e.column) for e in invalid.errors.all()] == [(2, "company")]

    history = login(supervisor).get(HISTORY).content.decode()
    assert "nightly.csv" in history and "broken.csv" in history and "命令行 import_records" in history
    # A file of the command may hold both companies' rows: a clerk of one company does not see it.
    assert "nightly.csv" not in login(clerk_city).get(HISTORY).content.decode()


@pytest.mark.django_db
def test_another_companys_clerk_does_not_see_an_import(
    login, clerk_city, clerk_county, eager_celery, django_capture_on_commit_callbacks
):
    client = login(clerk_city)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"kind": "customers", "file": csv_upload(CUSTOMER_HEADER, [customer_row("S1", 1)])})
    job = ImportJob.objects.get()
    other = login(clerk_county)
    assert other.get(reverse("customers:import_job", args=[job.pk])).status_code == 404
    assert other.get(reverse("customers:import_job_errors", args=[job.pk]), {"export": "csv"}).status_code == 404
    assert "data.csv" not in other.get(HISTORY).content.decode()


@pytest.mark.django_db
def test_the_sweeper_runs_again_a_job_whose_worker_died_then_gives_up(
    clerk_city, eager_celery, django_capture_on_commit_callbacks, settings
):
    """A running job whose heartbeat stopped is queued again (and imports); one that died too often fails."""
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    upload = csv_upload(CUSTOMER_HEADER, [customer_row("W1", 1)])
    job = import_jobs.submit(kind="customers", upload=upload, user=clerk_city, sha256="0" * 64)
    ImportJob.objects.filter(pk=job.pk).update(state="running", heartbeat_at=long_ago, attempts=1)
    assert import_jobs.sweep() == (1, 0)
    job.refresh_from_db()
    assert job.state == ImportJob.State.SUCCEEDED and job.attempts == 2
    assert Customer.objects.filter(account_no="W1").exists()

    upload = csv_upload(CUSTOMER_HEADER, [customer_row("W2", 2)])
    job = import_jobs.submit(kind="customers", upload=upload, user=clerk_city, sha256="1" * 64)
    ImportJob.objects.filter(pk=job.pk).update(
        state="running", heartbeat_at=long_ago, attempts=settings.JOB_MAX_RESUMES + 1
    )
    import_jobs.sweep()
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and "导入中断" in job.message and not job.file
    assert not Customer.objects.filter(account_no="W2").exists()


@pytest.mark.django_db
def test_a_finished_job_delivered_again_does_nothing(clerk_city, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_jobs.submit(
            kind="customers", upload=csv_upload(CUSTOMER_HEADER, [customer_row("D1", 1)]), user=clerk_city, sha256=""
        )
    entries = AuditEntry.objects.count()
    import_jobs.execute(job.pk)  # the broker hands the same message out again
    job.refresh_from_db()
    assert job.state == ImportJob.State.SUCCEEDED and job.attempts == 1 and AuditEntry.objects.count() == entries
