"""Contacts, opportunities, orders and the field mapping over HTTP."""

import pytest
from rest_framework.test import APIClient

from leadpool.customers.models import Contact, CustomFieldMapping, Opportunity, Order
from leadpool.fields.models import CustomField


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def customer(make_customer, rep_east):
    return make_customer(owner=rep_east, name="Acme", company="Acme Ltd")


def test_contacts_are_added_the_first_is_primary_and_primacy_moves(rep_east, customer):
    # given
    client = client_for(rep_east)
    base = f"/api/v1/customers/{customer.pk}/contacts/"
    # when
    first = client.post(base, {"name": "Boss", "phone": "13800138000"}, format="json")
    second = client.post(base, {"name": "Buyer", "is_primary": True}, format="json")
    # then
    assert (first.status_code, first.json()["is_primary"]) == (201, True)
    assert (second.status_code, second.json()["is_primary"]) == (201, True)
    assert list(customer.contacts.order_by("id").values_list("name", "is_primary")) == [
        ("Boss", False),
        ("Buyer", True),
    ]
    listed = client.get(base).json()["results"]
    assert sorted(row["name"] for row in listed) == ["Boss", "Buyer"]


def test_a_contact_with_a_bad_phone_is_a_400_and_nothing_is_written(rep_east, customer):
    response = client_for(rep_east).post(
        f"/api/v1/customers/{customer.pk}/contacts/", {"name": "X", "phone": "12"}, format="json"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"phone": ["“12” is not a valid phone number."]}},
    )
    assert Contact.objects.count() == 0


def test_contacts_are_edited_and_removed_by_id_and_the_primary_passes_on(rep_east, customer):
    # given
    boss = Contact.objects.create(customer=customer, name="Boss", is_primary=True)
    buyer = Contact.objects.create(customer=customer, name="Buyer")
    client = client_for(rep_east)
    # when
    edited = client.patch(f"/api/v1/contacts/{buyer.pk}", {"title": "采购经理"}, format="json")
    removed = client.delete(f"/api/v1/contacts/{boss.pk}")
    # then
    assert (edited.status_code, edited.json()["title"]) == (200, "采购经理")
    assert removed.status_code == 204
    assert list(customer.contacts.values_list("name", "is_primary")) == [("Buyer", True)]


def test_someone_elses_customer_parts_are_404(rep_west, customer):
    contact = Contact.objects.create(customer=customer, name="Boss", is_primary=True)
    client = client_for(rep_west)
    assert client.get(f"/api/v1/customers/{customer.pk}/contacts/").status_code == 404
    assert (
        client.patch(f"/api/v1/contacts/{contact.pk}", {"name": "Y"}, format="json").status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/customers/{customer.pk}/orders/", {"lines": []}, format="json"
        ).status_code
        == 404
    )
    assert Contact.objects.get(pk=contact.pk).name == "Boss"


def test_an_opportunity_moves_through_its_stages_and_lost_needs_a_reason(rep_east, customer):
    # given
    client = client_for(rep_east)
    created = client.post(
        f"/api/v1/customers/{customer.pk}/opportunities/",
        {"name": "ERP rollout", "amount": "120000", "stage": "proposal", "probability": 40},
        format="json",
    )
    opportunity_url = f"/api/v1/opportunities/{created.json()['id']}"
    # when
    no_reason = client.patch(opportunity_url, {"stage": "lost"}, format="json")
    lost = client.patch(
        opportunity_url, {"stage": "lost", "lost_reason": "预算取消"}, format="json"
    )
    # then
    assert created.status_code == 201
    assert (created.json()["amount"], created.json()["stage"]) == ("120000.00", "proposal")
    assert (no_reason.status_code, no_reason.json()) == (
        400,
        {"errors": {"lost_reason": ["Say why it was lost."]}},
    )
    assert lost.status_code == 200
    assert (lost.json()["stage"], lost.json()["probability"], lost.json()["lost_reason"]) == (
        "lost",
        0,
        "预算取消",
    )
    assert lost.json()["closed_at"] is not None
    assert not Opportunity.objects.get().is_open


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"lines": []}, {"lines": ["An order needs at least one line."]}),
        (
            {"currency": "XYZ", "lines": [{"product_name": "A", "quantity": 1, "unit_price": 1}]},
            {"currency": ["“XYZ” is not a currency we know; use an ISO code such as CNY or USD."]},
        ),
        (
            {"lines": [{"product_name": "A", "quantity": "-2", "unit_price": "5"}]},
            {"lines.0.quantity": ["Enter an amount above 0."]},
        ),
        (
            {"lines": [{"product_name": "A", "quantity": "2", "unit_price": "-5"}]},
            {"lines.0.unit_price": ["Enter an amount of 0 or more."]},
        ),
    ],
)
def test_bad_orders_are_400_naming_the_field_and_nothing_is_written(
    rep_east, customer, body, errors
):
    response = client_for(rep_east).post(
        f"/api/v1/customers/{customer.pk}/orders/", body, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert Order.objects.count() == 0


def test_an_order_is_placed_read_and_its_status_changed(rep_east, customer):
    # given
    client = client_for(rep_east)
    placed = client.post(
        f"/api/v1/customers/{customer.pk}/orders/",
        {
            "number": "PO-1",
            "date": "2026-11-01",
            "lines": [
                {"product_name": "A", "quantity": "2", "unit_price": "10.25"},
                {"product_name": "B", "quantity": "1", "unit_price": "5"},
            ],
        },
        format="json",
    )
    # when
    paid = client.patch(f"/api/v1/orders/{placed.json()['id']}", {"status": "paid"}, format="json")
    again = client.post(
        f"/api/v1/customers/{customer.pk}/orders/",
        {"number": "PO-1", "lines": [{"product_name": "A", "quantity": 1, "unit_price": 1}]},
        format="json",
    )
    # then
    assert (placed.status_code, placed.json()["amount"], placed.json()["number"]) == (
        201,
        "25.50",
        "PO-1",
    )
    assert (paid.status_code, paid.json()["status"]) == (200, "paid")
    assert (again.status_code, again.json()) == (
        400,
        {"errors": {"number": ["There is already an order PO-1."]}},
    )
    assert [
        o["number"]
        for o in client.get(f"/api/v1/customers/{customer.pk}/orders/").json()["results"]
    ] == ["PO-1"]


def test_admins_map_fields_others_may_not_and_incompatible_types_are_refused(admin, rep_east):
    # given
    level = CustomField.objects.create(
        entity="lead", key="level", label="Level", type="choice", choices=["A", "B"]
    )
    grade = CustomField.objects.create(
        entity="customer", key="grade", label="Grade", type="choice", choices=["A", "B", "C"]
    )
    flag = CustomField.objects.create(entity="customer", key="vip", label="VIP", type="boolean")
    # when
    denied = client_for(rep_east).post(
        "/api/v1/field-mappings/",
        {"lead_field": level.pk, "customer_field": grade.pk},
        format="json",
    )
    wrong = client_for(admin).post(
        "/api/v1/field-mappings/",
        {"lead_field": level.pk, "customer_field": flag.pk},
        format="json",
    )
    mapped = client_for(admin).post(
        "/api/v1/field-mappings/",
        {"lead_field": level.pk, "customer_field": grade.pk},
        format="json",
    )
    # then
    assert denied.status_code == 403
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"errors": {"customer_field": ["A Single choice field cannot fill a Yes/no field."]}},
    )
    assert (mapped.status_code, mapped.json()["customer_field"]) == (201, grade.pk)
    assert CustomFieldMapping.objects.count() == 1
    listed = client_for(rep_east).get("/api/v1/field-mappings/").json()["results"]
    assert [(m["lead_field"], m["customer_field"]) for m in listed] == [(level.pk, grade.pk)]
