from __future__ import annotations

from django import template

from customers.roles import is_supervisor

from ..models import RepairRequest
from ..views.common import company_requests

register = template.Library()


@register.simple_tag
def open_repair_count(user) -> int:
    """Open requests (已提交 / 已受理) a supervisor may decide, for the navigation badge; 0 for others."""
    if not is_supervisor(user):
        return 0
    return company_requests(user).filter(status__in=RepairRequest.OPEN_STATUSES).count()
