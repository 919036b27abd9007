"""Credit repair (信用修复) and objection (异议) requests, their evidence, and the restrictions they lift.

State changes go through `repair.services` (one function per transition); nothing here sets a status.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Bill, Company, Customer, Event


def level_label(level: str) -> str:
    from ratings.models import Level

    return str(dict(Level.choices).get(level, _("未评级")))


class WorkdayOverride(models.Model):
    """An administrator's word on one date: working day or not; wins over the holiday library."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是工作日"), help_text=_("勾选：上班（如调休补班）；不勾选：放假"))
    note = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("如：2027年春节调休上班"))

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {_('上班') if self.is_working_day else _('放假')}"


class NumberCounter(models.Model):
    """The last serial issued for a (prefix, company, day); locked while a number is taken, never decremented."""

    key = models.CharField(_("键"), max_length=40, unique=True)
    last = models.PositiveIntegerField(_("最后序号"), default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")

    def __str__(self) -> str:
        return f"{self.key} {self.last}"


class RepairRequest(models.Model):
    """One request by a customer: repair of its records, or an objection to them."""

    audit_model_name = "repair"  # how the audit log and the change history name it
    # Keys the workflow logs besides the fields (repair.services), as the change history labels them.
    audit_labels = {
        "evidence": _("证明材料"),
        "pledge_step": _("信用修复承诺书"),
        "bill_corrections": _("更正缴费日期"),
    }

    class Kind(models.TextChoices):
        REPAIR = "repair", _("信用修复")
        OBJECTION = "objection", _("异议")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        ACCEPTED = "accepted", _("已受理")
        REFUSED = "refused", _("不予受理")
        APPROVED = "approved", _("准予修复")
        REJECTED = "rejected", _("不予修复")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED)
    DECIDED_STATUSES = (Status.REFUSED, Status.APPROVED, Status.REJECTED, Status.UPHELD, Status.DISMISSED)

    number = models.CharField(_("申请编号"), max_length=32, unique=True)
    kind = models.CharField(_("申请类型"), max_length=16, choices=Kind.choices)
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="repair_requests"
    )
    # The customer's company when lodged (denormalised for the queue's filter and counts).
    company = models.ForeignKey(Company, verbose_name=_("供水公司"), on_delete=models.PROTECT, related_name="+")
    events = models.ManyToManyField(Event, verbose_name=_("涉及事件"), blank=True, related_name="repair_requests")
    bills = models.ManyToManyField(Bill, verbose_name=_("涉及账单"), blank=True, related_name="repair_requests")
    reason = models.TextField(_("申请理由"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)

    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    accept_by = models.DateField(_("受理期限"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decide_by = models.DateField(_("办结期限"), null=True, blank=True)
    extended_at = models.DateTimeField(_("延期时间"), null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("延期审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    extension_reason = models.TextField(_("延期原因"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("决定理由"), blank=True)
    # Users who lodged or edited the request: none of them may decide it (four eyes).
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("提交/修改人"), related_name="+")

    # The customer's 信用修复型 pledge: required, signed, before a repair can be approved.
    pledge = models.ForeignKey(
        "pledges.Pledge",
        verbose_name=_("信用修复承诺书"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_requests",
        limit_choices_to={"kind": "repair"},
    )
    level_before = models.CharField(_("修复前等级"), max_length=8, blank=True)
    level_after = models.CharField(_("修复后等级"), max_length=8, blank=True)
    # An approved repair: what the records gave at the decision with the repaired ones still counting,
    # for the run's date `level_as_of` ("" = not rated; None = decided before this was kept). The
    # repair's own effect is level_unrepaired → level_after; level_before → level_unrepaired is what
    # other records changed since that run (repair.effect).
    level_unrepaired = models.CharField(_("不计本次修复的评定等级"), max_length=8, null=True, blank=True)
    level_as_of = models.DateField(_("评级基准日"), null=True, blank=True)
    # A decided repair waits here for the next platform batch (reporting-batch.md, sheet 信用修复);
    # the batch builder sets `reported_batch` to its number.
    queued_for_report = models.BooleanField(_("待报送"), default=False)
    reported_batch = models.CharField(_("报送批次"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("信用修复/异议申请")
        verbose_name_plural = _("信用修复/异议申请")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status", "company", "kind"], name="repair_status_company_kind"),
            models.Index(fields=["customer", "-submitted_at"], name="repair_customer_submitted"),
            models.Index(fields=["-decided_at", "-id"], name="repair_decided"),
            models.Index(fields=["-submitted_at", "-id"], name="repair_submitted"),
            models.Index(
                fields=["queued_for_report"], condition=models.Q(queued_for_report=True), name="repair_queued"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("repair:detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED_STATUSES

    @property
    def deadline(self):
        """The date the current step must be done by (None once decided)."""
        if self.status == self.Status.SUBMITTED:
            return self.accept_by
        if self.status == self.Status.ACCEPTED:
            return self.decide_by
        return None

    def is_overdue(self, today) -> bool:
        deadline = self.deadline
        return deadline is not None and today > deadline

    @property
    def level_before_label(self) -> str:
        return level_label(self.level_before)

    @property
    def level_after_label(self) -> str:
        return level_label(self.level_after)

    @property
    def level_sentences(self) -> list[str]:
        """An approved repair's effect on the level, in words (repair.effect); [] otherwise."""
        from .services import decision_sentences

        return decision_sentences(self)

    @property
    def letter_title(self) -> str:
        if self.status == self.Status.REFUSED:
            if self.kind == self.Kind.REPAIR:
                return str(_("信用修复申请不予受理通知书"))
            return str(_("异议申请不予受理通知书"))
        if self.kind == self.Kind.REPAIR:
            return str(_("信用修复决定书"))
        return str(_("异议处理决定书"))


def evidence_path(instance: Evidence, filename: str) -> str:
    # The stored name is the content hash: nothing a user typed ends up in a path.
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.content_type, "bin")
    return f"repair/evidence/{instance.request_id}/{instance.sha256}.{ext}"


class Evidence(models.Model):
    """A file supporting a request (PDF, JPEG or PNG, checked by content); served only to users who see the customer."""

    class Purpose(models.TextChoices):
        EVIDENCE = "evidence", _("证明材料")
        # The signed repair pledge's scan is kept by the pledges app (Pledge.scan); this choice is
        # left for files an administrator may want to tell apart later.
        PLEDGE_SCAN = "pledge_scan", _("已签署的信用修复承诺书")

    request = models.ForeignKey(
        RepairRequest, verbose_name=_("申请"), on_delete=models.PROTECT, related_name="evidence"
    )
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices, default=Purpose.EVIDENCE)
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class RestrictionRelease(models.Model):
    """解除惩戒: the dated end of a yellow/red customer's measures after an approved repair."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="restriction_releases"
    )
    request = models.OneToOneField(
        RepairRequest, verbose_name=_("修复申请"), on_delete=models.PROTECT, related_name="release"
    )
    released_on = models.DateField(_("解除日期"))
    level_before = models.CharField(_("修复前等级"), max_length=8)
    level_after = models.CharField(_("修复后等级"), max_length=8, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("决定人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("解除惩戒")
        verbose_name_plural = _("解除惩戒")
        ordering = ["-released_on", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.released_on:%Y-%m-%d}"

    @property
    def level_before_label(self) -> str:
        return level_label(self.level_before)

    @property
    def level_after_label(self) -> str:
        return level_label(self.level_after)
