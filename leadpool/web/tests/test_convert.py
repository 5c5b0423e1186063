"""Converting a lead from its page: new customer or link to one on file, optional order."""

from decimal import Decimal

from django.urls import reverse

from leadpool.customers.models import Customer, Order


def convert_url(lead):
    return reverse("web:lead_convert", args=[lead.pk])


def test_the_owner_converts_with_an_order(client_for, rep_east, lead_pool, make_lead):
    # given
    lead = make_lead(name="Li Lei", company="Blue Sky", owner=rep_east, pool=lead_pool)
    # when
    response = client_for(rep_east).post(
        convert_url(lead),
        {
            "customer_name": "Blue Sky Ltd",
            "with_order": "on",
            "product_name": "Pumps",
            "quantity": "2",
            "unit_price": "150.50",
            "currency": "CNY",
        },
    )
    # then
    customer = Customer.objects.get(lead=lead)
    assert response["Location"] == reverse("web:record", args=["customers", customer.pk])
    assert customer.name == "Blue Sky Ltd"
    assert Order.objects.get(customer=customer).amount == Decimal("301.00")
    lead.refresh_from_db()
    assert lead.status == "converted"


def test_an_order_line_error_shows_on_its_field(client_for, rep_east, make_lead):
    # given
    lead = make_lead(company="Blue Sky", owner=rep_east)
    # when
    response = client_for(rep_east).post(
        convert_url(lead), {"with_order": "on", "product_name": "", "quantity": "1"}
    )
    # then
    assert response.status_code == 400
    assert "product_name" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_a_customer_on_file_is_offered_for_linking(client_for, rep_east, make_lead, make_customer):
    # given
    customer = make_customer(name="Blue Sky", owner=rep_east, phone="13900139000")
    lead = make_lead(name="Li Lei", owner=rep_east, phone="13900139000")
    url = convert_url(lead)
    client = client_for(rep_east)
    # when
    offered = client.get(url)
    refused = client.post(url, {"customer_name": "Blue Sky again"})
    linked = client.post(url, {"existing_customer": customer.pk})
    # then
    assert offered.context["form"].initial["existing_customer"] == customer.pk
    assert refused.status_code == 400 and refused.context["duplicate_warning"] is True
    assert linked.status_code == 302
    assert Customer.objects.count() == 1
    lead.refresh_from_db()
    assert lead.customer == customer


def test_only_owner_or_pool_admin_may_convert(
    client_for, member, rep_west, lead_pool, make_lead, rep_east
):
    # given
    unclaimed = make_lead(pool=lead_pool)
    owned = make_lead(owner=rep_east)
    # then
    assert client_for(member).get(convert_url(unclaimed)).status_code == 403
    assert client_for(rep_west).get(convert_url(owned)).status_code == 404
