"""信用核查 (Annex 2, task 5): a check made on the credit platform for a customer, before a business
matter is handled, and how its result was used (应用情况), which the platform asks back as
信用核查应用反馈.

The business matters (新装用水、过户、增容…) are a table an administrator extends (`CheckMatter`,
seeded by a data migration). Checks change only through `reporting.checks`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class CheckMatter(models.Model):
    """A business matter a check is made for (应用清单事项); administrators add and retire them."""

    name = models.CharField(_("事项名称"), max_length=50, unique=True)
    position = models.PositiveIntegerField(_("排序"), default=100, help_text=_("数字小的排在前面"))
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用后不再出现在新建核查的选项中，已有记录不变"))

    class Meta:
        verbose_name = _("核查事项")
        verbose_name_plural = _("核查事项")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class CheckSource(models.TextChoices):
    """What was consulted on the platform."""

    REPORT = "report", _("公共信用信息报告")
    LICENCE = "licence", _("企业法人公共信用电子证照")
    XYZG = "xyzg", _("信用中国查询")


class CheckResult(models.TextChoices):
    CLEAN = "clean", _("无不良记录")
    DISHONEST = "dishonest", _("有失信记录")
    SERIOUS = "serious", _("被列入严重失信主体名单")
    ABNORMAL = "abnormal", _("有经营异常等其他不良信息")


# Results that a clerk may turn into a credit event (失信行为) of the customer.
DISHONEST_RESULTS = (CheckResult.DISHONEST, CheckResult.SERIOUS)


class CheckUsage(models.TextChoices):
    """应用情况: how the result was used in the matter."""

    FAST_TRACK = "fast_track", _("容缺受理")
    PLEDGE = "pledge", _("告知承诺")
    NORMAL = "normal", _("正常办理")
    SUPERVISE = "supervise", _("加强监管")
    REFUSED = "refused", _("不予受理")
    NO_EFFECT = "no_effect", _("无影响")


def check_attachment_path(instance: CreditCheck, filename: str) -> str:
    # The stored name is the content hash: nothing a user typed ends up in a path.
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.attachment_type, "bin")
    return f"reporting/checks/{instance.number}/{instance.attachment_sha256}.{ext}"


class CreditCheck(models.Model):
    """One check of one customer on the credit platform, with its result and how it was used."""

    Source = CheckSource
    Result = CheckResult
    Usage = CheckUsage

    audit_model_name = "creditcheck"

    number = models.CharField(_("核查编号"), max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="credit_checks"
    )
    checked_on = models.DateField(_("核查日期"))
    matter = models.ForeignKey(CheckMatter, verbose_name=_("核查事项"), on_delete=models.PROTECT, related_name="+")
    sources = models.JSONField(_("核查内容"), default=list)
    result = models.CharField(_("核查结果"), max_length=16, choices=CheckResult.choices)
    usage = models.CharField(_("应用情况"), max_length=16, choices=CheckUsage.choices)
    note = models.TextField(_("结果说明"), blank=True)
    attachment = models.FileField(_("附件"), upload_to=check_attachment_path, max_length=200, blank=True)
    attachment_name = models.CharField(_("附件原文件名"), max_length=200, blank=True)
    attachment_type = models.CharField(_("附件类型"), max_length=40, blank=True)
    attachment_size = models.PositiveIntegerField(_("附件大小"), null=True, blank=True)
    attachment_sha256 = models.CharField(_("附件 SHA-256"), max_length=64, blank=True)
    event = models.OneToOneField(
        "customers.Event",
        verbose_name=_("登记的失信事件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_check",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("信用核查")
        verbose_name_plural = _("信用核查")
        ordering = ["-checked_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "-checked_on"], name="check_customer_day"),
            models.Index(fields=["checked_on"], name="check_day"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("reporting:work_check", args=[self.number])

    @property
    def audit_key(self) -> str:
        return self.number

    @property
    def sources_text(self) -> str:
        labels = dict(CheckSource.choices)
        return "、".join(str(labels.get(s, s)) for s in self.sources)

    @property
    def found_dishonesty(self) -> bool:
        return self.result in DISHONEST_RESULTS
