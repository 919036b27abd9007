"""Django admin for administrators: users with roles and companies, and credit records that
cannot be deleted; the audit log is read-only; customer edits here are audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from customers.models import AuditEntry, Bill, Company, Customer, Event
from tests import factories


@pytest.fixture
def administrator(db):
    return factories.user(
        "sysadmin", roles=("admin",), companies=("city", "county"), is_staff=True, is_superuser=True, first_name="张伟"
    )


@pytest.fixture
def admin_client(login, administrator):
    return login(administrator)


def test_clerk_cannot_enter_the_admin(login, clerk_city):
    response = login(clerk_city).get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_admin_index_is_in_chinese(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "随州水务 供水信用管理系统" in html
    assert "操作日志" in html and "供水客户" in html and "信用事件" in html


def test_user_change_page_shows_roles_and_company_memberships(admin_client, clerk_city):
    response = admin_client.get(reverse("admin:auth_user_change", args=[clerk_city.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "所属公司" in html
    assert "Company_members-TOTAL_FORMS" in html  # the membership inline's formset
    assert "城市供水公司" in html
    assert "Company_members object" not in html  # each row names its company


def test_user_list_shows_role_and_company(admin_client, clerk_city, clerk_county):
    html = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "客服专员" in html and "随县供水公司" in html
    county = Company.objects.get(code="county")
    filtered = admin_client.get(reverse("admin:auth_user_changelist"), {"companies__id__exact": county.pk})
    assert "clerk_county" in filtered.content.decode()
    assert "clerk_city" not in filtered.content.decode()


def test_admin_moves_a_user_to_the_other_company(admin_client, clerk_city):
    """Membership is managed on the user's page: the inline formset adds and removes companies."""
    url = reverse("admin:auth_user_change", args=[clerk_city.pk])
    city, county = Company.objects.get(code="city"), Company.objects.get(code="county")
    membership = Company.members.through.objects.get(user=clerk_city, company=city)
    prefix = "Company_members-"
    data = {
        "username": clerk_city.username,
        "first_name": clerk_city.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": [g.pk for g in clerk_city.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        prefix + "TOTAL_FORMS": "2",
        prefix + "INITIAL_FORMS": "1",
        prefix + "MIN_NUM_FORMS": "0",
        prefix + "MAX_NUM_FORMS": "1000",
        prefix + "0-id": membership.pk,
        prefix + "0-user": clerk_city.pk,
        prefix + "0-company": city.pk,
        prefix + "0-DELETE": "on",
        prefix + "1-user": clerk_city.pk,
        prefix + "1-company": county.pk,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(User.objects.get(pk=clerk_city.pk).companies.values_list("code", flat=True)) == ["county"]


def test_audit_list_filters_and_search(admin_client, city_customer):
    factories.event(city_customer, "water_theft", amount="500.00")
    AuditEntry.objects.create(
        actor="clerk_city", action=AuditEntry.VOID, model="event", object_id="EV-XYZ", customer=city_customer
    )
    AuditEntry.objects.create(actor="command:import_records", action=AuditEntry.CREATE, model="bill", object_id="42")
    url = reverse("admin:customers_auditentry_changelist")

    def rows(**params) -> str:
        html = admin_client.get(url, params).content.decode()
        return html[html.index('id="result_list"') : html.index("</table>", html.index('id="result_list"'))]

    assert "EV-XYZ" in rows() and "系统：导入数据" in rows()
    assert "EV-XYZ" in rows(action="void") and "系统：导入数据" not in rows(action="void")
    assert "系统：导入数据" in rows(model="bill") and "EV-XYZ" not in rows(model="bill")
    assert "EV-XYZ" in rows(actor="clerk_city") and "系统：导入数据" not in rows(actor="clerk_city")
    assert "EV-XYZ" in rows(q="EV-XYZ") and "系统：导入数据" not in rows(q="EV-XYZ")


def test_audit_entry_cannot_be_added_changed_or_deleted_through_the_admin(admin_client):
    entry = AuditEntry.objects.create(actor="system", action=AuditEntry.CREATE, model="customer", object_id="A1")
    assert admin_client.get(reverse("admin:customers_auditentry_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:customers_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    page = admin_client.get(reverse("admin:customers_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    admin_client.post(reverse("admin:customers_auditentry_change", args=[entry.pk]), {"note": "x"})
    changelist = admin_client.post(
        reverse("admin:customers_auditentry_changelist"), {"action": "delete_selected", "_selected_action": [entry.pk]}
    )
    assert changelist.status_code in (200, 302, 403)
    entry.refresh_from_db()
    assert entry.note == ""
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_events_bills_and_customers_cannot_be_deleted(admin_client, city_customer):
    event = factories.event(city_customer, "water_theft", amount="500.00")
    bill = factories.bill(city_customer, "2026-01")
    for name, obj in (("event", event), ("bill", bill), ("customer", city_customer)):
        response = admin_client.post(reverse(f"admin:customers_{name}_delete", args=[obj.pk]), {"post": "yes"})
        assert response.status_code == 403, name
        changelist = admin_client.get(reverse(f"admin:customers_{name}_changelist")).content.decode()
        assert "delete_selected" not in changelist, name
    assert Event.objects.filter(pk=event.pk).exists()
    assert Bill.objects.filter(pk=bill.pk).exists()
    assert Customer.objects.filter(pk=city_customer.pk).exists()


def test_event_page_is_read_only(admin_client, city_customer):
    event = factories.event(city_customer, "pipe_outage", pipe_diameter_mm=200)
    page = admin_client.get(reverse("admin:customers_event_change", args=[event.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:customers_event_add")).status_code == 403


def test_event_list_filters_voided(admin_client, city_customer, supervisor):
    from customers.services import void_event

    standing = factories.event(city_customer, "contract_violation")
    voided = factories.event(city_customer, "order_disruption")
    void_event(voided.pk, user=supervisor, reason="重复录入")
    html = admin_client.get(reverse("admin:customers_event_changelist"), {"state": "voided"}).content.decode()
    assert voided.ref in html and standing.ref not in html


def customer_form(customer: Customer, **changes) -> dict:
    data = {
        "name": customer.name,
        "uscc": customer.uscc,
        "company": customer.company_id,
        "opened_on": customer.opened_on.isoformat(),
        "payment_mode": customer.payment_mode,
        "legal_representative": customer.legal_representative,
        "phone": customer.phone,
        "address": customer.address,
    }
    for prefix in ("events", "bills"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0"})
        data[f"{prefix}-MAX_NUM_FORMS"] = "0"
    data.update(changes)
    return data


def test_customer_edit_is_audited_with_the_admin_as_actor(admin_client, administrator, city_customer):
    url = reverse("admin:customers_customer_change", args=[city_customer.pk])
    response = admin_client.post(
        url, customer_form(city_customer, phone="13912345678", address="随州市曾都区解放路1号")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    city_customer.refresh_from_db()
    assert city_customer.phone == "13912345678"
    entry = AuditEntry.objects.get(model="customer", action=AuditEntry.UPDATE)
    assert (entry.user_id, entry.actor, entry.object_id) == (administrator.pk, "sysadmin", city_customer.account_no)
    changes = {name: (old, new) for name, old, new in entry.changes()}
    assert changes["phone"] == ("", "139****5678")
    assert changes["address"] == ("", "随州市曾都区解放路1号")


def test_customer_edit_refuses_a_bad_uscc(admin_client, city_customer):
    url = reverse("admin:customers_customer_change", args=[city_customer.pk])
    bad = city_customer.uscc[:-1] + ("0" if city_customer.uscc[-1] != "0" else "1")
    response = admin_client.post(url, customer_form(city_customer, uscc=bad))
    assert response.status_code == 200
    assert "校验位不正确" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_customer_account_number_is_read_only_once_created(admin_client, city_customer):
    url = reverse("admin:customers_customer_change", args=[city_customer.pk])
    admin_client.post(url, customer_form(city_customer, account_no="HACKED"))
    city_customer.refresh_from_db()
    assert city_customer.account_no != "HACKED"


def test_company_page_has_member_picker(admin_client):
    city = Company.objects.get(code="city")
    html = admin_client.get(reverse("admin:customers_company_change", args=[city.pk])).content.decode()
    assert 'id="id_members"' in html and "SelectFilter" in html
    assert admin_client.get(reverse("admin:customers_company_add")).status_code == 403
