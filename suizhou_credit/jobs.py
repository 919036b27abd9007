"""What every background job (rating run, pledge batch, platform batch build) shares.

A job is a database row recorded before its task is queued, and queued only after the commit
(`transaction.on_commit(lambda: enqueue(...))`). From then on:

- `enqueue` hands the task to the broker without retrying: when Redis is down it returns False
  within the broker's connect timeout (settings: 2 s) instead of blocking the request, and the
  caller marks the job failed with `QUEUE_FAILED` (the broker's address and Celery's words go to
  the log only). No result-store subscription is made, so a web process keeps working once Redis
  is back (Celery's "Retry limit exceeded … must be restarted" came from that subscription).
- a running task keeps its row's heartbeat field fresh (`heartbeat`, a thread that writes it every
  `JOB_HEARTBEAT_EVERY` seconds on its own connection), so a worker that vanished (kill -9, out of
  memory, a machine restart) shows as a heartbeat older than `JOB_STALE_AFTER`;
- each app's sweeper (a beat task every minute: `ratings.sweep`, `pledges.sweep`, `reporting.sweep`)
  queues such a job again (its tasks are idempotent: what was committed is not done twice), at most
  `JOB_MAX_RESUMES` times, then marks it failed with `INTERRUPTED`.

Tasks are acknowledged late and rejected (so redelivered) when their worker is lost (settings);
the broker redelivers an unacknowledged message after the visibility timeout, the sweeper long
before that.
"""

from __future__ import annotations

import datetime
import logging
import threading

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

QUEUE_FAILED = _("后台任务服务暂时无法连接，任务未能开始。请稍后重试；如果一直如此，请联系系统管理员。")
INTERRUPTED = _("后台任务多次中断（处理它的进程意外退出），已停止。请重新发起；如果再次失败，请联系系统管理员。")
FAILED = _("处理时出错，任务未能完成。详细信息已写入系统日志，请联系系统管理员。")


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(getattr(settings, "JOB_STALE_AFTER", 120)))


def stale_before() -> datetime.datetime:
    """A job whose heartbeat is older than this has lost its worker."""
    return timezone.now() - stale_after()


def max_resumes() -> int:
    return int(getattr(settings, "JOB_MAX_RESUMES", 3))


def enqueue(task, *args) -> bool:
    """Queue `task(*args)`; False (and the reason in the log) when the broker cannot take it.

    With eager Celery (no REDIS_URL) the task runs here and its own errors propagate as before.
    """
    from kombu.exceptions import OperationalError

    if task.app.conf.task_always_eager:
        task.apply_async(args)
        return True
    try:
        task.apply_async(args, retry=False, ignore_result=True)
        return True
    except (OperationalError, ConnectionError, TimeoutError, OSError):
        log.exception("could not queue %s%r: the broker is unreachable", task.name, args)
        return False


class heartbeat:  # noqa: N801  (used as a context manager, like contextlib's)
    """`with heartbeat(Model, pk):` keeps Model(pk).<field> at the current time while the block runs.

    A daemon thread on its own database connection, so a long SQL statement or PDF render of the
    task does not stop it. Not started inside a transaction (the row would not be visible to the
    thread) nor on SQLite (one writer at a time); there the task's own progress writes suffice.
    """

    def __init__(self, model, pk: int, field: str = "heartbeat_at", every: float | None = None) -> None:
        self.model, self.pk, self.field = model, pk, field
        self.every = float(every if every is not None else getattr(settings, "JOB_HEARTBEAT_EVERY", 20))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def touch(self) -> None:
        self.model.objects.filter(pk=self.pk).update(**{self.field: timezone.now()})

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.touch()
                except Exception:  # a broken connection: try again next time
                    log.warning("heartbeat of %s %s failed", self.model.__name__, self.pk, exc_info=True)
                    connections.close_all()
        finally:
            connections.close_all()  # this thread's connections only

    def __enter__(self) -> heartbeat:
        if connection.vendor != "sqlite" and not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.model.__name__}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every + 5)


def may_see_error_detail(user) -> bool:
    """A failed job's traceback (server paths, data rows of any company) is for administrators only:
    superusers and the admin role; everyone else reads the short reason."""
    from customers.roles import ADMIN, role_names

    return bool(user.is_authenticated and (user.is_superuser or ADMIN in role_names(user)))
