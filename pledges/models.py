"""Credit pledges (信用承诺书, Annex 3): versioned templates, the pledges made from them, batches.

A pledge keeps a COPY of the text of the template version it was made with (title, intro with
the customer's name and USCC, clauses, the consequences clause), so publishing a new version
never changes an old pledge, its PDF, or what is reported to the credit platform.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Company, Customer, Event

AREA_CODE = "421300"


class PledgeKind(models.TextChoices):
    """承诺类型 as the credit platform names it."""

    VOLUNTARY = "voluntary", _("主动型")
    REPAIR = "repair", _("信用修复型")


class Disclosure(models.TextChoices):
    """公开类型."""

    PUBLIC = "public", _("可向社会公开")
    LIMITED = "limited", _("特定范围内公开")
    PRIVATE = "private", _("不可公开")


class PledgeTemplate(models.Model):
    """One published version of a pledge text. Never edited: a change is a new version."""

    kind = models.CharField(_("承诺类型"), max_length=16, choices=PledgeKind.choices)
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=100)
    intro = models.TextField(
        _("开头"),
        help_text=_("可用占位符 {name}（单位名称）和 {uscc}（统一社会信用代码）"),
    )
    preamble = models.CharField(_("引导语"), max_length=100, default="郑重承诺如下:", blank=True)
    clauses = models.JSONField(_("承诺条款"), help_text=_("每条一项，按顺序"))
    consequences_index = models.PositiveSmallIntegerField(
        _("违诺责任条款序号"), help_text=_("从 1 开始：哪一条是违诺责任条款")
    )
    reason = models.CharField(_("承诺事由"), max_length=200, default="供水用水信用承诺")
    disclosure = models.CharField(_("公开类型"), max_length=16, choices=Disclosure.choices, default=Disclosure.PUBLIC)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    audit_model_name = "pledgetemplate"

    class Meta:
        verbose_name = _("承诺书模板")
        verbose_name_plural = _("承诺书模板")
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="pledgetemplate_kind_version")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} {self.title}"

    @property
    def consequences(self) -> str:
        return self.clauses[self.consequences_index - 1]


class PledgeState(models.TextChoices):
    PREPARED = "prepared", _("已生成")
    PRINTED = "printed", _("已打印")
    SIGNED = "signed", _("已签署")
    FULFILLED = "fulfilled", _("全部履行")
    BREACHED = "breached", _("未履行")
    REVOKED = "revoked", _("已撤销")


class PledgeSource(models.TextChoices):
    """How the pledge came into the system: generated and printed here, or entered from an old paper copy."""

    SYSTEM = "system", _("系统生成")
    PAPER = "paper", _("纸质补录")


# A pledge "in force" (signed and not revoked) for the coverage count.
SIGNED_STATES = (PledgeState.SIGNED, PledgeState.FULFILLED, PledgeState.BREACHED)


def scan_upload_to(instance: Pledge, filename: str) -> str:
    """Where a scan is stored: by date, under a random name (the original name is not trusted)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"pledges/scans/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class Pledge(models.Model):
    Kind = PledgeKind
    State = PledgeState
    Source = PledgeSource

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="pledges")
    # Denormalised from the customer for scoping and coverage counts by company.
    company = models.ForeignKey(Company, verbose_name=_("所属公司"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("承诺类型"), max_length=16, choices=PledgeKind.choices)
    template = models.ForeignKey(
        PledgeTemplate, verbose_name=_("模板版本"), on_delete=models.PROTECT, related_name="pledges"
    )
    # The copy of the text as made (承诺内容 / 违诺责任): never changes afterwards.
    title = models.CharField(_("标题"), max_length=100)
    intro = models.TextField(_("开头"))
    preamble = models.CharField(_("引导语"), max_length=100, blank=True)
    clauses = models.JSONField(_("承诺条款"))
    content = models.TextField(_("承诺内容"))
    consequences = models.TextField(_("违诺责任"))
    reason = models.CharField(_("承诺事由"), max_length=200)
    disclosure = models.CharField(_("公开类型"), max_length=16, choices=Disclosure.choices)
    customer_name = models.CharField(_("承诺人名称"), max_length=200)
    customer_uscc = models.CharField(_("承诺人代码"), max_length=18)

    state = models.CharField(_("状态"), max_length=16, choices=PledgeState.choices, default=PledgeState.PREPARED)
    # 纸质补录: a paper pledge signed before the system had it (登记纸质承诺书), never printed from here.
    source = models.CharField(_("来源"), max_length=16, choices=PledgeSource.choices, default=PledgeSource.SYSTEM)
    number = models.CharField(_("承诺编码"), max_length=20, unique=True, null=True, blank=True)
    printed_at = models.DateTimeField(_("首次打印时间"), null=True, blank=True)
    signed_on = models.DateField(_("承诺作出日期"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    scan = models.FileField(_("签署扫描件"), upload_to=scan_upload_to, max_length=200, blank=True)
    scan_sha256 = models.CharField(_("扫描件 SHA-256"), max_length=64, blank=True)
    scan_content_type = models.CharField(_("扫描件类型"), max_length=50, blank=True)
    scan_size = models.PositiveIntegerField(_("扫描件大小（字节）"), null=True, blank=True)
    valid_until = models.DateField(_("承诺有效期"), null=True, blank=True)
    fulfilled_on = models.DateField(_("履行认定日期"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("履行认定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    breached_on = models.DateField(_("违诺日期"), null=True, blank=True)
    breach_event = models.ForeignKey(
        Event,
        verbose_name=_("违诺事件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="breached_pledges",
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
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    audit_model_name = "pledge"

    class Meta:
        verbose_name = _("信用承诺书")
        verbose_name_plural = _("信用承诺书")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(kind=PledgeKind.VOLUNTARY) & ~Q(state=PledgeState.REVOKED),
                name="pledge_one_active_voluntary",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "state"], name="pledge_company_state"),
            models.Index(fields=["customer", "state"], name="pledge_customer_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number or self.internal_id} {self.customer_name}"

    @property
    def internal_id(self) -> str:
        """How a pledge is named before it has a 承诺编码."""
        return f"P{self.pk:08d}" if self.pk else "P--------"

    @property
    def display_number(self) -> str:
        return self.number or self.internal_id

    @property
    def scan_kind_label(self) -> str:
        """What the stored scan is, as the user reads it (recognised by content, not by its name)."""
        labels = {"application/pdf": _("PDF 文件"), "image/jpeg": _("JPEG 图片"), "image/png": _("PNG 图片")}
        return str(labels.get(self.scan_content_type, self.scan_content_type))

    @property
    def is_paper(self) -> bool:
        return self.source == PledgeSource.PAPER

    @property
    def is_signed(self) -> bool:
        return self.state in SIGNED_STATES

    def get_absolute_url(self) -> str:
        return reverse("pledges:detail", args=[self.pk])


class PledgeNumberCounter(models.Model):
    """The last serial given out for a signing date; locked while a number is taken."""

    day = models.DateField(_("日期"), primary_key=True)
    last = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("承诺编码计数")
        verbose_name_plural = _("承诺编码计数")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


def batch_upload_to(instance: PledgeBatch, filename: str) -> str:
    return f"pledges/batches/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class PledgeBatch(models.Model):
    """A batch print: many pledges of one company as one PDF, built by a Celery task."""

    Status = BatchStatus

    company = models.ForeignKey(Company, verbose_name=_("所属公司"), on_delete=models.PROTECT, related_name="+")
    pledges = models.ManyToManyField(Pledge, verbose_name=_("承诺书"), related_name="batches", blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    # `error` is the short reason users read; `error_detail` the traceback, for administrators only.
    error = models.TextField(_("错误"), blank=True)
    error_detail = models.TextField(_("错误详情"), blank=True)
    # Its pledges are chosen (a page's selection, or a company-wide batch whose missing pledges have all
    # been prepared): a resumed batch prints these, it does not choose again.
    prepared = models.BooleanField(_("已选定承诺书"), default=False)
    # Written while a worker builds it (suizhou_credit.jobs.heartbeat); the sweeper resumes a batch
    # whose heartbeat stopped, counting in `resumes`.
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    resumes = models.PositiveSmallIntegerField(_("自动恢复次数"), default=0)
    output = models.FileField(_("PDF 文件"), upload_to=batch_upload_to, max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    audit_model_name = "pledgebatch"

    class Meta:
        verbose_name = _("批量打印")
        verbose_name_plural = _("批量打印")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.company} {self.created_at:%Y-%m-%d %H:%M} ({self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100

    @property
    def finished(self) -> bool:
        return self.status in (BatchStatus.SUCCEEDED, BatchStatus.FAILED)

    def get_absolute_url(self) -> str:
        return reverse("pledges:batch", args=[self.pk])


class CoverageCount(models.Model):
    """Stored pledge coverage (pledges/coverage.py): a company's figures are the sums of its rows.

    Written only by PostgreSQL triggers on the customers and pledges tables (one row per company a
    statement changed, holding the difference) and by `fold` / `recount`; never edited by hand.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    # The customers' opening date when less than a week before the write or later, else NULL.
    opens_on = models.DateField(null=True, blank=True)
    customers = models.BigIntegerField(default=0, help_text="customers with a USCC, whatever their opening date")
    signed = models.BigIntegerField(default=0, help_text="of them, with a signed (unrevoked) voluntary pledge")

    class Meta:
        verbose_name = _("承诺覆盖统计")
        verbose_name_plural = _("承诺覆盖统计")
