"""`{{ user|person }}`: a user as the people who read the page know them (陈静), never the login name
unless no name is recorded. A builtin (settings TEMPLATES builtins), so every template has it."""

from django import template

from customers.audit import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    if not user:
        return ""
    return user if isinstance(user, str) else person_name(user)
