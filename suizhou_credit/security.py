"""Session hygiene for a shared counter PC: an idle timeout, no caching of signed-in pages, and the
client address django-axes counts failed sign-ins by."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

LAST_SEEN = "last_seen"
TOUCH_EVERY = 60  # seconds


def is_polling(request: HttpRequest) -> bool:
    """A page's own progress polling: not the user's activity (an open run page must not keep a session)."""
    return request.path.endswith("/progress.json")


def start_idle_clock(sender, request, user, **kwargs) -> None:
    """On signing in: the idle clock starts (saved with the new session, not by the next page)."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class IdleTimeoutMiddleware:
    """Signs the user out after SESSION_IDLE_TIMEOUT seconds without a request of theirs.

    The session cookie lasts until the browser closes (SESSION_EXPIRE_AT_BROWSER_CLOSE) and the
    stored session SESSION_COOKIE_AGE (the same timeout) after the last activity, as a backstop.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                if is_polling(request):
                    return JsonResponse({"error": _("登录已超时，请重新登录")}, status=401)
                minutes = max(1, settings.SESSION_IDLE_TIMEOUT // 60)
                messages.info(
                    request, _("您已 %(minutes)d 分钟未操作，已自动退出登录，请重新登录。") % {"minutes": minutes}
                )
                return redirect_to_login(request.get_full_path())
            if not is_polling(request) and (last is None or now - last >= TOUCH_EVERY):
                request.session[LAST_SEEN] = now  # a minute's precision: a burst of requests saves the session once
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: private, no-store` on every response to a signed-in user: credit files, lists,
    PDFs, scans and letters must not come back from a cache or the back button after signing out.
    Static files never get here (WhiteNoise answers them first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/admin/"):
            response["Cache-Control"] = "private, no-store"
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The address failed sign-ins are counted by: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the
    address they put in X-Forwarded-For (the Nth from the right, which the client cannot forge)."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a sign-in while locked out (the site's and the admin's login): a Chinese page, 429."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": max(1, round(settings.AXES_COOLOFF_TIME * 60)),
    }
    return render(request, "registration/locked_out.html", context, status=429)


class AllowedMethodsMiddleware:
    """Only GET, HEAD and POST reach the pages: TRACE, OPTIONS, PUT, DELETE… are 405 (no page, no echo)."""

    ALLOWED = ("GET", "HEAD", "POST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.ALLOWED:
            return HttpResponseNotAllowed(self.ALLOWED)
        return self.get_response(request)
