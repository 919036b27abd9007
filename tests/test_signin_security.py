"""Sign-in throttling (django-axes), the idle timeout, sessions that end with the browser, and no caching
of signed-in pages: what a counter PC's next user, or someone guessing passwords, would notice."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from ratings.models import RatingRun
from suizhou_credit.security import LAST_SEEN

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.5  # hours


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def sign_in(client: Client, username: str, password: str, url: str = LOGIN):
    return client.post(url, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return client.get(reverse("reporting:dashboard")).status_code == 200


def test_wrong_passwords_lock_the_user_out_with_a_chinese_message(clerk_city):
    client = client_from("10.0.0.1")
    for _ in range(2):
        assert sign_in(client, "clerk_city", "wrong").status_code == 200  # the form again, with its error
    assert sign_in(client, "clerk_city", "wrong").status_code == 429  # the third locks
    response = sign_in(client, "clerk_city", "pw-clerk_city")  # the right password, too late
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录已被暂时锁定" in html
    assert "连续 3 次密码错误" in html and "30 分钟" in html
    assert not signed_in(client)
    # from another address too: the user name is locked, not only this PC
    assert sign_in(client_from("10.0.0.2"), "clerk_city", "pw-clerk_city").status_code == 429


def test_one_address_guessing_many_names_is_locked_out(clerk_city, clerk_county):
    client = client_from("10.0.0.3")
    for name in ("wang", "liu", "zhang"):
        sign_in(client, name, "123456")
    assert sign_in(client, "clerk_county", "pw-clerk_county").status_code == 429
    other = client_from("10.0.0.4")
    assert sign_in(other, "clerk_county", "pw-clerk_county").status_code == 302
    assert signed_in(other)


def test_a_right_password_before_the_limit_resets_the_count(clerk_city):
    client = client_from("10.0.0.5")
    sign_in(client, "clerk_city", "wrong")
    sign_in(client, "clerk_city", "wrong")
    assert sign_in(client, "clerk_city", "pw-clerk_city").status_code == 302
    client.post(reverse("logout"))
    sign_in(client, "clerk_city", "wrong")
    sign_in(client, "clerk_city", "wrong")
    assert sign_in(client, "clerk_city", "pw-clerk_city").status_code == 302


def test_the_admin_login_is_throttled_too():
    User.objects.create_superuser("root", password="pw-root-long-enough")
    client = client_from("10.0.0.6")
    for _ in range(3):
        sign_in(client, "root", "wrong", ADMIN_LOGIN)
    response = sign_in(client, "root", "pw-root-long-enough", ADMIN_LOGIN)
    assert response.status_code == 429
    assert "登录已被暂时锁定" in response.content.decode()


def test_attempts_are_logged_and_an_administrator_unlocks(clerk_city):
    client = client_from("10.0.0.7")
    for _ in range(3):
        sign_in(client, "clerk_city", "wrong")
    attempt = AccessAttempt.objects.get(username="clerk_city")
    assert attempt.failures_since_start == 3 and attempt.ip_address == "10.0.0.7"
    assert sign_in(client, "clerk_city", "pw-clerk_city").status_code == 429

    call_command("axes_reset_username", "clerk_city")
    call_command("axes_reset_ip", "10.0.0.7")
    assert sign_in(client, "clerk_city", "pw-clerk_city").status_code == 302
    assert AccessLog.objects.filter(username="clerk_city", ip_address="10.0.0.7").exists()  # the success


def test_behind_a_proxy_the_forwarded_address_counts(settings, clerk_city):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.8")
    sign_in(client, "nobody", "x")
    assert AccessAttempt.objects.get(username="nobody").ip_address == "203.0.113.8"


def test_the_session_cookie_ends_with_the_browser(clerk_city):
    client = client_from("10.0.1.1")
    response = sign_in(client, "clerk_city", "pw-clerk_city")
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_idle_for_longer_than_the_timeout_signs_out(settings, client, clerk_city):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(clerk_city)
    assert signed_in(client)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    url = reverse("customers:list")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}"
    page = client.get(response["Location"]).content.decode()
    assert "您已 30 分钟未操作，已自动退出登录，请重新登录。" in page
    assert not signed_in(client)


def test_activity_keeps_the_session_and_polling_does_not(settings, client, clerk_city):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(clerk_city)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 29 * 60
    session.save()
    assert signed_in(client)  # a request of the user: the clock starts again
    assert client.session[LAST_SEEN] >= int(time.time()) - 5

    run = RatingRun.objects.create(as_of="2026-10-31", status=RatingRun.Status.RUNNING)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 29 * 60
    session.save()
    progress = reverse("ratings:run_progress", args=[run.pk])
    assert client.get(progress).status_code == 200
    assert client.session[LAST_SEEN] <= int(time.time()) - 29 * 60  # the page's polling is not activity
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(progress)
    assert response.status_code == 401 and "登录已超时" in response.json()["error"]


def test_signed_in_pages_are_never_cached(client, clerk_city, city_customer):
    client.force_login(clerk_city)
    for url in (
        reverse("customers:detail", args=[city_customer.account_no]),
        reverse("customers:file_pdf", args=[city_customer.account_no]),
        reverse("customers:list"),
    ):
        assert client.get(url)["Cache-Control"] == "private, no-store", url


def test_the_administrator_sees_and_clears_lockouts_in_the_admin_in_chinese(clerk_city):
    for _ in range(3):
        sign_in(client_from("10.0.2.1"), "clerk_city", "wrong")
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password="pw-root-long-enough"))
    index = admin.get("/admin/").content.decode()
    assert "登录安全" in index and "登录失败记录（锁定）" in index and "登录日志" in index
    attempt = AccessAttempt.objects.get(username="clerk_city")
    listing = admin.get("/admin/axes/accessattempt/").content.decode()
    assert "clerk_city" in listing and "失败次数" in listing
    response = admin.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert sign_in(client_from("10.0.2.1"), "clerk_city", "pw-clerk_city").status_code == 302  # unlocked
