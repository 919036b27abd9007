"""The task tracker's lists (Annexes 1 and 2 of 随水务〔2023〕39号): the 工作专班 (its leader, the liaison units
and their liaisons) and the key tasks (重点工作) with their content and responsible units. Loaded from the
document by a data migration; administrators edit them in the admin.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Company


class Unit(models.Model):
    """A unit of the group that carries tasks and reports on them (a company, or a department of the group)."""

    name = models.CharField(_("单位名称"), max_length=50, unique=True)
    company = models.OneToOneField(
        Company,
        verbose_name=_("对应供水公司"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tracker_unit",
        help_text=_("两家供水公司各对应一个单位；集团部室留空"),
    )
    position = models.PositiveIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TaskForceMember(models.Model):
    """附件1: a person of the 工作专班 — the leader in charge, or a liaison unit's liaison."""

    class Role(models.TextChoices):
        LEADER = "leader", _("建设工作专班分管领导")
        LIAISON = "liaison", _("协调推进联络单位联络人")

    role = models.CharField(_("职责"), max_length=16, choices=Role.choices)
    name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(
        Unit, verbose_name=_("联络单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="liaisons"
    )
    position = models.PositiveIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("工作专班成员")
        verbose_name_plural = _("工作专班")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.unit}：{self.name}" if self.unit_id else self.name


class KeyTask(models.Model):
    """附件2: one key task, numbered as the document numbers it (序号 1–10 and 12; there is no 11)."""

    number = models.PositiveIntegerField(_("序号"), unique=True)
    title = models.CharField(_("重点工作"), max_length=50)
    content = models.TextField(_("主要内容"))
    responsible = models.CharField(
        _("责任部门（原文）"), max_length=100, help_text=_("附件2 所写的责任部门，如“综合办公室及相关子公司、部室”")
    )
    units = models.ManyToManyField(Unit, verbose_name=_("责任单位"), related_name="tasks")
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("重点工作")
        verbose_name_plural = _("重点工作")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def unit_names(self) -> str:
        return "、".join(unit.name for unit in self.units.all())


class ReportStatus(models.TextChoices):
    REPORTED = "reported", _("已报送")
    COMMENTED = "commented", _("已点评")


class ProgressReport(models.Model):
    """One unit's monthly progress on one of its key tasks: its text, the product's figures for the month as
    they were when it reported (`figures`, reporting.tracker.FIGURES), and the 客户服务中心's comment.

    State changes go through reporting.tracker (submit_report, revise_report, comment_report)."""

    audit_model_name = "progressreport"

    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="reports")
    task = models.ForeignKey(KeyTask, verbose_name=_("重点工作"), on_delete=models.PROTECT, related_name="reports")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    text = models.TextField(_("推进情况"))
    figures = models.JSONField(_("系统数据"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.REPORTED)
    reported_at = models.DateTimeField(_("报送时间"))
    reported_by = models.ForeignKey("auth.User", verbose_name=_("报送人"), on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("客户服务中心意见"), blank=True)
    commented_at = models.DateTimeField(_("点评时间"), null=True, blank=True)
    commented_by = models.ForeignKey(
        "auth.User", verbose_name=_("点评人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("月度推进情况")
        verbose_name_plural = _("月度推进情况")
        ordering = ["month", "task__number", "unit__position"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "task", "month"], name="progress_one_per_unit_task_month")
        ]
        indexes = [models.Index(fields=["month"], name="progress_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月} {self.unit} {self.task}"
