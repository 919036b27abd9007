"""工作动态 and 宣传 (Annex 2, tasks 10 and 12): each item of the companies' publicity and work updates — its
date, kind, occasion (世界水日, 中国水周, 诚信宣传月…: a list administrators extend), channels, title, text,
link and files (photos or documents, checked like every upload). Written through `reporting.publicity`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Company


class PublicityKind(models.TextChoices):
    UPDATE = "update", _("工作动态")
    THEME = "theme", _("主题宣传")
    ACTIVITY = "activity", _("诚信宣传活动")


class PublicityChannel(models.TextChoices):
    WECHAT = "wechat", _("“随州水务”微信公众号")
    WEBSITE = "website", _("官方网站")
    NEW_MEDIA = "new_media", _("新媒体平台")
    HALL = "hall", _("营业厅")
    OUTREACH = "outreach", _("进企业/进社区")


class Occasion(models.Model):
    """An occasion publicity is tied to (重要节点); administrators add them and retire old ones."""

    name = models.CharField(_("节点名称"), max_length=50, unique=True)
    when = models.CharField(_("时间"), max_length=50, blank=True, help_text=_("如：3月22日"))
    position = models.PositiveIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("宣传节点")
        verbose_name_plural = _("宣传节点")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.when}）" if self.when else self.name


class PublicityItem(models.Model):
    Kind = PublicityKind
    Channel = PublicityChannel

    audit_model_name = "publicity"

    number = models.CharField(_("编号"), max_length=32, unique=True)
    company = models.ForeignKey(Company, verbose_name=_("供水公司"), on_delete=models.PROTECT, related_name="+")
    published_on = models.DateField(_("日期"))
    kind = models.CharField(_("类别"), max_length=16, choices=PublicityKind.choices)
    occasion = models.ForeignKey(
        Occasion, verbose_name=_("宣传节点"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channels = models.JSONField(_("宣传渠道"), default=list)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("内容"))
    link = models.URLField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("宣传与工作动态")
        verbose_name_plural = _("宣传与工作动态")
        ordering = ["-published_on", "-id"]
        indexes = [models.Index(fields=["company", "published_on"], name="publicity_company_day")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("reporting:work_publicity_item", args=[self.number])

    @property
    def audit_key(self) -> str:
        return self.number

    @property
    def channels_text(self) -> str:
        labels = dict(PublicityChannel.choices)
        return "、".join(str(labels.get(c, c)) for c in self.channels)


def publicity_file_path(instance: PublicityFile, filename: str) -> str:
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.content_type, "bin")
    return f"reporting/publicity/{instance.item.number}/{instance.sha256}.{ext}"


class PublicityFile(models.Model):
    """A photo or document of an item (PDF, JPEG or PNG by content, pledges.uploads.check_upload)."""

    item = models.ForeignKey(PublicityItem, verbose_name=_("宣传"), on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to=publicity_file_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("宣传附件")
        verbose_name_plural = _("宣传附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
