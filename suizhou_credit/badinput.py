"""The one character no request may carry: NUL.

PostgreSQL cannot store or even compare text holding NUL (0x00): a NUL that reached a query
raised DataError and the page answered 500, wherever the value came from — a path segment
(`/repair/a%00b/`), a filter of a list (`?q=`, or any field lookup the admin's change lists
accept, `?kind=a%00b`). No page has a use for it, so this refuses it before any view runs:
in the path, the page does not exist (404); in a query parameter, the request is invalid (400,
naming the parameter). Form fields (POST) are checked by their forms, whose message names the
field (customers/validation.py), and the path converters (customers/converters.py) refuse
the other control and bidi characters in keys.
"""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponseBadRequest
from django.template import loader
from django.utils.translation import gettext as _


class RefuseNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "\x00" in request.path_info:
            raise Http404(_("地址中含有空字符（NUL）"))
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                name = key.replace("\x00", "")[:40] or "?"
                reason = _("请求参数 %(name)s 含有空字符（NUL），无法处理") % {"name": name}
                return HttpResponseBadRequest(loader.render_to_string("400.html", {"reason": reason}, request))
        return self.get_response(request)


def _bound_username(form) -> None:
    from customers.validation import harden_text_field

    # The user name is checked before it is looked up: an overlong one made django-axes' record of the
    # failed attempt (varchar 255) fail with a 500. The password is left as typed.
    harden_text_field(form.fields["username"])


class SignInForm(AuthenticationForm):
    """The sign-in form: a user name with a control character or past 150 characters is refused
    with a message and never reaches authentication (nor django-axes' attempt log)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _bound_username(self)


class AdminSignInForm(AdminAuthenticationForm):
    """The admin's sign-in form, bounded as SignInForm."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _bound_username(self)
