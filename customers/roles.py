"""Roles are Django groups created by a migration; these helpers are the only way views ask.

Every view of the product is wrapped in `role_required(level)`, one of three levels:

- READ: any staff role (clerk, supervisor, admin, service centre) or a superuser — files, lists, PDFs;
- CLERK: the clerk's work (record events, prepare / print / sign pledges, lodge repairs, import,
  notices), for a clerk or a supervisor (who does everything a clerk does) or a superuser;
- SUPERVISOR: a supervisor's decisions (void, override, fulfil / revoke, decide repairs, runs, batches).

Order of refusals, the same on every URL: anonymous → the login page; no staff role → 403, before
anything is looked up; then, for a CLERK or SUPERVISOR view of one object, an object outside the
user's companies → 404 (the view's `scope` lookup); then the missing role → 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
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


def is_clerk(user) -> bool:
    """May do a clerk's work: a clerk, a supervisor (everything a clerk does) or a superuser."""
    return user.is_authenticated and (user.is_superuser or bool(role_names(user) & {CLERK, SUPERVISOR}))


def require_supervisor(user) -> None:
    if not is_supervisor(user):
        raise PermissionDenied(_("只有审核主管可以执行此操作"))


def role_labels(user) -> list[str]:
    return [str(ROLE_LABELS[r]) for r in (CLERK, SUPERVISOR, ADMIN, SERVICE_CENTER) if r in role_names(user)]


READ = "read"
CLERK_WORK = "clerk"
SUPERVISOR_WORK = "supervisor"
LEVELS: dict[str, tuple[Callable[[object], bool], object]] = {
    READ: (is_staff_member, _("您的账号尚未分配角色，请联系系统管理员。")),
    CLERK_WORK: (is_clerk, _("只有客服专员或审核主管可以执行此操作")),
    SUPERVISOR_WORK: (is_supervisor, _("只有审核主管可以执行此操作")),
}


def role_required(level: str, *, scope: Callable[..., object] | None = None):
    """The one access check of every view (see the module's docstring for the order of refusals).

    `scope(request, **url_kwargs)` looks the view's object up among the user's companies and raises
    Http404 when it is not there; it runs for CLERK and SUPERVISOR views only, after the staff check.
    """
    allowed, refusal = LEVELS[level]
    read_allowed, read_refusal = LEVELS[READ]

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not read_allowed(user):
                raise PermissionDenied(read_refusal)
            if scope is not None:
                scope(request, **kwargs)
            if not allowed(user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        wrapped.access_level = level
        return wrapped

    return decorator
