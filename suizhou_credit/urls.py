from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import accounts
from .badinput import AdminSignInForm, SignInForm

admin.site.site_header = "随州水务 供水信用管理系统"
admin.site.site_title = "供水信用管理"
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="reporting:dashboard", permanent=False)),
    path("", include("reporting.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", accounts.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("customers/", include("customers.urls")),
    path("ratings/", include("ratings.urls")),
    path("pledges/", include("pledges.urls")),
    path("repair/", include("repair.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Uploaded files (pledge scans, evidence, batch PDFs) are never served from MEDIA_URL, not even with
# DEBUG on: only through the scoped views of their apps, which check who is asking.
