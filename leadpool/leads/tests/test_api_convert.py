"""POST /api/v1/leads/{id}/convert over HTTP (the service's own tests: test_conversion.py)."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from leadpool.customers.models import Contact, Customer, Order
from leadpool.leads.models import Lead


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def lead(make_lead, lead_pool, rep_east):
    return make_lead(
        pool=lead_pool,
        owner=rep_east,
        name="Wang Fang",
        company="Acme Ltd",
        phone="13900139000",
        source="展会",
    )


def url(lead_id) -> str:
    return f"/api/v1/leads/{lead_id}/convert"


def test_converting_answers_the_customer_contact_and_order(rep_east, lead):
    # when
    response = client_for(rep_east).post(
        url(lead.pk),
        {
            "order": {
                "currency": "CNY",
                "lines": [{"product_name": "Licence", "quantity": "2", "unit_price": "99.50"}],
            }
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get()
    assert (body["created_customer"], body["customer"]["id"], body["customer"]["lead"]) == (
        True,
        customer.pk,
        lead.pk,
    )
    assert (body["customer"]["name"], body["customer"]["owner"], body["customer"]["source"]) == (
        "Acme Ltd",
        rep_east.pk,
        "展会",
    )
    assert [(c["name"], c["is_primary"]) for c in body["customer"]["contacts"]] == [
        ("Wang Fang", True)
    ]
    assert (body["contact"]["name"], body["order"]["amount"], body["order"]["lines"]) == (
        "Wang Fang",
        "199.00",
        [{"product_name": "Licence", "quantity": "2.00", "unit_price": "99.50"}],
    )
    assert "opportunity" not in body
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONVERTED
    # and the lead now says what it became
    assert client_for(rep_east).get(f"/api/v1/leads/{lead.pk}").json()["status"] == "converted"


def test_bad_order_lines_are_a_400_naming_each_and_nothing_is_written(rep_east, lead):
    # when
    response = client_for(rep_east).post(
        url(lead.pk),
        {
            "order": {
                "currency": "ABC",
                "lines": [{"product_name": "X", "quantity": "0", "unit_price": "1"}],
            }
        },
        format="json",
    )
    # then
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": {
                "order.currency": [
                    "“ABC” is not a currency we know; use an ISO code such as CNY or USD."
                ],
                "order.lines.0.quantity": ["Enter an amount above 0."],
            }
        },
    )
    assert (Customer.objects.count(), Order.objects.count(), Contact.objects.count()) == (0, 0, 0)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order": {"lines": []}}, "order.lines"),
        ({"colour": "red"}, "colour"),
        ({"opportunity": {"stage": "lost"}}, "opportunity.lost_reason"),
    ],
)
def test_bad_bodies_are_a_400_naming_the_field(rep_east, lead, body, field):
    response = client_for(rep_east).post(url(lead.pk), body, format="json")
    assert (response.status_code, list(response.json()["errors"])) == (400, [field])
    assert Customer.objects.count() == 0


def test_a_customer_on_file_is_a_400_with_the_duplicates_until_linked(
    rep_east, lead, make_customer
):
    # given
    existing = make_customer(owner=rep_east, company="ACME Co., Ltd.")
    client = client_for(rep_east)
    # when
    refused = client.post(url(lead.pk), {}, format="json")
    linked = client.post(url(lead.pk), {"existing_customer": existing.pk}, format="json")
    # then
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["customer"]
    assert [(m["type"], m["id"]) for m in refused.json()["duplicates"]["results"]] == [
        ("customer", existing.pk)
    ]
    assert (linked.status_code, linked.json()["created_customer"]) == (201, False)
    assert linked.json()["customer"]["id"] == existing.pk


@pytest.mark.parametrize(
    ("situation", "code"), [("converted", "converted"), ("unassigned", "not_owned")]
)
def test_a_refused_conversion_is_a_409_with_its_code(situation, code, pool_admin, lead):
    # given
    if situation == "converted":
        Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.CONVERTED)
    else:
        Lead.objects.filter(pk=lead.pk).update(owner=None, pooled_at=timezone.now())
    # when
    response = client_for(pool_admin).post(url(lead.pk), {}, format="json")
    # then
    assert (response.status_code, response.json()["code"]) == (409, code)
    assert Customer.objects.count() == 0


def test_a_deleted_lead_is_a_409_deleted_for_its_pool_admin(pool_admin, lead):
    Lead.objects.filter(pk=lead.pk).update(deleted_at=timezone.now())
    response = client_for(pool_admin).post(url(lead.pk), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "deleted")


def test_someone_elses_lead_is_a_404(rep_west, lead):
    response = client_for(rep_west).post(url(lead.pk), {"order": "junk"}, format="json")
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})
    assert Customer.objects.count() == 0
