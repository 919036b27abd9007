"""信用案例 (Annex 2, tasks 6 and 7): a written-up case of the credit work — 分级分类监管, 守信激励, 失信惩戒
or 信用修复 — with the customers and records it concerns, reviewed by a supervisor and reported.

草稿 → 已审核 (a supervisor other than the author) → 已上报 (with the date). States change only through
`reporting.cases`, one function per transition.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Company, Customer, Event


class CaseKind(models.TextChoices):
    GRADED = "graded", _("分级分类监管")
    REWARD = "reward", _("守信激励")
    PUNISH = "punish", _("失信惩戒")
    REPAIR = "repair", _("信用修复")


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEWED = "reviewed", _("已审核")
    REPORTED = "reported", _("已上报")


class CreditCase(models.Model):
    Kind = CaseKind
    Status = CaseStatus

    audit_model_name = "creditcase"

    number = models.CharField(_("案例编号"), max_length=32, unique=True)
    company = models.ForeignKey(Company, verbose_name=_("供水公司"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("案例类型"), max_length=16, choices=CaseKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    occurred_on = models.DateField(_("案例日期"))
    actions = models.TextField(_("主要做法"))
    effect = models.TextField(_("取得成效"))
    customers = models.ManyToManyField(Customer, verbose_name=_("涉及客户"), related_name="credit_cases", blank=True)
    events = models.ManyToManyField(Event, verbose_name=_("涉及信用记录"), related_name="credit_cases", blank=True)
    checks = models.ManyToManyField(
        "reporting.CreditCheck", verbose_name=_("涉及信用核查"), related_name="credit_cases", blank=True
    )
    repairs = models.ManyToManyField(
        "repair.RepairRequest", verbose_name=_("涉及修复申请"), related_name="credit_cases", blank=True
    )
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    created_at = models.DateTimeField(_("撰写时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撰写人"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_on = models.DateField(_("上报日期"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("信用案例")
        verbose_name_plural = _("信用案例")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["company", "occurred_on"], name="case_company_day")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("reporting:work_case", args=[self.number])

    @property
    def audit_key(self) -> str:
        return self.number
