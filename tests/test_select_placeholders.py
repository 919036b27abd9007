"""Selects say what to choose, in Chinese, instead of Django's "---------"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pledges import services

pytestmark = pytest.mark.django_db


def test_forms_with_selects_say_what_to_choose(login, supervisor, city_customer):
    client = login(supervisor)
    pledge = services.prepare_pledge(city_customer, user=supervisor)
    services.mark_printed([pledge])
    pages = [
        reverse("customers:event_create", args=[city_customer.account_no]),
        reverse("pledges:sign", args=[pledge.pk]),
        reverse("customers:list"),
        reverse("repair:queue"),
        reverse("pledges:list"),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "---------" not in html, url
    assert "请选择情节" in client.get(pages[0]).content.decode()
