"""The credit file: companies, customers, bills, recorded events, and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .money import format_yuan
from .uscc import USCC_KIND_CHOICES, uscc_kind


class Company(models.Model):
    """One of the group's two water companies."""

    CITY = "city"
    COUNTY = "county"
    CODE_CHOICES = [(CITY, _("城市供水公司")), (COUNTY, _("随县供水公司"))]

    code = models.CharField(_("代码"), max_length=16, unique=True, choices=CODE_CHOICES)
    name = models.CharField(_("简称"), max_length=100)
    registered_name = models.CharField(_("登记名称"), max_length=200, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        related_name="companies",
        blank=True,
    )

    class Meta:
        verbose_name = _("供水公司")
        verbose_name_plural = _("供水公司")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet):
    def for_user(self, user) -> CustomerQuerySet:
        """The one place that scopes customers to the companies a user belongs to."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(company__in=company_ids_for(user))


def company_ids_for(user) -> list[int]:
    """Ids of the companies whose customers `user` may see (cached on the user)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_company_ids", None)
    if cached is None:
        if user.is_superuser:
            cached = list(Company.objects.values_list("id", flat=True))
        else:
            cached = list(user.companies.values_list("id", flat=True))
        user._company_ids = cached
    return cached


class Customer(models.Model):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"
    PAYMENT_MODE_CHOICES = [(PREPAID, _("预存")), (POSTPAID, _("后付"))]

    account_no = models.CharField(_("户号"), max_length=32, unique=True)
    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    kind = models.CharField(_("主体类型"), max_length=16, choices=USCC_KIND_CHOICES, blank=True)
    company = models.ForeignKey(Company, verbose_name=_("所属公司"), on_delete=models.PROTECT, related_name="customers")
    opened_on = models.DateField(_("立户日期"))
    payment_mode = models.CharField(_("缴费方式"), max_length=8, choices=PAYMENT_MODE_CHOICES)
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("用水地址"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    # The import that created this record (its file, who, when): the audit trail of a created record
    # (updates keep their before/after entries). No constraint or index: written a million at a time.
    import_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("新建时的导入"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("供水客户")
        verbose_name_plural = _("供水客户")
        ordering = ["account_no"]
        indexes = [
            models.Index(fields=["company", "account_no"], name="customer_company_account"),
            models.Index(fields=["company", "payment_mode", "account_no"], name="customer_company_mode"),
            models.Index(fields=["opened_on"], name="customer_opened_on"),  # coverage: those not yet opened
        ]

    def __str__(self) -> str:
        return f"{self.account_no} {self.name}"

    def save(self, *args, **kwargs):
        self.kind = uscc_kind(self.uscc)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.account_no])


class Bill(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="bills")
    period = models.CharField(_("账期"), max_length=7, help_text="YYYY-MM")
    amount = models.DecimalField(_("应缴金额"), max_digits=14, decimal_places=2)
    due_on = models.DateField(_("缴费期限"))
    paid_on = models.DateField(_("缴费日期"), null=True, blank=True)
    # Set when an approved credit-repair request covers this bill's late payment.
    repaired_at = models.DateTimeField(_("信用修复时间"), null=True, blank=True)
    # The import that created this record (its file, who, when): the audit trail of a created record
    # (updates keep their before/after entries). No constraint or index: written a million at a time.
    import_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("新建时的导入"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("账单")
        verbose_name_plural = _("账单")
        ordering = ["customer", "-period"]
        constraints = [models.UniqueConstraint(fields=["customer", "period"], name="bill_customer_period")]
        indexes = [
            models.Index(fields=["customer", "due_on"], name="bill_customer_due"),
            models.Index(
                fields=["due_on", "customer"], condition=models.Q(paid_on__isnull=True), name="bill_unpaid_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.account_no} {self.period}"

    def overdue_on(self, day) -> bool:
        """Unpaid at `day` although due before it (annex4-rules.md, "overdue bills")."""
        return self.due_on < day and (self.paid_on is None or self.paid_on > day)

    def paid_late(self) -> bool:
        return self.paid_on is not None and self.paid_on > self.due_on


class EventType(models.TextChoices):
    LATE_PAYMENT = "late_payment", _("未按约定缴纳水费")
    CONTRACT_VIOLATION = "contract_violation", _("违约用水")
    WATER_THEFT = "water_theft", _("窃水")
    DISHONESTY_GENERAL = "dishonesty_general", _("一般失信行为")
    DISHONESTY_SERIOUS = "dishonesty_serious", _("较重失信行为")
    PIPE_OUTAGE = "pipe_outage", _("造成公用管网停水")
    FACILITY_DAMAGE = "facility_damage", _("故意破坏供水设施")
    USAGE_MISREPRESENTATION = "usage_misrepresentation", _("歪曲用水量或用水行为")
    SAFETY_HAZARD_UNRECTIFIED = "safety_hazard_unrectified", _("未及时整改用水安全隐患")
    METER_FAULT_REFUSED = "meter_fault_refused", _("计量装置故障拒不整改/补缴")
    PROTECTION_ZONE_VIOLATION = "protection_zone_violation", _("保护范围内违章作业拒不接受劝阻")
    AGREEMENT_REFUSAL = "agreement_refusal", _("拒不履行用水方案/协议")
    ORDER_DISRUPTION = "order_disruption", _("扰乱供水企业秩序")


class Severity(models.TextChoices):
    MINOR = "minor", _("情节较轻，主动赔偿")
    SERIOUS = "serious", _("情节较重")


# Which optional fields each event type requires or allows (data-contract.md).
EVENT_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    EventType.WATER_THEFT: ("amount",),
    EventType.PIPE_OUTAGE: ("pipe_diameter_mm",),
    EventType.FACILITY_DAMAGE: ("severity",),
}
EVENT_ALLOWED_FIELDS: dict[str, tuple[str, ...]] = {
    EventType.WATER_THEFT: ("amount",),
    EventType.PIPE_OUTAGE: ("pipe_diameter_mm", "force_majeure"),
    EventType.FACILITY_DAMAGE: ("severity",),
}
EVENT_TYPE_FIELDS = ("amount", "pipe_diameter_mm", "force_majeure", "severity")
PIPE_DIAMETER_RANGE = (15, 3000)


class EventQuerySet(models.QuerySet):
    def active(self) -> EventQuerySet:
        """Events that still stand: neither voided nor repaired."""
        return self.filter(voided_at__isnull=True, repaired_at__isnull=True)


class Event(models.Model):
    ref = models.CharField(_("单据编号"), max_length=64, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="events")
    type = models.CharField(_("类型"), max_length=32, choices=EventType.choices)
    occurred_on = models.DateField(_("发生日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    pipe_diameter_mm = models.PositiveIntegerField(_("管径（mm）"), null=True, blank=True)
    force_majeure = models.BooleanField(_("不可抗力"), default=False)
    severity = models.CharField(_("情节"), max_length=8, choices=Severity.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作废人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_reason = models.TextField(_("作废原因"), blank=True)
    # Set when an approved credit-repair request covers this record (repair app).
    repaired_at = models.DateTimeField(_("信用修复时间"), null=True, blank=True)
    # The import that created this record (its file, who, when): the audit trail of a created record
    # (updates keep their before/after entries). No constraint or index: written a million at a time.
    import_job = models.ForeignKey(
        "ImportJob",
        verbose_name=_("新建时的导入"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("信用事件")
        verbose_name_plural = _("信用事件")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["customer", "occurred_on"], name="event_customer_date")]

    def __str__(self) -> str:
        return f"{self.ref} {self.get_type_display()}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def is_repaired(self) -> bool:
        return self.repaired_at is not None

    def detail_text(self) -> str:
        """The type-specific fields in words, for lists."""
        parts = []
        if self.amount is not None:
            parts.append(_("金额 %(amount)s 元") % {"amount": format_yuan(self.amount)})
        if self.pipe_diameter_mm is not None:
            parts.append(_("管径 %(d)s mm") % {"d": self.pipe_diameter_mm})
        if self.force_majeure:
            parts.append(str(_("不可抗力")))
        if self.severity:
            parts.append(str(self.get_severity_display()))
        return "；".join(str(p) for p in parts)


class AuditEntryQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("audit entries cannot be deleted")

    def update(self, **kwargs):
        raise PermissionError("audit entries cannot be changed")


class AuditEntry(models.Model):
    """One write to a credit record: who (user, command or task), when, before and after.

    Append-only: the model refuses updates and deletes, and the admin shows it read-only.
    """

    CREATE = "create"
    UPDATE = "update"
    VOID = "void"
    REPAIR = "repair"
    ACTION_CHOICES = [(CREATE, _("新建")), (UPDATE, _("修改")), (VOID, _("作废")), (REPAIR, _("信用修复"))]

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.CharField(_("操作者"), max_length=150, help_text=_("用户名，或命令/任务名"))
    action = models.CharField(_("操作"), max_length=16, choices=ACTION_CHOICES)
    model = models.CharField(_("对象类型"), max_length=32)
    object_id = models.CharField(_("对象编号"), max_length=64)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        db_index=False,
    )
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="audit_customer_at")]

    def __str__(self) -> str:
        """In Chinese, as the history reads: "2026-12-04 15:30 陈静 新建 供水客户 011500001" (customers.audit)."""
        from . import audit

        return audit.entry_text(self)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries cannot be deleted")

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that differs."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*after.keys(), *before.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class ImportJob(models.Model):
    """One import of a billing file, from the import page (queued on Celery) or `import_records`:
    the file, who and when, its progress while it runs and its result. Every import is one row of
    the import history; the audit entries it writes name its file (their note) and its time."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        SUCCEEDED = "succeeded", _("已导入")
        INVALID = "invalid", _("有错误，未导入")
        FAILED = "failed", _("失败")

    class Phase(models.TextChoices):
        WAITING = "", _("等待开始")
        READING = "reading", _("读取并逐行校验")
        CHECKING = "checking", _("与数据库核对")
        WRITING = "writing", _("写入")
        DONE = "done", _("结束")

    class Source(models.TextChoices):
        PAGE = "page", _("导入页面")
        COMMAND = "command", _("命令行 import_records")

    KIND_CHOICES = [("customers", _("客户档案")), ("bills", _("账单")), ("events", _("信用事件"))]
    FINISHED = (State.SUCCEEDED, State.INVALID, State.FAILED)

    kind = models.CharField(_("导入内容"), max_length=16, choices=KIND_CHOICES)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.PAGE)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True)
    phase = models.CharField(_("阶段"), max_length=16, choices=Phase.choices, default=Phase.WAITING, blank=True)
    file = models.FileField(_("上传的文件"), upload_to="imports/%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.BigIntegerField(_("文件大小"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.CharField(_("操作者"), max_length=150, help_text=_("用户名，或命令名"))
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    rows_read = models.PositiveIntegerField(_("已读取行数"), default=0)
    rows_checked = models.PositiveIntegerField(_("已校验行数"), default=0)
    rows_written = models.PositiveIntegerField(_("已写入行数"), default=0)
    created = models.PositiveIntegerField(_("新建"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    message = models.TextField(_("说明"), blank=True, help_text=_("失败时给用户看的原因"))

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}（{self.get_state_display()}）"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED

    def get_absolute_url(self) -> str:
        return reverse("customers:import_job", args=[self.pk])


class ImportJobError(models.Model):
    """One invalid cell of an import that wrote nothing: `row N, column NAME: reason`, kept for the
    history and its error file (written in the order the command prints them)."""

    job = models.ForeignKey(ImportJob, verbose_name=_("导入记录"), on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=255)
    reason = models.TextField(_("原因"))

    class Meta:
        verbose_name = _("导入错误")
        verbose_name_plural = _("导入错误")
        ordering = ["job", "id"]
