import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from leadpool.activity.models import FollowUp
from leadpool.core.results import Refused
from leadpool.customers.models import (
    Contact,
    Customer,
    CustomFieldMapping,
    Opportunity,
    Order,
    OrderLine,
)
from leadpool.customers.services import save_mapping
from leadpool.fields.models import CustomField
from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.leads.services import convert_lead


@pytest.fixture
def assigned_lead(make_lead, lead_pool, rep_east):
    return make_lead(
        pool=lead_pool,
        owner=rep_east,
        name="Wang Fang",
        company="Acme Trading Co., Ltd.",
        phone="13900139000",
        email="wang@acme.cn",
        source="展会",
        region="华东",
        industry="批发零售",
        notes="Met at the Canton fair",
    )


def counts() -> tuple[int, int, int, int, int]:
    return (
        Customer.objects.count(),
        Contact.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        Opportunity.objects.count(),
    )


def test_conversion_creates_a_customer_and_primary_contact_through_the_mapping(
    assigned_lead, rep_east
):
    # when
    conversion = convert_lead(lead_id=assigned_lead.pk, by=rep_east)
    # then
    customer = Customer.objects.get()
    assert conversion.customer == customer and conversion.created_customer
    assert {
        field: getattr(customer, field)
        for field in (
            "name",
            "company",
            "phone_normalized",
            "email_normalized",
            "source",
            "region",
            "industry",
            "notes",
            "owner",
            "pool",
            "lead",
            "status",
        )
    } == {
        "name": "Acme Trading Co., Ltd.",
        "company": "Acme Trading Co., Ltd.",
        "phone_normalized": "+8613900139000",
        "email_normalized": "wang@acme.cn",
        "source": "展会",
        "region": "华东",
        "industry": "批发零售",
        "notes": "Met at the Canton fair",
        "owner": rep_east,
        "pool": None,
        "lead": assigned_lead,
        "status": Customer.Status.FOLLOWING,
    }
    contact = Contact.objects.get()
    assert (contact.customer, contact.name, contact.phone_normalized, contact.is_primary) == (
        customer,
        "Wang Fang",
        "+8613900139000",
        True,
    )
    assigned_lead.refresh_from_db()
    assert (assigned_lead.status, assigned_lead.customer, assigned_lead.reclaim_at) == (
        Lead.Status.CONVERTED,
        customer,
        None,
    )
    assert assigned_lead.converted_at is not None
    assert counts() == (1, 1, 0, 0, 0)


def test_conversion_writes_history_on_both_records(assigned_lead, rep_east, lead_pool):
    # when
    conversion = convert_lead(lead_id=assigned_lead.pk, by=rep_east)
    # then
    lead_event = Event.objects.get(lead=assigned_lead)
    assert (
        lead_event.action,
        lead_event.actor,
        lead_event.from_owner,
        lead_event.to_pool,
        lead_event.details,
    ) == (Event.Action.CONVERT, rep_east, rep_east, lead_pool, {"customer": conversion.customer.pk})
    customer_event = Event.objects.get(customer=conversion.customer)
    assert (customer_event.action, customer_event.details) == (
        Event.Action.CREATE,
        {"from_lead": assigned_lead.pk},
    )


def test_conversion_with_an_order_creates_it_with_its_lines_and_total(assigned_lead, rep_east):
    # when
    conversion = convert_lead(
        lead_id=assigned_lead.pk,
        by=rep_east,
        order={
            "date": "2026-11-20",
            "currency": "cny",
            "lines": [
                {"product_name": "CRM licence", "quantity": "3", "unit_price": "1200.50"},
                {"product_name": "Training", "quantity": 1, "unit_price": 800},
            ],
        },
    )
    # then
    order = Order.objects.get()
    assert conversion.order == order
    assert (order.customer, order.lead, order.amount, order.currency, order.date, order.owner) == (
        conversion.customer,
        assigned_lead,
        Decimal("4401.50"),
        "CNY",
        datetime.date(2026, 11, 20),
        rep_east,
    )
    assert list(order.lines.values_list("product_name", "quantity", "unit_price")) == [
        ("CRM licence", Decimal("3.00"), Decimal("1200.50")),
        ("Training", Decimal("1.00"), Decimal("800.00")),
    ]
    assert order.number.startswith("SO-")


def test_conversion_with_an_opportunity(assigned_lead, rep_east):
    # when
    conversion = convert_lead(
        lead_id=assigned_lead.pk,
        by=rep_east,
        opportunity={
            "stage": "proposal",
            "amount": "50000",
            "expected_close_date": "2027-01-31",
            "probability": 60,
        },
    )
    # then
    opportunity = Opportunity.objects.get()
    assert conversion.opportunity == opportunity
    assert (
        opportunity.name,
        opportunity.stage,
        opportunity.amount,
        opportunity.probability,
        opportunity.expected_close_date,
        opportunity.is_open,
    ) == (
        "Acme Trading Co., Ltd.",
        "proposal",
        Decimal("50000.00"),
        60,
        datetime.date(2027, 1, 31),
        True,
    )


def test_a_bad_order_line_leaves_nothing_behind(assigned_lead, rep_east):
    # when
    with pytest.raises(ValidationError) as raised:
        convert_lead(
            lead_id=assigned_lead.pk,
            by=rep_east,
            order={
                "currency": "XXX",
                "lines": [
                    {"product_name": "CRM licence", "quantity": "-3", "unit_price": "10"},
                    {"product_name": "", "quantity": "1", "unit_price": "-1"},
                ],
            },
        )
    # then
    assert raised.value.message_dict == {
        "order.currency": ["“XXX” is not a currency we know; use an ISO code such as CNY or USD."],
        "order.lines.0.quantity": ["Enter an amount above 0."],
        "order.lines.1.product_name": ["Name the product (at most 200 characters)."],
        "order.lines.1.unit_price": ["Enter an amount of 0 or more."],
    }
    assert counts() == (0, 0, 0, 0, 0)
    assigned_lead.refresh_from_db()
    assert assigned_lead.status == Lead.Status.NEW
    assert not Event.objects.exists()


def test_an_order_without_lines_is_refused(assigned_lead, rep_east):
    with pytest.raises(ValidationError) as raised:
        convert_lead(lead_id=assigned_lead.pk, by=rep_east, order={"lines": []})
    assert raised.value.message_dict == {"order.lines": ["An order needs at least one line."]}
    assert counts() == (0, 0, 0, 0, 0)


def test_a_failure_while_writing_rolls_everything_back(assigned_lead, rep_east, monkeypatch):
    # given: the order is valid but saving it fails half-way
    from leadpool.customers import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_save_order", broken)
    # when
    with pytest.raises(RuntimeError):
        convert_lead(
            lead_id=assigned_lead.pk,
            by=rep_east,
            order={"lines": [{"product_name": "X", "quantity": 1, "unit_price": 1}]},
        )
    # then
    assert counts() == (0, 0, 0, 0, 0)
    assert Lead.objects.get(pk=assigned_lead.pk).status == Lead.Status.NEW


def test_a_customer_already_on_file_is_refused_unless_linked_or_allowed(
    assigned_lead, rep_east, make_customer
):
    # given
    existing = make_customer(
        owner=rep_east, name="Acme", company="ACME Trading Ltd", phone="13700137000"
    )
    # when
    with pytest.raises(ValidationError) as raised:
        convert_lead(lead_id=assigned_lead.pk, by=rep_east)
    # then
    assert list(raised.value.message_dict) == ["customer"]
    assert [(m.type, m.id, m.matched_on) for m in raised.value.report.matches] == [
        ("customer", existing.pk, ["company"])
    ]
    assert counts() == (1, 0, 0, 0, 0)
    # and creating anyway works
    conversion = convert_lead(lead_id=assigned_lead.pk, by=rep_east, allow_duplicate=True)
    assert conversion.created_customer and Customer.objects.count() == 2


def test_linking_to_an_existing_customer_adds_a_contact_and_links_the_lead(
    assigned_lead, rep_east, make_customer
):
    # given
    existing = make_customer(owner=rep_east, name="Acme", company="ACME Trading Ltd")
    Contact.objects.create(customer=existing, name="Boss", is_primary=True)
    # when
    conversion = convert_lead(lead_id=assigned_lead.pk, by=rep_east, existing_customer=existing.pk)
    # then
    assert (conversion.customer, conversion.created_customer) == (existing, False)
    assert list(existing.contacts.values_list("name", "is_primary")) == [
        ("Boss", True),
        ("Wang Fang", False),
    ]
    assigned_lead.refresh_from_db()
    assert (assigned_lead.customer, assigned_lead.status) == (existing, Lead.Status.CONVERTED)
    assert Event.objects.get(customer=existing).action == Event.Action.CONVERT
    assert Customer.objects.count() == 1


def test_linking_to_a_customer_outside_ones_scope_is_refused(
    assigned_lead, rep_east, rep_west, make_customer
):
    # given
    theirs = make_customer(owner=rep_west, company="Acme")
    # when
    with pytest.raises(ValidationError) as raised:
        convert_lead(lead_id=assigned_lead.pk, by=rep_east, existing_customer=theirs.pk)
    # then
    assert raised.value.message_dict == {
        "existing_customer": [f"There is no customer {theirs.pk}."]
    }
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("situation", "code"),
    [
        ("unassigned", "not_owned"),
        ("deleted", "deleted"),
        ("converted", "converted"),
        ("other_rep", "not_in_scope"),
    ],
)
def test_conversion_is_refused_with_its_code(
    situation, code, make_lead, lead_pool, rep_east, rep_west
):
    # given
    from django.utils import timezone

    owner = {"unassigned": None, "other_rep": rep_west}.get(situation, rep_east)
    lead = make_lead(pool=lead_pool, owner=owner, company="Acme")
    if situation == "deleted":
        Lead.objects.filter(pk=lead.pk).update(deleted_at=timezone.now())
    if situation == "converted":
        Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.CONVERTED)
    actor = rep_east if situation != "unassigned" else lead_pool.admins.get()
    # when
    with pytest.raises(Refused) as raised:
        convert_lead(lead_id=lead.pk, by=actor)
    # then
    assert raised.value.refusal.code == code
    assert counts() == (0, 0, 0, 0, 0)


def test_a_pool_admin_converts_a_lead_a_rep_owns(assigned_lead, pool_admin, rep_east):
    conversion = convert_lead(lead_id=assigned_lead.pk, by=pool_admin)
    assert conversion.customer.owner == rep_east


def test_a_pool_member_who_does_not_own_it_may_not_convert(assigned_lead, member):
    with pytest.raises(Refused) as raised:
        convert_lead(lead_id=assigned_lead.pk, by=member)
    assert raised.value.refusal.code in ("not_in_scope", "forbidden")
    assert counts() == (0, 0, 0, 0, 0)


def test_the_leads_follow_ups_are_visible_from_the_customer(assigned_lead, rep_east):
    # given
    FollowUp.objects.create(lead=assigned_lead, content="Called", author=rep_east)
    # when
    conversion = convert_lead(lead_id=assigned_lead.pk, by=rep_east)
    # then
    assert [f.content for f in conversion.customer.timeline_followups()] == ["Called"]


@pytest.fixture
def field(db):
    def make(entity, key, type, **extra):
        return CustomField.objects.create(
            entity=entity, key=key, label=key.title(), type=type, **extra
        )

    return make


def test_mapped_custom_fields_are_carried_over_and_converted(field, admin, assigned_lead, rep_east):
    # given
    budget = field("lead", "budget", "number")
    level = field("lead", "level", "choice", choices=["A", "B"])
    save_mapping(by=admin, lead_field=budget, customer_field=field("customer", "budget", "text"))
    save_mapping(
        by=admin,
        lead_field=level,
        customer_field=field("customer", "tags", "multi_choice", choices=["A", "B", "C"]),
    )
    Lead.objects.filter(pk=assigned_lead.pk).update(custom={"budget": 5000, "level": "A"})
    # when
    conversion = convert_lead(lead_id=assigned_lead.pk, by=rep_east)
    # then
    assert conversion.customer.custom == {"budget": "5000", "tags": ["A"]}


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (("number", []), ("boolean", []), "A Number field cannot fill a Yes/no field."),
        (("choice", ["A", "B"]), ("choice", ["A"]), "The customer field lacks the choices: B."),
        (
            ("multi_choice", ["A"]),
            ("choice", ["A"]),
            "Several choices cannot fill a single choice.",
        ),
        (("text", []), ("date", []), "A Text field cannot fill a Date field."),
    ],
)
def test_a_mapping_between_incompatible_types_is_refused_when_saved(
    field, admin, source, target, message
):
    # given
    lead_field = field("lead", "x", source[0], choices=source[1])
    customer_field = field("customer", "y", target[0], choices=target[1])
    # when
    with pytest.raises(ValidationError) as raised:
        save_mapping(by=admin, lead_field=lead_field, customer_field=customer_field)
    # then
    assert raised.value.message_dict == {"customer_field": [message]}
    assert not CustomFieldMapping.objects.exists()


def test_a_mapping_to_a_field_that_does_not_exist_is_refused(field, admin):
    lead_field = field("lead", "x", "text")
    with pytest.raises(ValidationError) as raised:
        save_mapping(by=admin, lead_field=lead_field, customer_field=999_999)
    assert raised.value.message_dict == {
        "customer_field": ["There is no customer custom field 999999."]
    }


def test_only_system_admins_change_the_mapping(field, pool_admin):
    lead_field, customer_field = field("lead", "x", "text"), field("customer", "y", "text")
    with pytest.raises(PermissionDenied):
        save_mapping(by=pool_admin, lead_field=lead_field, customer_field=customer_field)
