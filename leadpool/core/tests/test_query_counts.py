"""Every list endpoint of the API answers in a constant number of SQL queries: the same
with N rows as with 3×N (no query per row), and never more than a ceiling.

Each list is grown through the API itself where the API writes it (records with owners,
pools, collaborators and custom values; contacts, opportunities, orders with lines,
follow-ups and calls, which write history and notifications too) and by the ORM where
only an admin screen or a job would (users, departments, pools with their members,
custom fields and their mappings, scoring rules, forms, imports, audit entries), so
every related object a list shows is there to be fetched row by row if a list did so.
"""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from leadpool.accounts.models import Department, User
from leadpool.capture.models import LeadForm
from leadpool.customers.models import Customer, CustomFieldMapping
from leadpool.fields.models import CustomField
from leadpool.history.models import AuditEntry, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool
from leadpool.scoring.models import ScoringRule
from leadpool.transfer.models import ImportJob

API = "/api/v1"
N = 2
# No list needs more: a page of records, its related rows in one query each, the
# session, the user and the reader's scope.
CEILING = 25

_numbers = itertools.count(13900000001)
SHARED_CONTACT_PHONE = "13700000000"
_serial = itertools.count(1)


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ok(response, status: int = 201):
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def world(admin, manager, rep_east, rep_west, pool_admin, member, lead_pool, customer_pool):
    """One lead and one customer every activity list hangs on, and the custom fields the
    records fill."""
    lead_field = CustomField.objects.create(
        entity="lead", key="level", label="Level", type=CustomField.Type.CHOICE, choices=["A"]
    )
    CustomField.objects.create(
        entity="customer", key="level", label="Level", type=CustomField.Type.CHOICE, choices=["A"]
    )
    client = _client(admin)
    lead = _ok(
        client.post(
            f"{API}/leads/",
            {"name": "Anchor", "phone": str(next(_numbers)), "owner": rep_east.pk},
            format="json",
        )
    )
    customer = _ok(
        client.post(
            f"{API}/customers/",
            {"name": "Anchor Co", "phone": str(next(_numbers)), "owner": rep_east.pk},
            format="json",
        )
    )
    return {
        "admin": admin,
        "rep_east": rep_east,
        "rep_west": rep_west,
        "pool_admin": pool_admin,
        "member": member,
        "manager": manager,
        "lead_pool": lead_pool,
        "customer_pool": customer_pool,
        "lead": lead["id"],
        "customer": customer["id"],
        "lead_field": lead_field,
    }


def grow(world: dict, count: int) -> None:
    """`count` more rows in every list."""
    client = _client(world["admin"])
    users = [world["rep_east"], world["rep_west"], world["member"]]
    for index in range(count):
        serial = next(_serial)
        owner = users[index % len(users)]
        collaborators = [world["rep_west"].pk, world["manager"].pk]
        for kind, pool in (("leads", world["lead_pool"]), ("customers", world["customer_pool"])):
            body = {
                "name": f"Name {serial}",
                "company": f"Company {serial} Ltd.",
                "phone": str(next(_numbers)),
                "email": f"{kind}{serial}@example.com",
                "custom": {"level": "A"},
                "collaborators": collaborators,
            }
            # Owned in a pool, unassigned in the pool, and deleted: every list has some.
            owned = _ok(
                client.post(
                    f"{API}/{kind}/", {**body, "pool": pool.pk, "owner": owner.pk}, format="json"
                )
            )
            if kind == "customers":  # a contact's number on file for many customers
                _ok(
                    client.post(
                        f"{API}/customers/{owned['id']}/contacts/",
                        {"name": f"Buyer {serial}", "phone": SHARED_CONTACT_PHONE},
                        format="json",
                    )
                )
            _ok(
                client.post(
                    f"{API}/{kind}/",
                    {**body, "phone": str(next(_numbers)), "email": "", "pool": pool.pk},
                    format="json",
                )
            )
            binned = _ok(
                client.post(
                    f"{API}/{kind}/",
                    {
                        **body,
                        "phone": str(next(_numbers)),
                        "email": "",
                        "owner": owner.pk,
                        "pool": pool.pk,
                    },
                    format="json",
                )
            )
            _ok(client.post(f"{API}/{kind}/delete", {"ids": [binned["id"]]}, format="json"), 200)
            for reader in (world["admin"], world["rep_east"]):  # due for a follow-up
                _ok(
                    client.post(
                        f"{API}/{kind}/",
                        {
                            **body,
                            "phone": str(next(_numbers)),
                            "email": "",
                            "owner": reader.pk,
                            "next_followup_at": "2020-01-01T09:00:00Z",
                        },
                        format="json",
                    )
                )
        for kind, record in (("leads", world["lead"]), ("customers", world["customer"])):
            edit = {"notes": f"Edit {serial}", "collaborators": [world["member"].pk]}
            _ok(client.patch(f"{API}/{kind}/{record}/", edit, format="json"), 200)
            _ok(
                client.post(
                    f"{API}/{kind}/{record}/followups/",
                    {"content": f"Call {serial}", "next_followup_at": "2030-01-01T09:00:00Z"},
                    format="json",
                )
            )
            _ok(
                client.post(
                    f"{API}/{kind}/{record}/calls/",
                    {"number": str(next(_numbers)), "started_at": "2026-01-01T09:00:00Z"},
                    format="json",
                )
            )
        customer = world["customer"]
        _ok(
            client.post(
                f"{API}/customers/{customer}/contacts/",
                {"name": f"Contact {serial}", "phone": str(next(_numbers))},
                format="json",
            )
        )
        _ok(
            client.post(
                f"{API}/customers/{customer}/opportunities/",
                {"name": f"Deal {serial}", "amount": "100"},
                format="json",
            )
        )
        _ok(
            client.post(
                f"{API}/customers/{customer}/orders/",
                {
                    "lines": [
                        {"product_name": "A", "quantity": "1", "unit_price": "2"},
                        {"product_name": "B", "quantity": "3", "unit_price": "4"},
                    ]
                },
                format="json",
            )
        )
        _grow_configuration(world, serial)


def _grow_configuration(world: dict, serial: int) -> None:
    admin = world["admin"]
    department = Department.objects.create(name=f"Dept {serial}", parent=_hq())
    user = User.objects.create_user(
        username=f"user{serial}", password="x", department=department, display_name=f"U{serial}"
    )
    for kind in Pool.Kind.values:
        pool = Pool.objects.create(name=f"Pool {serial} {kind}", kind=kind)
        pool.admins.add(world["pool_admin"], user)
        pool.members.add(world["member"], world["rep_east"])
        pool.member_departments.add(department)
        pool.distribution_members.add(world["rep_east"])
    lead_field = CustomField.objects.create(
        entity="lead", key=f"text{serial}", label=f"Text {serial}", type=CustomField.Type.TEXT
    )
    customer_field = CustomField.objects.create(
        entity="customer", key=f"text{serial}", label=f"Text {serial}", type=CustomField.Type.TEXT
    )
    CustomFieldMapping.objects.create(lead_field=lead_field, customer_field=customer_field)
    ScoringRule.objects.create(
        name=f"Rule {serial}",
        field="source",
        operator="equals",
        value="web",
        points=1,
        created_by=admin,
    )
    LeadForm.objects.create(
        pool=world["lead_pool"], name=f"Form {serial}", fields=[{"key": "name"}], created_by=admin
    )
    lead = Lead.objects.filter(owner__isnull=False).order_by("-id").first()
    customer = Customer.objects.filter(owner__isnull=False).order_by("-id").first()
    for reader in (admin, world["rep_east"]):
        Notification.objects.create(
            user=reader,
            kind=Notification.Kind.ASSIGNED,
            lead=lead,
            pool=world["lead_pool"],
            actor=world["pool_admin"],
            details={"record": lead.name},
        )
        Notification.objects.create(
            user=reader,
            kind=Notification.Kind.RECLAIMED,
            customer=customer,
            pool=world["customer_pool"],
            actor=admin,
            details={"record": customer.name},
        )
        ImportJob.objects.create(
            user=reader,
            entity="lead",
            pool=world["lead_pool"],
            owner=world["rep_east"],
            file_name=f"file{serial}.csv",
            status=ImportJob.Status.DONE,
            finished_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        )
    AuditEntry.objects.create(
        action=AuditEntry.Action.EXPORT,
        actor=world["rep_east"],
        username="rep_east",
        target=f"leads {serial}",
        address="192.0.2.1",
    )


def _hq() -> Department:
    return Department.objects.get(name="HQ")


def api_lists(world: dict) -> dict[str, str]:
    """Every list the API has (api_urls.py), by a name for the failure message."""
    lead, customer, pool = world["lead"], world["customer"], world["lead_pool"].pk
    return {
        "users": f"{API}/users/",
        "departments": f"{API}/departments/",
        "pools": f"{API}/pools/",
        "pools of a kind": f"{API}/pools/?kind=lead",
        "leads": f"{API}/leads/",
        "leads of a pool, unassigned": f"{API}/leads/?pool={pool}&owner=none",
        "leads by score": f"{API}/leads/?ordering=-score",
        "leads found by q": f"{API}/leads/?q=Name",
        "leads found by a phone fragment": f"{API}/leads/?q=1390",
        "leads by a custom field": f"{API}/leads/?custom.level=A",
        "leads in the recycle bin": f"{API}/leads/?deleted=true",
        "customers": f"{API}/customers/",
        "customers found by q": f"{API}/customers/?q=Company",
        "customers in the recycle bin": f"{API}/customers/?deleted=true",
        "a lead's history": f"{API}/leads/{lead}/history/",
        "a lead's follow-ups": f"{API}/leads/{lead}/followups/",
        "a lead's calls": f"{API}/leads/{lead}/calls/",
        "a customer's history": f"{API}/customers/{customer}/history/",
        "a customer's follow-ups": f"{API}/customers/{customer}/followups/",
        "a customer's calls": f"{API}/customers/{customer}/calls/",
        "a customer's contacts": f"{API}/customers/{customer}/contacts/",
        "a customer's opportunities": f"{API}/customers/{customer}/opportunities/",
        "a customer's orders": f"{API}/customers/{customer}/orders/",
        "follow-ups due": f"{API}/followups/due?when=overdue",
        "notifications": f"{API}/notifications/",
        "imports": f"{API}/imports/",
        "audit": f"{API}/audit/",
        "custom fields": f"{API}/fields/",
        "field mappings": f"{API}/field-mappings/",
        "scoring rules": f"{API}/scoring-rules/",
        "forms": f"{API}/forms/",
        "duplicates": f"{API}/duplicates?company=Company&name=Name&phone=1390",
        "duplicates of a contact's phone": f"{API}/duplicates?phone={SHARED_CONTACT_PHONE}",
    }


# Lists that still read once per row, in files this proof does not own; each has its own
# test below, expected to fail until it is fixed (strict: a fix shows up as a failure).

# What each reader may open (the others answer 403 for them, in one or two queries).
READERS = {
    "admin": None,
    "rep_east": {
        "users",
        "departments",
        "pools",
        "pools of a kind",
        "leads",
        "leads of a pool, unassigned",
        "leads by score",
        "leads found by q",
        "leads found by a phone fragment",
        "leads by a custom field",
        "customers",
        "customers found by q",
        "a lead's history",
        "a lead's follow-ups",
        "a lead's calls",
        "a customer's history",
        "a customer's follow-ups",
        "a customer's calls",
        "a customer's contacts",
        "a customer's opportunities",
        "a customer's orders",
        "follow-ups due",
        "notifications",
        "imports",
        "custom fields",
        "field mappings",
        "duplicates",
        "duplicates of a contact's phone",
    },
    "pool_admin": {"pools", "leads", "leads of a pool, unassigned", "forms", "customers"},
}


def _sizes_and_counts(client, urls: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Each list's (rows, queries)."""
    measured = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        body = response.json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        measured[name] = (len(rows) if isinstance(rows, list) else 0, len(captured))
    return measured


def _readers_lists(world: dict) -> dict[str, tuple[APIClient, dict[str, str]]]:
    every = api_lists(world)
    chosen = {}
    for reader, allowed in READERS.items():
        urls = {name: url for name, url in every.items() if allowed is None or name in allowed}
        if urls:
            chosen[reader] = (_client(world[reader]), urls)
    return chosen


def _measure(lists) -> dict[str, dict[str, tuple[int, int]]]:
    return {reader: _sizes_and_counts(client, urls) for reader, (client, urls) in lists.items()}


def test_every_api_list_takes_the_same_queries_for_3n_rows_as_for_n(
    world, django_assert_max_num_queries
):
    # given
    lists = _readers_lists(world)
    grow(world, N)
    few = _measure(lists)
    grow(world, 2 * N)
    # when
    many = _measure(lists)
    # then
    _assert_constant(few, many, lists, django_assert_max_num_queries)


def _assert_constant(few, many, lists, django_assert_max_num_queries) -> None:
    # Every list a reader opens did grow: the counts below compare N rows with 3×N.
    grew = {
        (reader, name): (few[reader][name][0], rows)
        for reader, counts in many.items()
        for name, (rows, _queries) in counts.items()
        if rows <= few[reader][name][0]
    }
    assert grew == {}
    # ... and took as many queries: (reader, list) → (queries for N, for 3×N) where not.
    changed = {
        (reader, name): (few[reader][name][1], queries)
        for reader, counts in many.items()
        for name, (_rows, queries) in counts.items()
        if queries != few[reader][name][1]
    }
    assert changed == {}
    for client, urls in lists.values():
        for url in urls.values():
            with django_assert_max_num_queries(CEILING):
                client.get(url)


# --- PostgreSQL: the list search and the duplicate check are index-backed -----------------

SEARCH_LOOKUPS = {
    # Django's `icontains` is `UPPER(col::text) LIKE UPPER(%s)` on PostgreSQL: the trigram
    # indexes are on that very expression (leads 0006, customers 0005).
    "name__icontains": "name_upper_trgm",
    "company__icontains": "company_upper_trgm",
    "phone_normalized__icontains": "phone_normalized_upper_trgm",
    "other_phone_normalized__icontains": "other_phone_normalized_upper_trgm",
    "email_normalized__icontains": "email_normalized_upper_trgm",
    "company_normalized__contains": "company_normalized_trgm",
}


@pytest.mark.parametrize("model", [Lead, Customer], ids=["leads", "customers"])
@pytest.mark.parametrize("lookup", SEARCH_LOOKUPS)
def test_each_condition_of_the_list_search_can_use_a_trigram_index(db, model, lookup):
    """With sequential and plain index scans off, PostgreSQL can only answer a substring
    search from an index that serves it: without one it falls back to the (disabled)
    sequential scan, and the plan says so."""
    if connection.vendor != "postgresql":
        pytest.skip(f"trigram indexes are PostgreSQL's; this run is on {connection.vendor}")
    # given
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    # when
    plan = model.objects.filter(**{lookup: "38001"}).order_by().explain()
    # then
    assert f"{model._meta.db_table}_{SEARCH_LOOKUPS[lookup]}" in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.parametrize("model", [Lead, Customer], ids=["leads", "customers"])
def test_no_trigram_index_can_answer_an_equality_lookup_on_phones_or_e_mail(db, model):
    """pg_trgm serves `=` too, and a trigram index on a bare phone column lured the
    planner away from the btree for imports' `phone = ANY(…)` (30 s a batch at 1M):
    the trigram indexes sit on UPPER(col), which an equality lookup cannot use."""
    if connection.vendor != "postgresql":
        pytest.skip(f"trigram indexes are PostgreSQL's; this run is on {connection.vendor}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [model._meta.db_table, "%gin_trgm_ops%"],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    for column in ("phone_normalized", "other_phone_normalized", "email_normalized"):
        assert not any(f"({column} gin_trgm_ops)" in text for text in definitions), definitions
        assert any(f"upper(({column})::text)" in text for text in definitions), definitions
