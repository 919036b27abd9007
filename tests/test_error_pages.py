"""Errors a user can meet render in Chinese in the site's layout, never Django's English pages."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_csrf_failure_is_a_chinese_page(clerk_city, city_customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk_city)
    response = client.post(f"/customers/file/{city_customer.account_no}/events/new/", {"type": "order_disruption"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_server_error_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "系统出现错误" in html
    assert "没有保存任何修改" in html
