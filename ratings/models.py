"""Annex 4 ratings: monthly runs and their results, overrides, supervision measures."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class Level(models.TextChoices):
    """The four colours, best first; `rank` orders them (0 = green … 3 = red)."""

    GREEN = "green", _("绿色")
    BLUE = "blue", _("蓝色")
    YELLOW = "yellow", _("黄色")
    RED = "red", _("红色")

    @property
    def rank(self) -> int:
        return LEVEL_ORDER.index(self.value)


LEVEL_ORDER = [Level.GREEN.value, Level.BLUE.value, Level.YELLOW.value, Level.RED.value]


class RatingRun(models.Model):
    """All customers rated as of one date; exactly one run (and one result per customer) per date."""

    class Status(models.TextChoices):
        PENDING = "pending", _("等待中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("定时任务")
        MANUAL = "manual", _("手动发起")
        COMMAND = "command", _("命令行")

    as_of = models.DateField(_("评定基准日"), unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    trigger = models.CharField(_("发起方式"), max_length=16, choices=Trigger.choices, default=Trigger.COMMAND)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    total = models.PositiveIntegerField(_("客户总数"), default=0)
    done = models.PositiveIntegerField(_("已评定"), default=0)
    chunks_total = models.PositiveIntegerField(_("分片数"), default=0)
    chunks_done = models.PositiveIntegerField(_("已完成分片"), default=0)
    # `error` is the short reason users read; `error_detail` the traceback, for administrators only.
    error = models.TextField(_("错误信息"), blank=True)
    error_detail = models.TextField(_("错误详情"), blank=True)
    # Written by the running tasks (suizhou_credit.jobs.heartbeat); the sweeper resumes a run whose
    # heartbeat has stopped, counting in `resumes`.
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    resumes = models.PositiveSmallIntegerField(_("自动恢复次数"), default=0)
    # Bumped by every (re)start, so a chunk of an older attempt cannot write into a newer one.
    attempt = models.PositiveIntegerField(_("执行次数"), default=0)
    # The run this run's movers (`RunMove`) were computed against: the previous succeeded run
    # when they were last computed (`ratings.summary.compute_moves`); empty for the first run.
    moves_from = models.ForeignKey(
        "self",
        verbose_name=_("变动比较批次"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("评级批次")
        verbose_name_plural = _("评级批次")
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.get_status_display()}"


class RunChunk(models.Model):
    """One id range of a run's attempt, planned before it is queued and marked done in the
    transaction that writes its results: a redelivered chunk finds it done and adds nothing."""

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="chunks")
    attempt = models.PositiveIntegerField()
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    done = models.BooleanField(default=False)
    written = models.PositiveIntegerField(default=0)
    # Set when a worker takes the chunk up (cleared when the sweeper queues it again): a run whose
    # heartbeat stopped with a started chunk lost its worker; one whose chunks were never started
    # is only waiting in the queue.
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("评级分片")
        verbose_name_plural = _("评级分片")
        constraints = [
            models.UniqueConstraint(fields=["run", "attempt", "first_id"], name="rating_chunk_run_attempt_first")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.attempt} {self.first_id}-{self.last_id}"


class RatingResult(models.Model):
    """A customer's computed level as of the run's date, with the criteria codes that hold."""

    # No indexes on run or customer of their own: the unique (run, customer) index serves those
    # lookups, and each extra index costs a run writing a million rows its share of time.
    # No database-level foreign keys either: a run writes a million rows by COPY, and checking
    # each against customers cost a sixth of the run (the run's deferred check as much again at
    # commit). The rows come from a join over customers, which are never deleted (Customer is
    # PROTECTed everywhere), and are written only by a chunk of a run that exists (its attempt
    # is checked in the same transaction); deleting a run deletes its results through Django's
    # CASCADE.
    run = models.ForeignKey(
        RatingRun,
        verbose_name=_("评级批次"),
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.DO_NOTHING,
        related_name="rating_results",
        db_constraint=False,
        db_index=False,
    )
    level = models.CharField(_("等级"), max_length=8, choices=Level.choices)
    criteria = models.CharField(_("符合条款"), max_length=64, blank=True, help_text=_("如 R1；R3"))

    class Meta:
        verbose_name = _("评级结果")
        verbose_name_plural = _("评级结果")
        # The one index besides the primary key. A customer's history (the credit file) is read
        # through it too: a nested loop over the (few dozen) runs, one probe of (run, customer)
        # each, so no (customer, run) index has to be kept up by every run.
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="rating_result_run_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.level} {self.criteria}"


class RunLevelCount(models.Model):
    """How many results of a run have a level, per company: the run pages read these, not the results.

    Added to by each chunk in the chunk's own transaction, reset when a run is claimed again,
    adjusted by `ratings.services.rerate_customer`. The company is the customer's at rating time.
    """

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="level_counts")
    company = models.ForeignKey("customers.Company", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8, choices=Level.choices)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("批次等级户数")
        verbose_name_plural = _("批次等级户数")
        constraints = [
            models.UniqueConstraint(fields=["run", "company", "level"], name="run_level_count_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.company_id} {self.level} {self.n}"


class RunMove(models.Model):
    """A customer whose level in a run differs from its level in the run's `moves_from` run."""

    UP, DOWN = "up", "down"
    DIRECTIONS = [(UP, _("等级上升")), (DOWN, _("等级下降"))]

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="moves")
    customer = models.ForeignKey(Customer, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    company = models.ForeignKey("customers.Company", on_delete=models.PROTECT, related_name="+")
    from_level = models.CharField(_("上一批次"), max_length=8, choices=Level.choices)
    to_level = models.CharField(_("本批次"), max_length=8, choices=Level.choices)
    direction = models.CharField(_("方向"), max_length=4, choices=DIRECTIONS)
    criteria = models.CharField(_("符合条款"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("等级变动")
        verbose_name_plural = _("等级变动")
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="run_move_run_customer")]
        indexes = [models.Index(fields=["run", "direction", "customer"], name="run_move_direction")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.customer_id} {self.from_level}->{self.to_level}"


class LevelOverride(models.Model):
    """A supervisor's level for a customer, with a reason, from a date to an optional end date."""

    audit_model_name = "override"  # how the change history names it

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="overrides")
    level = models.CharField(_("调整后等级"), max_length=8, choices=Level.choices)
    reason = models.TextField(_("调整原因"))
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("截止日期"), null=True, blank=True, help_text=_("含当日；留空表示长期有效"))
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设置人"), on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.TextField(_("撤销原因"), blank=True)

    class Meta:
        verbose_name = _("等级调整")
        verbose_name_plural = _("等级调整")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["customer", "starts_on"], name="override_customer_start")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.level} ({self.starts_on}–{self.ends_on or ''})"

    def in_force_on(self, day) -> bool:
        return self.revoked_at is None and self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class SupervisionMeasure(models.Model):
    """One measure of 分级分类监管 that applies to every customer of a level; edited by administrators."""

    level = models.CharField(_("等级"), max_length=8, choices=Level.choices)
    text = models.CharField(_("监管措施"), max_length=200)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("监管措施")
        verbose_name_plural = _("监管措施")
        ordering = ["level", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_level_display()}:{self.text}"
