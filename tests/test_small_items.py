"""Issue 10's smaller items: criterion codes explained by Annex 4's words, "长期有效" on a pledge without an
end date, amounts with two decimals and grouping, history values that do not break mid-word."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from customers.money import format_yuan
from customers.services import record_event
from ratings import summary
from ratings.models import RatingResult, RatingRun
from repair import services as repair_services
from tests import factories
from tests.pledge_support import signed_on
from tests.repair_support import lodge

pytestmark = pytest.mark.django_db


def test_format_yuan():
    assert format_yuan(Decimal("12000.5")) == "12,000.50"
    assert format_yuan(12000.5) == "12,000.50"
    assert format_yuan("3") == "3.00"
    assert format_yuan(Decimal("1234567.005")) == "1,234,567.01"
    assert format_yuan(None) == ""
    html = Template("{% load money %}{{ v|yuan }}").render(Context({"v": Decimal("12000.5")}))
    assert html == "12,000.50"


def test_criterion_code_tag_gives_annex_4_words():
    html = Template('{% load ratings_tags %}{% criterion_code "R1" %}|{% criterion_codes "R1;Y2" %}').render(Context())
    assert '<abbr class="criterion-code' in html and 'title="拖欠水费6个月及以上"' in html and ">R1</abbr>" in html
    assert 'title="一年内发生2次违约用水或1次窃水的行为(窃水金额1万元以下的)"' in html
    legend = Template("{% load ratings_tags %}{% criteria_legend codes %}").render(Context({"codes": ["R3;Y2", "R1"]}))
    assert legend.index(">R1<") < legend.index(">R3<") and "条款说明" in legend and "拖欠水费6个月及以上" in legend


def test_card_codes_have_tooltips(login, clerk_city, city_customer):
    run = RatingRun.objects.create(as_of=timezone.localdate() - dt.timedelta(days=1), status="succeeded")
    RatingResult.objects.create(run=run, customer=city_customer, level="red", criteria="R1;Y2")
    html = login(clerk_city).get(city_customer.get_absolute_url()).content.decode()
    card = html[html.index('data-testid="rating-card"') :]
    assert 'title="拖欠水费6个月及以上" data-criterion="R1">R1</abbr>' in card
    assert 'title="一年内发生2次违约用水或1次窃水的行为(窃水金额1万元以下的)" data-criterion="Y2">Y2</abbr>' in card


def test_level_list_codes_have_tooltips_and_a_legend(login, clerk_city, city_customer):
    run = RatingRun.objects.create(as_of=timezone.localdate() - dt.timedelta(days=1), status="succeeded")
    RatingResult.objects.create(run=run, customer=city_customer, level="red", criteria="R1;R3")
    summary.count_levels(run.pk)
    html = login(clerk_city).get(reverse("ratings:level", args=["red"]), {"run": run.pk}).content.decode()
    assert 'title="拖欠水费6个月及以上" data-criterion="R1">R1</abbr>' in html
    assert 'data-testid="criteria-legend"' in html and "扰乱供水企业秩序" in html  # R11 in the red legend


def test_pledge_without_end_date_is_long_term(login, clerk_city, city_customer):
    pledge = signed_on(city_customer, clerk_city, timezone.localdate())
    assert pledge.valid_until is None
    html = login(clerk_city).get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
    facts = html[html.index('data-testid="valid-until"') :]
    assert facts.split("</dd>")[0].endswith("长期有效")
    assert "有效期至 长期" not in html


def test_amounts_on_the_credit_file_have_two_decimals(login, clerk_city, city_customer):
    factories.bill(city_customer, "2026-01", amount="12000.5")
    factories.event(city_customer, "water_theft", amount=Decimal("12000.5"))
    html = login(clerk_city).get(city_customer.get_absolute_url()).content.decode()
    assert ">12,000.50</td>" in html  # 应缴金额（元）
    assert "金额 12,000.50 元" in html  # the event's details
    assert "12000.5" not in html


def test_repair_letter_amounts_have_two_decimals(login, clerk_city, supervisor, city_customer, tmp_path):
    theft = factories.event(
        city_customer,
        "water_theft",
        amount=Decimal("12000.5"),
        occurred_on=timezone.localdate() - dt.timedelta(days=40),
    )
    bill = factories.bill(city_customer, "2026-01", amount="12000.5", paid_on=dt.date(2026, 3, 1))
    req = lodge(city_customer, clerk_city, events=[theft], bills=[bill])
    repair_services.accept(req.pk, user=supervisor)
    repair_services.reject(req.pk, user=supervisor, reason="损失尚未赔偿")
    client = login(clerk_city)
    page = client.get(reverse("repair:detail", args=[req.number])).content.decode()
    assert "12,000.50 元" in page and "金额 12,000.50 元" in page
    path = tmp_path / "letter.pdf"
    path.write_bytes(client.get(reverse("repair:letter", args=[req.number])).content)
    text = "".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout.split()
    )
    assert "金额12,000.50元" in text  # the theft
    assert "账单12,000.50元" in text  # the late bill
    assert "12000.5" not in text


def test_history_values_do_not_break_mid_word(login, clerk_city, city_customer):
    record_event(
        city_customer, user=clerk_city, type="water_theft", amount=Decimal("12000.50"), occurred_on=timezone.localdate()
    )
    html = login(clerk_city).get(reverse("customers:history", args=[city_customer.account_no])).content.decode()
    assert 'class="diff-value diff-short"' in html
    assert "text-break" not in html[html.index('data-testid="history"') :]
