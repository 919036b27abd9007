"""Roles are Django groups created by a migration; these helpers are the only way views ask."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

CLERK = "clerk"
SUPERVISOR = "supervisor"
ADMIN = "admin"
# The group's 客户服务中心: follows both companies' credit work (reads, comments); created by a reporting migration.
SERVICE_CENTER = "service_center"
ROLE_LABELS = {
    CLERK: _("客服专员"),
    SUPERVISOR: _("审核主管"),
    ADMIN: _("系统管理员"),
    SERVICE_CENTER: _("客户服务中心"),
}


def role_names(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def is_supervisor(user) -> bool:
    return user.is_authenticated and (user.is_superuser or SUPERVISOR in role_names(user))


def is_staff_member(user) -> bool:
    """Any role that works on credit files (the 客户服务中心 reads them)."""
    return user.is_authenticated and (
        user.is_superuser or bool(role_names(user) & {CLERK, SUPERVISOR, ADMIN, SERVICE_CENTER})
    )


def is_service_center(user) -> bool:
    """The group's 客户服务中心 (or a superuser): reads both companies' credit work and comments on it."""
    return user.is_authenticated and (user.is_superuser or SERVICE_CENTER in role_names(user))


def require_supervisor(user) -> None:
    if not is_supervisor(user):
        raise PermissionDenied(_("只有审核主管可以执行此操作"))


def role_labels(user) -> list[str]:
    return [str(ROLE_LABELS[r]) for r in (CLERK, SUPERVISOR, ADMIN, SERVICE_CENTER) if r in role_names(user)]
