"""The 信易供水 batch for the city's credit platform, its rows, the platform's return files, and the
written notices (告知书) a customer is given before its dishonesty is reported.

State changes go through `reporting.services` (batches, returns) and `reporting.notices` (notices);
nothing here sets a status.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Company, Customer


class Sheet(models.TextChoices):
    """The four sheets of a batch, in the workbook's order (reporting-batch.md)."""

    PLEDGE = "pledge", _("信用承诺")
    FULFILMENT = "fulfilment", _("履约践诺")
    RATING = "rating", _("信用评价")
    REPAIR = "repair", _("信用修复")


SHEET_ORDER = [Sheet.PLEDGE.value, Sheet.FULFILMENT.value, Sheet.RATING.value, Sheet.REPAIR.value]


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    EXPORTED = "exported", _("已导出")
    SUBMITTED = "submitted", _("已报送")
    ACCEPTED = "accepted", _("已接收")
    RETURNED = "returned", _("部分退回")


# A batch in one of these states has been handed over: its rows count as reported.
REPORTED_STATUSES = (BatchStatus.EXPORTED, BatchStatus.SUBMITTED, BatchStatus.ACCEPTED, BatchStatus.RETURNED)


class BuildState(models.TextChoices):
    """The Celery build of a batch's rows and files (the batch page polls it)."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def batch_file_path(instance: Batch, filename: str) -> str:
    return f"reporting/batches/{instance.number}/{uuid.uuid4().hex[:8]}-{filename}"


class BatchNumberCounter(models.Model):
    """The last serial given to a period's batches (`YYYYMM-NN`); locked while a batch is numbered."""

    period = models.DateField(_("报送期间"), primary_key=True)
    last = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("报送批次计数")
        verbose_name_plural = _("报送批次计数")


class Batch(models.Model):
    """One batch of one month (period) for the platform, covering both companies."""

    Status = BatchStatus

    audit_model_name = "batch"

    number = models.CharField(_("批次编号"), max_length=16, unique=True)
    period = models.DateField(_("报送期间"), help_text=_("该月第一天"))
    status = models.CharField(_("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.DRAFT)

    # The build (rows and files), run by a Celery task; `generation` is the set of rows shown.
    build_state = models.CharField(_("生成状态"), max_length=16, choices=BuildState.choices, default=BuildState.QUEUED)
    build_total = models.PositiveIntegerField(_("待处理行数"), default=0)
    build_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    build_error = models.TextField(_("生成失败原因"), blank=True)
    build_started_at = models.DateTimeField(_("开始生成时间"), null=True, blank=True)
    # The traceback of a failed build, for administrators only (users read build_error).
    build_error_detail = models.TextField(_("生成失败详情"), blank=True)
    # Written while a worker builds (suizhou_credit.jobs.heartbeat); the sweeper resumes a build whose
    # heartbeat stopped, counting in build_resumes.
    build_heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    build_resumes = models.PositiveSmallIntegerField(_("自动恢复次数"), default=0)
    generation = models.PositiveIntegerField(_("行版本"), default=0)
    building_generation = models.PositiveIntegerField(_("正在生成的行版本"), default=0)

    # What the build found: counts per sheet {"pledge": {"included": n, "held": m}, ...}, the run read.
    counts = models.JSONField(_("各表行数"), default=dict, blank=True)
    rating_run = models.ForeignKey(
        "ratings.RatingRun",
        verbose_name=_("评级批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rating_note = models.CharField(_("信用评价说明"), max_length=200, blank=True)

    xlsx = models.FileField(_("Excel 文件"), upload_to=batch_file_path, max_length=200, blank=True)
    csv_zip = models.FileField(_("CSV 压缩包"), upload_to=batch_file_path, max_length=200, blank=True)

    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    built_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    built_by_label = models.CharField(_("生成方式"), max_length=64, blank=True, help_text=_("命令或定时任务"))
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认接收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报送批次")
        verbose_name_plural = _("报送批次")
        ordering = ["-period", "-number"]
        indexes = [models.Index(fields=["period", "status"], name="batch_period_status")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("reporting:batch", args=[self.number])

    @property
    def audit_key(self) -> str:
        return self.number

    @property
    def period_label(self) -> str:
        return f"{self.period:%Y-%m}"

    @property
    def is_reported(self) -> bool:
        return self.status in REPORTED_STATUSES

    @property
    def percent(self) -> int:
        return int(100 * self.build_done / self.build_total) if self.build_total else 100


class ReturnFile(models.Model):
    """One file of rejected rows read from the platform (`import_return` or the batch page)."""

    audit_model_name = "batchreturn"

    original_name = models.CharField(_("原文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file = models.FileField(_("文件"), upload_to="reporting/returns/%Y/%m/", max_length=200, blank=True)
    rows_marked = models.PositiveIntegerField(_("标记退回行数"), default=0)
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_by_label = models.CharField(_("导入方式"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("平台退回文件")
        verbose_name_plural = _("平台退回文件")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class BatchRow(models.Model):
    """One row of one sheet of a batch: its cells as sent (or held back, with the reasons).

    `source_id` is the record the row was built from: the pledge (信用承诺, 履约践诺), the customer whose
    account decided the level (信用评价), the repair request (信用修复). `ref_date` is the run's as-of date
    on 信用评价 rows. A row of a reported batch that is neither held nor returned counts as reported.
    """

    batch = models.ForeignKey(Batch, verbose_name=_("报送批次"), on_delete=models.CASCADE, related_name="rows")
    generation = models.PositiveIntegerField(_("行版本"), default=0)
    sheet = models.CharField(_("工作表"), max_length=12, choices=Sheet.choices)
    position = models.PositiveIntegerField(_("序号"))
    key = models.CharField(_("主键"), max_length=32)
    company = models.ForeignKey(
        Company, verbose_name=_("供水公司"), on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    source_id = models.BigIntegerField(_("来源记录"), null=True, blank=True)
    ref_date = models.DateField(_("评定基准日"), null=True, blank=True)
    values = models.JSONField(_("各列内容"))
    held = models.BooleanField(_("暂缓报送"), default=False)
    # [{"column": "承诺人代码", "reason": "…", "fix": "customer" | "pledge" | "company" | "notice" | "repair"}]
    reasons = models.JSONField(_("暂缓原因"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    return_file = models.ForeignKey(
        ReturnFile, verbose_name=_("退回文件"), on_delete=models.PROTECT, null=True, blank=True, related_name="rows"
    )

    class Meta:
        verbose_name = _("报送行")
        verbose_name_plural = _("报送行")
        ordering = ["batch", "sheet", "position"]
        indexes = [
            models.Index(fields=["batch", "generation", "sheet", "position"], name="batchrow_batch_sheet"),
            models.Index(fields=["sheet", "key"], name="batchrow_sheet_key"),
            models.Index(fields=["sheet", "source_id"], name="batchrow_sheet_source"),
            models.Index(fields=["batch", "generation"], condition=models.Q(held=True), name="batchrow_held"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.sheet} {self.key}"


class NoticeMethod(models.TextChoices):
    IN_PERSON = "in_person", _("当面送达")
    POST = "post", _("邮寄")
    ELECTRONIC = "electronic", _("电子送达")


class NoticeKind(models.TextChoices):
    LEVEL = "level", _("信用等级告知")
    BREACH = "breach", _("违诺告知")


class Notice(models.Model):
    """告知书 (湖北省社会信用信息管理条例 art. 23): the customer is told in writing, before its yellow or
    red level (or a broken pledge) is first reported. Prepared (printable) first; `given_on` and `method`
    are recorded when it has been delivered, and only a delivered notice covers a batch row."""

    Kind = NoticeKind
    Method = NoticeMethod

    audit_model_name = "notice"

    number = models.CharField(_("告知书编号"), max_length=32, unique=True)
    kind = models.CharField(_("告知类型"), max_length=16, choices=NoticeKind.choices)
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="notices")
    company = models.ForeignKey(Company, verbose_name=_("供水公司"), on_delete=models.PROTECT, related_name="+")
    # Copied when prepared, like a pledge's text: what the notice said.
    customer_name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    level = models.CharField(_("告知等级"), max_length=8, blank=True)
    as_of = models.DateField(_("评定基准日"), null=True, blank=True)
    pledge = models.ForeignKey(
        "pledges.Pledge",
        verbose_name=_("违诺的承诺书"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    content = models.TextField(_("告知内容"))
    given_on = models.DateField(_("送达日期"), null=True, blank=True)
    method = models.CharField(_("送达方式"), max_length=16, choices=NoticeMethod.choices, blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("告知书")
        verbose_name_plural = _("告知书")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="notice_customer_created")]

    def __str__(self) -> str:
        return f"{self.number} {self.customer_name}"

    def get_absolute_url(self) -> str:
        return reverse("reporting:notice", args=[self.number])

    @property
    def audit_key(self) -> str:
        return self.number

    @property
    def is_given(self) -> bool:
        return self.given_on is not None


# The group's credit work (issue 11), kept in modules of their own and registered here.
from .models_cases import CreditCase  # noqa: E402, F401
from .models_checks import CheckMatter, CreditCheck  # noqa: E402, F401
from .models_publicity import Occasion, PublicityFile, PublicityItem  # noqa: E402, F401
from .models_tracker import KeyTask, ProgressReport, ReportStatus, TaskForceMember, Unit  # noqa: E402, F401
