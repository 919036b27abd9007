"""The credit file's rating card: badge, criteria in Annex 4's words with their records, gaps,
measures, history, the "按日期评定" box, and computed vs effective level under an override."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry
from ratings.models import LevelOverride, RatingResult, RatingRun
from ratings.overrides import set_override
from tests import factories

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def at_today():
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def make_result(customer, as_of: dt.date, level: str, criteria: str = "", status="succeeded") -> RatingResult:
    run, _ = RatingRun.objects.get_or_create(as_of=as_of, defaults={"status": status})
    return RatingResult.objects.create(run=run, customer=customer, level=level, criteria=criteria)


def file_url(customer, **params) -> str:
    url = reverse("customers:detail", args=[customer.account_no])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def card(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="rating-card"')
    return html[start : html.index('data-testid="events"', start)]


@pytest.fixture
def green_customer(db):
    c = factories.customer("city", account_no="G0001", payment_mode="prepaid")
    factories.bill(c, "2026-10", due_on=dt.date(2026, 10, 25), paid_on=dt.date(2026, 10, 20))
    return c


@pytest.fixture
def red_customer(db):
    c = factories.customer("city", account_no="R0001", payment_mode="postpaid")
    factories.bill(c, "2026-05", amount="320.00", due_on=dt.date(2026, 5, 31))  # six months to the day
    return c


def test_never_rated_customer_is_computed_live_as_of_today(login, clerk_city, green_customer):
    response = login(clerk_city).get(file_url(green_customer))
    assert response.status_code == 200
    rating = response.context["rating"]
    assert (rating.source, rating.as_of, rating.computed, rating.effective) == ("live", TODAY, "green", "green")
    html = card(response)
    assert "实时计算" in html and "2026-11-30" in html
    assert '<span class="badge text-bg-success fs-5 px-3 py-2" data-level="green">绿色</span>' in html
    for code, text in [("G1", "采用预存方式缴纳水费,水费账户无实时欠费行为"), ("G3", "自立户起无违约用水行为")]:
        assert f'data-code="{code}"' in html and text in html
    assert "业务办理绿色通道" in html and "容缺受理" in html  # green measures
    assert "尚无评级批次的结果" in html
    assert not RatingRun.objects.exists() and not RatingResult.objects.exists()  # nothing stored


def test_latest_stored_run_is_shown_with_the_records_behind_each_criterion(login, clerk_city, red_customer):
    make_result(red_customer, dt.date(2026, 10, 31), "blue", "B3;B4")
    make_result(red_customer, TODAY, "red", "R1")
    make_result(red_customer, dt.date(2026, 12, 31), "green", "", status="failed")  # not a stored rating
    response = login(clerk_city).get(file_url(red_customer))
    rating = response.context["rating"]
    assert (rating.source, rating.as_of, rating.computed, rating.criteria) == ("run", TODAY, "red", ("R1",))
    assert not rating.recomputed_differs
    html = card(response)
    assert "评定基准日 2026-11-30" in html and "实时计算" not in html
    assert 'data-level="red">红色</span>' in html and "text-bg-danger" in html
    assert "拖欠水费6个月及以上" in html
    assert "账单 2026-05（缴费期限 2026-05-31，未缴）" in html
    assert "从严审核" in html and "业务办理绿色通道" not in html  # red measures only
    history = [(r.result.run.as_of, r.result.level) for r in response.context["rating_history"]]
    assert history == [(TODAY, "red"), (dt.date(2026, 10, 31), "blue")]  # newest first, failed run left out


def test_a_stored_result_that_no_longer_matches_the_records_says_so(login, supervisor, city_customer):
    event = factories.event(city_customer, "pipe_outage", pipe_diameter_mm=150, occurred_on=dt.date(2026, 2, 1))
    make_result(city_customer, dt.date(2026, 10, 31), "yellow", "Y4")
    event.voided_at, event.voided_by, event.void_reason = timezone.now(), supervisor, "录入错误"
    event.save()
    response = login(supervisor).get(file_url(city_customer))
    assert response.context["rating"].recomputed_differs
    assert response.context["rating"].computed == "yellow"  # the stored level stands until the next run
    assert "该批次评定后档案记录有变更" in card(response)


def test_yellow_badge_has_dark_text(login, clerk_city, city_customer):
    factories.event(city_customer, "pipe_outage", pipe_diameter_mm=160, occurred_on=dt.date(2026, 2, 1))
    html = card(login(clerk_city).get(file_url(city_customer)))
    assert 'class="badge text-bg-warning fs-5 px-3 py-2" data-level="yellow">黄色</span>' in html
    assert "160mm以内" in html and "管径 160 mm" in html
    assert "列为重点监管对象" in html


def test_blue_customer_with_unregulated_records_shows_the_gap(login, clerk_city, city_customer):
    factories.event(city_customer, "contract_violation", occurred_on=dt.date(2026, 6, 1))
    response = login(clerk_city).get(file_url(city_customer))
    assert response.context["rating"].computed == "blue"
    html = card(response)
    assert 'data-testid="gaps"' in html and "附件4未作规定，按蓝色" in html
    assert "常规管理" in html


def test_rate_as_of_a_past_date_is_computed_live_and_not_stored(login, clerk_city, red_customer):
    make_result(red_customer, TODAY, "red", "R1")
    client = login(clerk_city)
    response = client.get(file_url(red_customer, as_of="2026-06-30"))
    rating = response.context["rating"]
    assert (rating.source, rating.as_of, rating.computed) == ("asked", dt.date(2026, 6, 30), "blue")
    html = card(response)
    assert "按 2026-06-30 评定" in html and "实时计算，不保存" in html
    assert 'value="2026-06-30"' in html
    assert RatingRun.objects.count() == 1 and RatingResult.objects.count() == 1
    # the same date again gives the same answer (reproducible)
    again = client.get(file_url(red_customer, as_of="2026-06-30")).context["rating"]
    assert (again.computed, again.criteria) == (rating.computed, rating.criteria)


@pytest.mark.parametrize("value, message", [("2026-02-30", "请输入有效日期"), ("2026-12-01", "不能晚于今天")])
def test_rate_as_of_bad_date_shows_an_error_and_the_current_level(login, clerk_city, green_customer, value, message):
    response = login(clerk_city).get(file_url(green_customer, as_of=value))
    assert response.status_code == 200
    assert response.context["rating"].source == "live"
    assert message in card(response)


def test_customer_not_rated_on_a_date_before_it_opened(login, clerk_city, green_customer):
    html = card(login(clerk_city).get(file_url(green_customer, as_of="2018-12-31")))
    assert "不参与评级" in html and "未评级" in html


def test_override_shows_computed_and_effective_side_by_side(login, supervisor, green_customer):
    set_override(green_customer, "red", "拒不配合安全检查", dt.date(2026, 12, 31), supervisor)
    response = login(supervisor).get(file_url(green_customer))
    rating = response.context["rating"]
    assert (rating.computed, rating.effective) == ("green", "red")
    html = card(response)
    assert 'data-testid="levels-side-by-side"' in html
    assert 'data-testid="computed-level"><span class="badge text-bg-success" data-level="green">绿色' in html
    assert (
        'data-testid="effective-level"><span class="badge text-bg-danger fs-5 px-3 py-2" data-level="red">红色' in html
    )
    assert "人工调整" in html and "拒不配合安全检查" in html and "主管 于 2026-11-30" in html
    assert "有效期至 2026-12-31（含当日）" in html
    assert "从严审核" in html and "业务办理绿色通道" not in html  # the effective level's measures


def test_override_applies_to_history_rows_and_asked_dates_in_force(login, supervisor, green_customer):
    make_result(green_customer, dt.date(2026, 10, 31), "green", "G1;G2;G3;G4")
    LevelOverride.objects.create(
        customer=green_customer,
        level="yellow",
        reason="x",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 10, 31),
        created_by=supervisor,
    )
    client = login(supervisor)
    response = client.get(file_url(green_customer))
    # expired before today, but in force on the run's date: the run's effective level is the override's
    assert response.context["rating"].override.level == "yellow"
    assert response.context["rating"].effective == "yellow"
    assert response.context["rating"].pending_override is None
    [row] = response.context["rating_history"]
    assert row.effective == "yellow"
    on_end = client.get(file_url(green_customer, as_of="2026-10-31")).context["rating"]
    assert on_end.effective == "yellow" and on_end.computed == "green"
    after = client.get(file_url(green_customer, as_of="2026-11-01")).context["rating"]
    assert after.effective == "green"


def test_history_keeps_the_last_twelve_runs(login, clerk_city, green_customer):
    for month in range(1, 14):
        day = dt.date(2025 + (month > 12), (month - 1) % 12 + 1, 28)
        make_result(green_customer, day, "blue" if month % 2 else "green")
    rows = login(clerk_city).get(file_url(green_customer)).context["rating_history"]
    dates = [r.result.run.as_of for r in rows]
    assert len(dates) == 12 and dates == sorted(dates, reverse=True) and dates[0] == dt.date(2026, 1, 28)


def test_only_supervisors_get_the_override_forms(login, clerk_city, supervisor, green_customer):
    assert 'data-testid="override-form"' not in card(login(clerk_city).get(file_url(green_customer)))
    html = card(login(supervisor).get(file_url(green_customer)))
    assert 'data-testid="override-form"' in html and 'data-testid="revoke-form"' not in html
    set_override(green_customer, "yellow", "原因", None, supervisor)
    assert 'data-testid="revoke-form"' in card(login(supervisor).get(file_url(green_customer)))


# --- the override pages ---------------------------------------------------------------------


def override_url(customer) -> str:
    return reverse("ratings:override_set", args=[customer.account_no])


def test_supervisor_sets_an_override_from_the_file(login, supervisor, green_customer):
    client = login(supervisor)
    response = client.post(
        override_url(green_customer), {"level": "yellow", "reason": "用水检查发现隐患", "ends_on": "2027-01-31"}
    )
    assert response.status_code == 302 and response["Location"] == file_url(green_customer)
    page = client.get(file_url(green_customer))
    assert [str(m) for m in page.context["messages"]] == [
        "已将等级人工调整为黄色（有效期至 2027-01-31）。自 2026-11-30 起生效，适用于评定基准日为 2026-11-30 及以后的评级批次。"
    ]
    assert page.context["rating"].effective == "yellow"
    entry = AuditEntry.objects.get(customer=green_customer, model="override")
    assert entry.user == supervisor and entry.after["level"] == "yellow"


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"level": "red", "reason": ""}, "reason", "这个字段是必填项"),
        ({"level": "", "reason": "x"}, "level", "这个字段是必填项"),
        ({"level": "red", "reason": "x", "ends_on": "2026-11-29"}, "ends_on", "截止日期不能早于今天"),
        ({"level": "red", "reason": "x", "ends_on": "31/12/2026"}, "ends_on", "请输入有效日期"),
    ],
)
def test_override_form_errors_name_the_field(login, supervisor, green_customer, data, field, message):
    response = login(supervisor).post(override_url(green_customer), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert not LevelOverride.objects.exists() and not AuditEntry.objects.filter(model="override").exists()


def test_supervisor_revokes_an_override(login, supervisor, green_customer):
    override = set_override(green_customer, "red", "原因", None, supervisor)
    client = login(supervisor)
    url = reverse("ratings:override_revoke", args=[green_customer.account_no, override.pk])
    assert client.post(url, {"revoke-reason": ""}).status_code == 200  # reason required
    response = client.post(url, {"revoke-reason": "复核后确认原评定无误"}, follow=True)
    assert "已撤销人工调整" in response.content.decode()
    assert response.context["rating"].effective == "green"
    again = client.post(url, {"revoke-reason": "再次"}, follow=True)
    assert "已于" in again.content.decode()


def test_override_of_another_customer_is_404(login, supervisor, green_customer, county_customer):
    override = set_override(county_customer, "red", "原因", None, supervisor)
    url = reverse("ratings:override_revoke", args=[green_customer.account_no, override.pk])
    assert login(supervisor).post(url, {"revoke-reason": "x"}).status_code == 404


def test_history_page_shows_override_entries_in_chinese(login, supervisor, green_customer):
    override = set_override(green_customer, "red", "拒不配合安全检查", None, supervisor)
    from ratings.overrides import revoke_override

    revoke_override(override.pk, supervisor, "已整改")
    html = login(supervisor).get(reverse("customers:history", args=[green_customer.account_no])).content.decode()
    assert "等级调整" in html and "调整后等级" in html and "红色" in html
    assert "撤销原因" in html and "已整改" in html and "拒不配合安全检查" in html


def test_amount_in_records_uses_two_decimals(login, clerk_city, city_customer):
    factories.event(city_customer, "water_theft", amount=Decimal("10000.00"), occurred_on=dt.date(2025, 12, 1))
    html = card(login(clerk_city).get(file_url(city_customer)))
    assert "R3" in html and "10,000.00 元" in html
