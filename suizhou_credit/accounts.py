"""Staff account basics outside the admin: change one's own password, and a message after signing out."""

from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码: the old password, then the new one twice (AUTH_PASSWORD_VALIDATORS apply); the session stays
    signed in (Django updates its hash), every other session of the user is signed out; then a page says so."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_changed.html"


class LogoutView(auth_views.LogoutView):
    """退出: back to the login page, which says so (the message survives the flushed session in its cookie)."""

    next_page = reverse_lazy("login")

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("您已退出登录。"))
        return response


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its error in Chinese: Django 5.2 changed the message's msgid (%d) and its zh-hans
    catalogue still translates the old one, so the user read "This password is too short…" in English."""

    def get_error_message(self):
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self):
        return _("密码至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
