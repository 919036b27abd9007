"""Sign-in with hostile user names: a message, never a 500 (django-axes logs each failed attempt)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize(
    "username, message",
    [
        ("x" * 5000, "最多 150 个字符，实际 5000 个"),
        ("陈\u202e静", "不能包含文字方向控制符 U+202E"),
        ("a\x00b", "空字符 NUL"),
    ],
)
def test_a_hostile_user_name_is_refused_with_a_message(client, url, username, message):
    factories.user("chen")
    client.raise_request_exception = False
    response = client.post(url, {"username": username, "password": "pw-chen"})
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.django_db
def test_signing_in_still_works(client):
    factories.user("chen")
    response = client.post(reverse("login"), {"username": "chen", "password": "pw-chen"})
    assert response.status_code == 302
