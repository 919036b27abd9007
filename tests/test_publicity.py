"""宣传与工作动态 (Annex 2, tasks 10 and 12): a clerk logs an item with its occasion, channels, link and photos
(checked by content); the list per company and month, export; scoped and role-checked."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from customers.models import AuditEntry
from reporting import publicity
from reporting.models import Occasion, PublicityItem
from tests import factories

pytestmark = pytest.mark.django_db


def _png(name="现场.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _form(company, **over):
    data = {
        "company": str(company.pk),
        "published_on": timezone.localdate().isoformat(),
        "kind": "activity",
        "occasion": str(Occasion.objects.get(name="世界水日").pk),
        "channels": ["wechat", "outreach"],
        "title": "世界水日诚信用水进社区",
        "text": "在白云社区开展诚信用水宣传，发放资料200份。",
        "link": "https://mp.weixin.qq.com/s/abc",
    }
    data.update(over)
    return data


def test_migration_holds_the_occasions():
    assert {"世界水日", "中国水周", "诚信宣传月"} <= set(Occasion.objects.values_list("name", flat=True))
    assert Occasion.objects.get(name="世界水日").when == "3月22日"


def test_clerk_logs_an_item_with_photos(login, clerk_city):
    city = factories.company("city")
    client = login(clerk_city)
    response = client.post(reverse("reporting:work_publicity_new"), {**_form(city), "files": [_png(), _png("b.png")]})
    item = PublicityItem.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert item.number == f"XC-CITY-{timezone.localdate():%Y%m}-001"
    assert item.channels_text == "“随州水务”微信公众号、进企业/进社区" and item.files.count() == 2
    assert AuditEntry.objects.filter(model="publicity", object_id=item.number).exists()
    page = client.get(item.get_absolute_url()).content.decode()
    assert "世界水日（3月22日）" in page and "https://mp.weixin.qq.com/s/abc" in page
    stored = item.files.first()
    photo = client.get(reverse("reporting:work_publicity_file", args=[item.number, stored.pk]))
    assert photo["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    "over, field, message",
    [
        ({"channels": []}, "channels", "请至少选择一个宣传渠道"),
        ({"link": "javascript:alert(1)"}, "link", "链接"),
        ({"published_on": "2999-01-01"}, "published_on", "晚于今天"),
        ({"title": ""}, "title", "请填写标题"),
        ({"kind": "x"}, "kind", "请选择类别"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(login, clerk_city, over, field, message):
    response = login(clerk_city).post(reverse("reporting:work_publicity_new"), _form(factories.company("city"), **over))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not PublicityItem.objects.exists()


def test_a_renamed_file_is_refused_and_nothing_is_stored(login, clerk_city, media_root):
    fake = SimpleUploadedFile("photo.png", b"not an image at all" * 50, content_type="image/png")
    response = login(clerk_city).post(
        reverse("reporting:work_publicity_new"), {**_form(factories.company("city")), "files": [_png(), fake]}
    )
    assert response.status_code == 400 and "只接受 PDF、JPEG 或 PNG 文件" in " ".join(
        response.context["form"].errors["files"]
    )
    assert not PublicityItem.objects.exists() and not any(p.is_file() for p in media_root.rglob("*"))


def test_list_per_company_and_month_scoped_and_exported(login, clerk_city, clerk_county, supervisor, service_center):
    city, county = factories.company("city"), factories.company("county")
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    common = {"occasion": None, "channels": ["website"], "text": "内容", "link": ""}
    a = publicity.log_item(city, published_on=today, kind="update", title="工作动态一", user=clerk_city, **common)
    b = publicity.log_item(city, published_on=last_month, kind="theme", title="主题宣传", user=clerk_city, **common)
    c = publicity.log_item(county, published_on=today, kind="update", title="随县动态", user=clerk_county, **common)
    url = reverse("reporting:work_publicity")
    boss = login(supervisor)

    def numbers(client, **params):
        return {i.number for i in client.get(url, params).context["page"]}

    assert numbers(boss) == {a.number, b.number, c.number}
    assert numbers(boss, month=f"{today:%Y-%m}", company=str(city.pk)) == {a.number}
    assert numbers(boss, kind="theme") == {b.number}
    assert numbers(login(clerk_county)) == {c.number}
    assert login(clerk_county).get(a.get_absolute_url()).status_code == 404
    centre = login(service_center)
    assert numbers(centre) == {a.number, b.number, c.number}
    assert centre.get(reverse("reporting:work_publicity_new")).status_code == 403
    export = login(clerk_city).get(url, {"export": "xlsx"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("编号", "日期", "所属公司", "类别") and {r[0] for r in rows[1:]} == {a.number, b.number}
