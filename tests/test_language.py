"""The UI is Chinese whatever language the browser asks for (there is no other translation)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["en-US,en;q=0.9", "de-DE", "zh-CN,zh;q=0.9"])
def test_django_strings_are_chinese_for_any_browser_language(client, accept):
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE=accept)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct" not in body
    assert "请输入一个正确的" in body
    assert response.headers["Content-Language"] == "zh-hans"
