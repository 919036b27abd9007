"""Staff account basics: 修改密码 outside the admin, and 您已退出登录 on the login page after signing out."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = reverse("password_change")
LOGIN = reverse("login")
NEW = "Hubei-Suizhou-2026!"


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_every_page_links_to_password_change_near_logout(clerk_city, login):
    page = login(clerk_city).get(reverse("reporting:dashboard")).content.decode()
    assert f'href="{PASSWORD}" data-testid="nav-password">修改密码</a>' in page
    assert page.index('data-testid="nav-password"') < page.index("退出")


def test_password_page_is_in_chinese_with_the_three_fields(clerk_city, login):
    page = login(clerk_city).get(PASSWORD)
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("旧密码", "新密码", "新密码确认"):
        assert label in html
    assert 'name="old_password"' in html and 'name="new_password1"' in html and 'name="new_password2"' in html
    assert "密码至少需要 8 个字符。" in html and "不能全都是数字" in html  # the validators' help, in Chinese
    assert "password" not in re.sub(r"<[^>]+>", "", html).lower()  # no English in what the user reads


def test_anonymous_is_sent_to_login(client):
    response = client.get(PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_wrong_old_password_names_the_field_and_changes_nothing(clerk_city, login):
    client = login(clerk_city)
    response = client.post(PASSWORD, {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["old_password"]
    assert "旧密码" in form.errors["old_password"][0] and "不正确" in form.errors["old_password"][0]
    assert "旧密码" in response.content.decode()
    clerk_city.refresh_from_db()
    assert clerk_city.check_password("pw-clerk_city")


def test_too_simple_new_password_is_refused_by_the_validators(clerk_city, login):
    client = login(clerk_city)
    response = client.post(
        PASSWORD, {"old_password": "pw-clerk_city", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    text = " ".join(errors)
    assert "太常见" in text and "只包含数字" in text  # CommonPasswordValidator, NumericPasswordValidator
    assert "太常见" in response.content.decode()
    short = client.post(PASSWORD, {"old_password": "pw-clerk_city", "new_password1": "a1!", "new_password2": "a1!"})
    assert short.context["form"].errors["new_password2"] == ["密码太短，至少需要 8 个字符。"]  # MinimumLengthValidator
    mismatch = client.post(
        PASSWORD, {"old_password": "pw-clerk_city", "new_password1": NEW, "new_password2": NEW + "x"}
    )
    assert "不一致" in " ".join(mismatch.context["form"].errors["new_password2"])
    clerk_city.refresh_from_db()
    assert clerk_city.check_password("pw-clerk_city")


def test_success_keeps_the_session_and_the_new_password_logs_in(clerk_city, client):
    assert sign_in(client, "clerk_city", "pw-clerk_city").status_code == 302
    response = client.post(
        PASSWORD, {"old_password": "pw-clerk_city", "new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "密码已修改" in response.content.decode()
    assert client.get(reverse("reporting:dashboard")).status_code == 200  # still signed in

    client.post(reverse("logout"))
    refused = sign_in(client, "clerk_city", "pw-clerk_city")
    assert refused.status_code == 200 and "请输入一个正确的" in refused.content.decode()
    accepted = sign_in(client, "clerk_city", NEW)
    assert accepted.status_code == 302 and accepted["Location"] == reverse("reporting:dashboard")


def test_logout_lands_on_the_login_page_saying_so(clerk_city, login):
    client = login(clerk_city)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain == [(LOGIN, 302)]
    html = response.content.decode()
    assert "您已退出登录。" in html and 'name="username"' in html
    assert client.get(reverse("reporting:dashboard")).status_code == 302  # really signed out
    # Said once: the next visit to the login page has no message.
    assert "您已退出登录" not in client.get(LOGIN).content.decode()
