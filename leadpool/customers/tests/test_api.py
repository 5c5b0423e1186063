"""/api/v1/customers/ over HTTP: the customer shape (contacts, lead), list, filters,
pagination, create, edit, delete, the batch actions in customer pools, and masking."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from leadpool.customers.models import Contact, Customer
from leadpool.fields.models import CustomField
from leadpool.history.models import Event, Notification
from leadpool.pools.models import Pool
from leadpool.pools.rules import format_time, next_local_midnight

REFUSED = {
    "owner": "Change the owner by claiming, assigning, reclaiming or returning.",
    "pool": "Move records between pools by assigning or putting them into a pool.",
}
URL = "/api/v1/customers/"
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_write_throttle(settings):
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "write": None}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _iso(moment) -> str | None:
    return None if moment is None else serializers.DateTimeField().to_representation(moment)


def _at(day: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(day))


def _contact(contact: Contact, **shown) -> dict:
    return {
        "id": contact.pk,
        "name": contact.name,
        "title": contact.title,
        "phone": contact.phone,
        "email": contact.email,
        "is_primary": contact.is_primary,
        "notes": contact.notes,
    } | shown


def _body(customer: Customer, **shown) -> dict:
    """The customer as its owner reads it over the API, fresh from the database."""
    customer = Customer.objects.get(pk=customer.pk)
    return {
        "id": customer.pk,
        "name": customer.name,
        "company": customer.company,
        "phone": customer.phone,
        "other_phone": customer.other_phone,
        "email": customer.email,
        "contact_visibility": "visible",
        "source": customer.source,
        "region": customer.region,
        "industry": customer.industry,
        "status": customer.status,
        "owner": customer.owner_id,
        "pool": customer.pool_id,
        "collaborators": sorted(customer.collaborators.values_list("pk", flat=True)),
        "notes": customer.notes,
        "custom": customer.custom,
        "reclaim_at": _iso(customer.reclaim_at),
        "claimed_at": _iso(customer.claimed_at),
        "assigned_at": _iso(customer.assigned_at),
        "last_followup_at": _iso(customer.last_followup_at),
        "next_followup_at": _iso(customer.next_followup_at),
        "created_by": customer.created_by_id,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "deleted_at": _iso(customer.deleted_at),
        "contacts": [_contact(contact) for contact in customer.contacts.all()],
        "lead": customer.lead_id,
    } | shown


def _snapshot(customer: Customer) -> dict:
    fresh = Customer.objects.filter(pk=customer.pk).first()
    if fresh is None:
        return {"gone": True}
    return {
        "fields": {field.attname: getattr(fresh, field.attname) for field in fresh._meta.fields},
        "collaborators": sorted(fresh.collaborators.values_list("pk", flat=True)),
        "events": Event.objects.filter(customer=fresh).count(),
    }


def _table() -> dict:
    return {
        "customers": Customer.objects.count(),
        "events": Event.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _batch(user, action: str, **body):
    return _client(user).post(f"{URL}{action}", body, format="json")


def _refusal(pk, code, message, until=None) -> dict:
    return {"id": pk, "code": code, "message": message} | ({"until": until} if until else {})


# --- the customer shape -----------------------------------------------------------------


def test_a_customer_is_read_whole_with_its_contacts_and_the_lead_it_came_from(
    rep_east, customer_pool, make_customer, make_lead
):
    # given
    lead = make_lead(owner=rep_east, name="Li Lei")
    customer = make_customer(
        owner=rep_east,
        pool=customer_pool,
        name="Li Lei",
        company="Acme Trading",
        phone="13800138000",
        email="lilei@acme.com",
        source="web",
        region="East",
        industry="retail",
        status=Customer.Status.WON,
        notes="Repeat buyer",
        lead=lead,
        created_at=_at("2024-03-01T09:30"),
        claimed_at=_at("2024-03-02T10:00"),
    )
    primary = Contact.objects.create(
        customer=customer,
        name="Li Lei",
        title="CTO",
        phone="13800138000",
        email="lilei@acme.com",
        is_primary=True,
    )
    buyer = Contact.objects.create(customer=customer, name="Han Meimei", phone="13700137000")
    # when
    response = _client(rep_east).get(f"{URL}{customer.pk}")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": customer.pk,
        "name": "Li Lei",
        "company": "Acme Trading",
        "phone": "13800138000",
        "other_phone": "",
        "email": "lilei@acme.com",
        "contact_visibility": "visible",
        "source": "web",
        "region": "East",
        "industry": "retail",
        "status": "won",
        "owner": rep_east.pk,
        "pool": customer_pool.pk,
        "collaborators": [],
        "notes": "Repeat buyer",
        "custom": {},
        "reclaim_at": None,
        "claimed_at": "2024-03-02T10:00:00+08:00",
        "assigned_at": None,
        "last_followup_at": None,
        "next_followup_at": None,
        "created_by": None,
        "created_at": "2024-03-01T09:30:00+08:00",
        "updated_at": _iso(Customer.objects.get(pk=customer.pk).updated_at),
        "deleted_at": None,
        "contacts": [
            {
                "id": primary.pk,
                "name": "Li Lei",
                "title": "CTO",
                "phone": "13800138000",
                "email": "lilei@acme.com",
                "is_primary": True,
                "notes": "",
            },
            {
                "id": buyer.pk,
                "name": "Han Meimei",
                "title": "",
                "phone": "13700137000",
                "email": "",
                "is_primary": False,
                "notes": "",
            },
        ],
        "lead": lead.pk,
    }


def test_a_customer_out_of_scope_is_a_404(rep_west, rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east)
    # when
    response = _client(rep_west).get(f"{URL}{customer.pk}")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})


def test_customers_have_no_convert_action(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east)
    # when
    response = _client(rep_east).post(f"{URL}{customer.pk}/convert", {}, format="json")
    # then
    assert response.status_code == 404


# --- list, filters and pagination -------------------------------------------------------


@pytest.fixture
def grade(db):
    return CustomField.objects.create(
        entity="customer", key="grade", label="Grade", type="choice", choices=["gold", "silver"]
    )


@pytest.fixture
def catalogue(admin, rep_east, rep_west, customer_pool, make_customer, grade):
    return {
        "gold": make_customer(
            owner=admin,
            name="Acme",
            company="Acme Trading",
            source="web",
            region="East",
            industry="retail",
            status=Customer.Status.WON,
            created_at=_at("2024-01-10T09:00"),
            custom={"grade": "gold"},
        ),
        "pooled": make_customer(
            pool=customer_pool,
            name="Beta",
            source="fair",
            region="West",
            industry="tech",
            created_at=_at("2024-02-10T09:00"),
            custom={"grade": "silver"},
        ),
        "lost": make_customer(
            owner=rep_west,
            pool=customer_pool,
            name="Gamma",
            source="web",
            region="West",
            status=Customer.Status.LOST,
            created_at=_at("2024-03-10T09:00"),
        ),
        "binned": make_customer(pool=customer_pool, name="Binned", deleted_at=timezone.now()),
    }


def _listed(response, catalogue) -> list[str]:
    by_id = {customer.pk: name for name, customer in catalogue.items()}
    return [by_id[row["id"]] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["lost", "pooled", "gold"]),
        ({"pool": "{pool}"}, ["lost", "pooled"]),
        ({"owner": "me"}, ["gold"]),
        ({"owner": "none"}, ["pooled"]),
        ({"owner": "{rep_west}"}, ["lost"]),
        ({"status": "won,lost"}, ["lost", "gold"]),
        ({"source": "web"}, ["lost", "gold"]),
        ({"region": "West", "industry": "tech"}, ["pooled"]),
        ({"q": "acme trad"}, ["gold"]),
        ({"created_after": "2024-02-10", "created_before": "2024-03-01"}, ["pooled"]),
        ({"custom.grade": "silver"}, ["pooled"]),
        ({"custom.grade": "gold", "status": "won"}, ["gold"]),
        ({"deleted": "true"}, ["binned"]),
    ],
)
def test_customer_filters_narrow_the_list(
    admin, rep_west, customer_pool, catalogue, query, expected
):
    # given
    ids = {"pool": customer_pool.pk, "rep_west": rep_west.pk}
    params = {key: value.format(**ids) for key, value in query.items()}
    # when
    response = _client(admin).get(URL, params)
    # then
    assert response.status_code == 200
    assert _listed(response, catalogue) == expected
    assert response.json()["results"] == [_body(catalogue[name]) for name in expected]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"status": "converted"}, {"status": ["Choose from: new, following, won, lost."]}),
        (
            {"custom.grade": "bronze"},
            {"custom.grade": ["“bronze” is not one of the choices: gold, silver."]},
        ),
        ({"custom.level": "A"}, {"custom.level": ["There is no custom field “level”."]}),
        ({"owner": "nobody"}, {"owner": ["Give a whole number."]}),
        ({"limit": "0"}, {"limit": ["Give a number from 1 to 500."]}),
        ({"cursor": "nope"}, {"cursor": ["This cursor is not valid."]}),
    ],
)
def test_a_malformed_customer_filter_is_a_400_naming_it(admin, catalogue, query, errors):
    # when
    response = _client(admin).get(URL, query)
    # then
    assert (response.status_code, response.json()) == (400, {"errors": errors})


def test_the_cursor_walks_every_customer_once_while_customers_are_added(rep_east, make_customer):
    # given
    same = _at("2024-05-01T10:00")
    customers = [make_customer(owner=rep_east, created_at=same) for _ in range(4)]
    customers.append(make_customer(owner=rep_east, created_at=_at("2024-04-01T10:00")))
    client = _client(rep_east)
    seen, cursor = [], None
    # when
    while True:
        page = client.get(URL, {"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        seen += [row["id"] for row in page["results"]]
        cursor = page["next"]
        if cursor is None:
            break
        make_customer(owner=rep_east)
    # then
    assert seen == [customer.pk for customer in reversed(customers[:4])] + [customers[4].pk]


# --- create -----------------------------------------------------------------------------


def test_a_won_customer_is_created_into_a_customer_pool(member, customer_pool):
    # when
    response = _client(member).post(
        URL, {"name": "Acme", "status": "won", "pool": customer_pool.pk}, format="json"
    )
    # then
    assert response.status_code == 201
    customer = Customer.objects.get()
    assert response.json() == _body(customer)
    assert (customer.status, customer.owner_id, customer.pool_id) == (
        "won",
        None,
        customer_pool.pk,
    )
    assert (response.json()["contacts"], response.json()["lead"]) == ([], None)


def test_a_lead_pool_is_refused_for_a_customer(pool_admin, lead_pool):
    # when
    response = _client(pool_admin).post(URL, {"name": "X", "pool": lead_pool.pk}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"pool": ["“Lead pool” is not a customer pool."]}},
    )
    assert Customer.objects.count() == 0


def test_contacts_and_lead_cannot_be_written(rep_east):
    # given
    before = _table()
    # when
    response = _client(rep_east).post(URL, {"name": "X", "contacts": [], "lead": 1}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"contacts": ["Unknown field."], "lead": ["Unknown field."]}},
    )
    assert _table() == before


def test_a_customer_whose_contact_has_the_phone_is_a_duplicate(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east, name="Acme", phone="")
    Contact.objects.create(
        customer=customer, name="Li", phone="13800138000", phone_normalized="+8613800138000"
    )
    before = _table()
    # when
    response = _client(rep_east).post(URL, {"name": "New", "phone": "13800138000"}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["errors"] == {"phone": ["Already on file: “Acme”, owned by Rep East."]}
    assert response.json()["duplicates"]["results"][0] | {"id": 0} == {
        "type": "customer",
        "id": 0,
        "display": "Acme",
        "matched_on": ["phone"],
        "score": 100,
        "state": "owned",
        "owner": "Rep East",
        "pool": "",
    }
    assert _table() == before


# --- edit and delete --------------------------------------------------------------------


def test_a_customer_may_be_marked_won_and_lost_by_editing(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east)
    client = _client(rep_east)
    # when
    won = client.patch(f"{URL}{customer.pk}", {"status": "won"}, format="json")
    lost = client.patch(f"{URL}{customer.pk}", {"status": "lost"}, format="json")
    # then
    assert (won.status_code, won.json()["status"]) == (200, "won")
    assert lost.json() == _body(customer)
    assert lost.json()["status"] == "lost"


def test_an_unknown_customer_status_is_refused(rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east)
    before = _snapshot(customer)
    # when
    response = _client(rep_east).patch(
        f"{URL}{customer.pk}", {"status": "converted"}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"status": ["Choose one of: following, lost, new, won."]}},
    )
    assert _snapshot(customer) == before


@pytest.mark.parametrize("body", [{"owner": 1}, {"pool": 1}, {"contacts": []}, {"lead": None}])
def test_owner_pool_contacts_and_lead_cannot_be_edited(rep_east, make_customer, body):
    # given
    customer = make_customer(owner=rep_east)
    before = _snapshot(customer)
    # when
    response = _client(rep_east).patch(f"{URL}{customer.pk}", body, format="json")
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {field: [REFUSED.get(field, "Unknown field.")] for field in body}},
    )
    assert _snapshot(customer) == before


def test_collaborators_of_a_customer_are_set_and_may_then_edit(rep_east, rep_west, make_customer):
    # given
    customer = make_customer(owner=rep_east)
    # when
    response = _client(rep_east).patch(
        f"{URL}{customer.pk}", {"collaborators": [rep_west.pk]}, format="json"
    )
    edited = _client(rep_west).patch(f"{URL}{customer.pk}", {"notes": "by west"}, format="json")
    # then
    assert response.json()["collaborators"] == [rep_west.pk]
    assert (edited.status_code, edited.json()["notes"]) == (200, "by west")


def test_a_customer_edit_by_a_member_who_only_sees_it_is_a_403(
    member, customer_pool, make_customer
):
    # given
    customer = make_customer(pool=customer_pool)
    before = _snapshot(customer)
    # when
    response = _client(member).patch(f"{URL}{customer.pk}", {"notes": "x"}, format="json")
    # then
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You may not do that with this record."},
    )
    assert _snapshot(customer) == before


def test_deleting_a_customer_puts_it_in_the_recycle_bin(pool_admin, customer_pool, make_customer):
    # given
    customer = make_customer(pool=customer_pool)
    client = _client(pool_admin)
    # when
    response = client.delete(f"{URL}{customer.pk}")
    # then
    assert response.status_code == 204
    assert client.get(f"{URL}{customer.pk}").status_code == 404
    assert client.get(URL, {"deleted": "true"}).json() == {
        "results": [_body(customer)],
        "next": None,
    }


def test_deleting_a_customer_out_of_scope_is_a_404(rep_west, rep_east, make_customer):
    # given
    customer = make_customer(owner=rep_east)
    before = _snapshot(customer)
    # when
    response = _client(rep_west).delete(f"{URL}{customer.pk}")
    # then
    assert (response.status_code, response.json()) == (404, {"detail": "No such record."})
    assert _snapshot(customer) == before


# --- batch actions ----------------------------------------------------------------------


def test_a_won_customer_back_in_the_pool_may_be_claimed_again(member, customer_pool, make_customer):
    # given: repeat business (二次成交)
    customer = make_customer(pool=customer_pool, status=Customer.Status.WON)
    # when
    response = _batch(member, "claim", ids=[customer.pk])
    # then
    assert response.json() == {"done": [customer.pk], "refused": []}
    assert Customer.objects.get(pk=customer.pk).owner_id == member.pk


def test_every_customer_batch_action_is_done(
    pool_admin, rep_east, member, customer_pool, make_customer
):
    # given
    other = Pool.objects.create(name="Other customer pool", kind=Pool.Kind.CUSTOMER)
    other.admins.add(pool_admin)
    claimable = make_customer(pool=customer_pool)
    assignable = make_customer(pool=customer_pool)
    movable = make_customer(pool=customer_pool, owner=rep_east)
    reclaimable = make_customer(pool=customer_pool, owner=rep_east)
    returnable = make_customer(pool=customer_pool, owner=member)
    private = make_customer(owner=rep_east)
    binned = make_customer(pool=customer_pool)
    # when
    answers = {
        "claim": _batch(member, "claim", ids=[claimable.pk]),
        "assign": _batch(pool_admin, "assign", ids=[assignable.pk], to_user=rep_east.pk),
        "assign_to_pool": _batch(pool_admin, "assign", ids=[movable.pk], to_pool=other.pk),
        "reclaim": _batch(pool_admin, "reclaim", ids=[reclaimable.pk]),
        "return": _batch(member, "return", ids=[returnable.pk], reason="No budget"),
        "put_into_pool": _batch(rep_east, "put_into_pool", ids=[private.pk], pool=customer_pool.pk),
        "delete": _batch(pool_admin, "delete", ids=[binned.pk]),
        "restore": _batch(pool_admin, "restore", ids=[binned.pk]),
    }
    gone = make_customer(pool=customer_pool, deleted_at=timezone.now())
    answers["purge"] = _batch(pool_admin, "purge", ids=[gone.pk])
    # then
    ids = {
        "claim": claimable,
        "assign": assignable,
        "assign_to_pool": movable,
        "reclaim": reclaimable,
        "return": returnable,
        "put_into_pool": private,
        "delete": binned,
        "restore": binned,
        "purge": gone,
    }
    assert {name: answer.json() for name, answer in answers.items()} == {
        name: {"done": [customer.pk], "refused": []} for name, customer in ids.items()
    }
    owners = {
        name: (
            Customer.objects.get(pk=ids[name].pk).owner_id,
            Customer.objects.get(pk=ids[name].pk).pool_id,
        )
        for name in ("claim", "assign", "assign_to_pool", "reclaim", "return", "put_into_pool")
    }
    assert owners == {
        "claim": (member.pk, customer_pool.pk),
        "assign": (rep_east.pk, customer_pool.pk),
        "assign_to_pool": (None, other.pk),
        "reclaim": (None, customer_pool.pk),
        "return": (None, customer_pool.pk),
        "put_into_pool": (None, customer_pool.pk),
    }
    assert Customer.objects.get(pk=binned.pk).deleted_at is None
    assert not Customer.objects.filter(pk=gone.pk).exists()


def test_customer_pool_rules_refuse_claims_with_their_codes(member, customer_pool, make_customer):
    # given
    customer_pool.claim_limit_per_day = 1
    customer_pool.claim_reason_required = True
    customer_pool.save()
    first, second = make_customer(pool=customer_pool), make_customer(pool=customer_pool)
    before = _snapshot(second)
    until = next_local_midnight(timezone.now())
    # when
    no_reason = _batch(member, "claim", ids=[first.pk])
    limited = _batch(member, "claim", ids=[first.pk, second.pk], reason="Know them")
    # then
    assert no_reason.json() == {
        "done": [],
        "refused": [_refusal(first.pk, "reason_required", "This pool asks for a reason to claim.")],
    }
    assert limited.json() == {
        "done": [first.pk],
        "refused": [
            _refusal(
                second.pk,
                "claim_limit_reached",
                f"Daily claim limit 1/1 reached; you may claim again after {format_time(until)}.",
                _iso(until),
            )
        ],
    }
    assert _snapshot(second) == before


def test_a_lead_pool_is_no_target_for_customers(
    pool_admin, lead_pool, customer_pool, make_customer
):
    # given
    customer = make_customer(pool=customer_pool)
    before = _snapshot(customer)
    # when
    response = _batch(pool_admin, "assign", ids=[customer.pk], to_pool=lead_pool.pk)
    # then
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"to_pool": [f"There is no customer pool {lead_pool.pk}."]}},
    )
    assert _snapshot(customer) == before


def test_lead_ids_mean_nothing_to_the_customer_endpoints(pool_admin, lead_pool, make_lead):
    # given: a lead whose id no customer has
    lead = make_lead(pool=lead_pool, id=987654)
    # when
    response = _batch(pool_admin, "delete", ids=[lead.pk])
    # then
    assert response.json() == {
        "done": [],
        "refused": [_refusal(lead.pk, "not_in_scope", "No such record.")],
    }
    assert Customer.objects.count() == 0


# --- contact masking --------------------------------------------------------------------


@pytest.fixture
def masked_customer(customer_pool, make_customer):
    customer = make_customer(
        pool=customer_pool, name="Acme", phone="13800138000", email="boss@acme.com"
    )
    Contact.objects.create(
        customer=customer, name="Li", phone="13700137000", email="li@acme.com", is_primary=True
    )
    return customer


@pytest.mark.parametrize(
    ("visibility", "record", "contact"),
    [
        (
            "masked",
            {"phone": "138****8000", "email": "b***@acme.com"},
            {"phone": "137****7000", "email": "l***@acme.com"},
        ),
        ("hidden", {"phone": "", "email": ""}, {"phone": "", "email": ""}),
    ],
)
def test_a_member_sees_the_customer_and_its_contacts_masked_until_he_claims(
    member, pool_admin, customer_pool, masked_customer, visibility, record, contact
):
    # given
    customer_pool.contact_visibility = visibility
    customer_pool.save()
    client = _client(member)
    primary = masked_customer.contacts.get()
    expected = _body(
        masked_customer,
        **record,
        contact_visibility=visibility,
        contacts=[_contact(primary, **contact)],
    )
    # when
    before_claim = client.get(f"{URL}{masked_customer.pk}").json()
    as_admin = _client(pool_admin).get(f"{URL}{masked_customer.pk}").json()
    client.post(f"{URL}claim", {"ids": [masked_customer.pk]}, format="json")
    after_claim = client.get(f"{URL}{masked_customer.pk}").json()
    # then
    assert before_claim == expected
    assert as_admin == expected | {
        "phone": "13800138000",
        "email": "boss@acme.com",
        "contact_visibility": "visible",
        "contacts": [_contact(primary)],
    }
    assert after_claim == _body(masked_customer)
