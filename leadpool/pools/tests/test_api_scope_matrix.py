"""The scope matrix over HTTP: who may list, read, edit and act on which lead or customer.

One record in each situation, for leads and for customers; every persona of the root
conftest (and the pool admin); the API's answer for each, exactly. Records a persona
may not touch are left exactly as they were.
"""

import pytest
from rest_framework.test import APIClient

from leadpool.customers.models import Customer
from leadpool.history.models import Event
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool

PERSONAS = ("admin", "manager", "rep_east", "rep_west", "pool_admin", "member", "outsider")
RECORDS = (
    "own_east",  # private, owned by rep_east
    "own_west",  # private, owned by rep_west
    "collab",  # private, owned by rep_west, rep_east collaborates
    "unassigned",  # unassigned in the (claimable) pool
    "assigned_west",  # in the pool, owned by rep_west
    "assign_only",  # unassigned in an assign-only pool
    "outsider_private",  # private, owned by the outsider (in no pool, no department)
)
ENTITIES = ("lead", "customer")

# The records each persona finds in the list and may read; the rest are 404 for them.
# (The same for leads and customers: no record here has a status that closes it.)
VISIBLE = {
    "admin": set(RECORDS),
    "manager": {"own_east", "unassigned"},  # his rep's, and his department is a pool member
    "rep_east": {"own_east", "collab", "unassigned"},
    "rep_west": {"own_west", "collab", "assigned_west"},
    "pool_admin": {"unassigned", "assigned_west", "assign_only"},
    "member": {"unassigned"},
    "outsider": {"outsider_private"},
}

# PATCH: 200 edits; 403 visible but not editable; everything else 404.
EDITABLE = {
    "admin": set(RECORDS),
    "manager": {"own_east"},
    "rep_east": {"own_east", "collab"},
    "rep_west": {"own_west", "collab", "assigned_west"},
    "pool_admin": {"unassigned", "assigned_west", "assign_only"},
    "member": set(),
    "outsider": {"outsider_private"},
}

NIS = "not_in_scope"
# Batch actions over every record at once: done, or the refusal's code. Records not named
# in a persona's row are outside their scope (`not_in_scope`).
ACTS = {
    "claim": {
        # Claiming is for pool members and the pool's admins; a system admin assigns.
        "admin": dict.fromkeys(RECORDS, "forbidden"),
        "manager": {"own_east": "forbidden", "unassigned": "done"},
        "rep_east": {"own_east": "forbidden", "collab": "forbidden", "unassigned": "done"},
        "rep_west": {"own_west": "forbidden", "collab": "forbidden", "assigned_west": "forbidden"},
        "pool_admin": {
            "unassigned": "done",
            "assigned_west": "already_owned",
            "assign_only": "done",
        },
        "member": {"unassigned": "done"},
        "outsider": {"outsider_private": "forbidden"},
    },
    "assign": {  # to the member
        "admin": dict.fromkeys(RECORDS, "done"),
        "manager": {"own_east": "forbidden", "unassigned": "forbidden"},
        "rep_east": {"own_east": "forbidden", "collab": "forbidden", "unassigned": "forbidden"},
        "rep_west": {"own_west": "forbidden", "collab": "forbidden", "assigned_west": "forbidden"},
        "pool_admin": {"unassigned": "done", "assigned_west": "done", "assign_only": "done"},
        "member": {"unassigned": "forbidden"},
        "outsider": {"outsider_private": "forbidden"},
    },
    "reclaim": {
        "admin": {
            "own_east": "not_in_pool",
            "own_west": "not_in_pool",
            "collab": "not_in_pool",
            "unassigned": "not_owned",
            "assigned_west": "done",
            "assign_only": "not_owned",
            "outsider_private": "not_in_pool",
        },
        "manager": {"own_east": "forbidden", "unassigned": "forbidden"},
        "rep_east": {"own_east": "forbidden", "collab": "forbidden", "unassigned": "forbidden"},
        "rep_west": {"own_west": "forbidden", "collab": "forbidden", "assigned_west": "forbidden"},
        "pool_admin": {
            "unassigned": "not_owned",
            "assigned_west": "done",
            "assign_only": "not_owned",
        },
        "member": {"unassigned": "forbidden"},
        "outsider": {"outsider_private": "forbidden"},
    },
    "return": {  # only the owner returns, and only into a pool
        "admin": dict.fromkeys(RECORDS, "not_owned"),
        "manager": {"own_east": "not_owned", "unassigned": "not_owned"},
        "rep_east": {"own_east": "not_in_pool", "collab": "not_owned", "unassigned": "not_owned"},
        "rep_west": {"own_west": "not_in_pool", "collab": "not_in_pool", "assigned_west": "done"},
        "pool_admin": {
            "unassigned": "not_owned",
            "assigned_west": "not_owned",
            "assign_only": "not_owned",
        },
        "member": {"unassigned": "not_owned"},
        "outsider": {"outsider_private": "not_in_pool"},
    },
    "delete": {  # pool admins in their pools; owner, manager and admin for private records
        "admin": dict.fromkeys(RECORDS, "done"),
        "manager": {"own_east": "done", "unassigned": "forbidden"},
        "rep_east": {"own_east": "done", "collab": "forbidden", "unassigned": "forbidden"},
        "rep_west": {"own_west": "done", "collab": "done", "assigned_west": "forbidden"},
        "pool_admin": {"unassigned": "done", "assigned_west": "done", "assign_only": "done"},
        "member": {"unassigned": "forbidden"},
        "outsider": {"outsider_private": "done"},
    },
}


@pytest.fixture(autouse=True)
def _no_write_throttle(settings):
    settings.LEADPOOL_RATES = {**settings.LEADPOOL_RATES, "write": None}


@pytest.fixture
def personas(admin, manager, rep_east, rep_west, pool_admin, member, outsider):
    return {
        "admin": admin,
        "manager": manager,
        "rep_east": rep_east,
        "rep_west": rep_west,
        "pool_admin": pool_admin,
        "member": member,
        "outsider": outsider,
    }


@pytest.fixture
def world(request, personas, lead_pool, customer_pool, departments, make_lead, make_customer):
    """The entity's URL, model and one record in each situation."""
    entity = request.param
    model, make, pool = (
        (Lead, make_lead, lead_pool)
        if entity == "lead"
        else (Customer, make_customer, customer_pool)
    )
    assign_only = Pool.objects.create(
        name="Assign-only pool", kind=pool.kind, visibility=Pool.Visibility.ASSIGN_ONLY
    )
    assign_only.admins.add(personas["pool_admin"])
    assign_only.members.add(personas["member"])
    assign_only.member_departments.add(departments["east"])
    p = personas
    collab = make(owner=p["rep_west"], name="Collab")
    collab.collaborators.add(p["rep_east"])
    records = {
        "own_east": make(owner=p["rep_east"], name="Own east"),
        "own_west": make(owner=p["rep_west"], name="Own west"),
        "collab": collab,
        "unassigned": make(pool=pool, name="Unassigned"),
        "assigned_west": make(pool=pool, owner=p["rep_west"], name="Assigned west"),
        "assign_only": make(pool=assign_only, name="Assign only"),
        "outsider_private": make(owner=p["outsider"], name="Outsider private"),
    }
    return {"url": f"/api/v1/{entity}s/", "model": model, "records": records}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _snapshot(record) -> dict:
    """Everything the API could change about a record, read fresh from the database."""
    fresh = type(record).objects.get(pk=record.pk)
    return {
        "fields": {field.attname: getattr(fresh, field.attname) for field in fresh._meta.fields},
        "collaborators": sorted(fresh.collaborators.values_list("pk", flat=True)),
        "events": Event.objects.filter(**{record.entity: record}).count(),
    }


def _snapshots(world) -> dict:
    return {name: _snapshot(record) for name, record in world["records"].items()}


def _names(world, ids) -> set[str]:
    by_id = {record.pk: name for name, record in world["records"].items()}
    return {by_id[pk] for pk in ids}


both = pytest.mark.parametrize("world", ENTITIES, indirect=True)


# --- list and read -----------------------------------------------------------------------


@both
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lists_exactly_the_records_of_their_scope(world, personas, persona):
    # when
    response = _client(personas[persona]).get(world["url"])
    # then
    assert response.status_code == 200
    assert response.json()["next"] is None
    assert _names(world, [row["id"] for row in response.json()["results"]]) == VISIBLE[persona]


@both
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_the_records_of_their_scope_and_gets_404_for_the_rest(
    world, personas, persona
):
    # given
    client = _client(personas[persona])
    # when
    answers = {
        name: client.get(f"{world['url']}{record.pk}") for name, record in world["records"].items()
    }
    # then
    assert {name: answer.status_code for name, answer in answers.items()} == {
        name: 200 if name in VISIBLE[persona] else 404 for name in RECORDS
    }
    assert {
        name: answer.json()["id"] if answer.status_code == 200 else answer.json()
        for name, answer in answers.items()
    } == {
        name: (
            world["records"][name].pk if name in VISIBLE[persona] else {"detail": "No such record."}
        )
        for name in RECORDS
    }


@both
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_history_followups_and_calls_of_exactly_the_records_they_read(
    world, personas, persona
):
    # given
    client = _client(personas[persona])
    # when
    statuses = {
        (name, part): client.get(f"{world['url']}{record.pk}/{part}/").status_code
        for name, record in world["records"].items()
        for part in ("history", "followups", "calls")
    }
    # then
    assert statuses == {
        (name, part): 200 if name in VISIBLE[persona] else 404
        for name in RECORDS
        for part in ("history", "followups", "calls")
    }


@both
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_recycle_bin_of_a_persona_without_deletions_is_empty(world, personas, persona):
    # when
    response = _client(personas[persona]).get(world["url"], {"deleted": "true"})
    # then
    assert response.json() == {"results": [], "next": None}


# --- edit --------------------------------------------------------------------------------


def _edit_status(persona: str, name: str) -> int:
    if name in EDITABLE[persona]:
        return 200
    return 403 if name in VISIBLE[persona] else 404


@both
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_edits_what_they_may_and_is_refused_the_rest_with_nothing_changed(
    world, personas, persona
):
    # given
    client = _client(personas[persona])
    before = _snapshots(world)
    # when
    answers = {
        name: client.patch(
            f"{world['url']}{record.pk}", {"notes": f"edited by {persona}"}, format="json"
        )
        for name, record in world["records"].items()
    }
    # then
    assert {name: answer.status_code for name, answer in answers.items()} == {
        name: _edit_status(persona, name) for name in RECORDS
    }
    after = _snapshots(world)
    for name, answer in answers.items():
        if answer.status_code == 200:
            assert answer.json()["notes"] == f"edited by {persona}"
            assert after[name]["fields"]["notes"] == f"edited by {persona}"
            assert after[name]["events"] == before[name]["events"] + 1
        elif answer.status_code == 403:
            assert answer.json() == {"detail": "You may not do that with this record."}
            assert after[name] == before[name]
        else:
            assert answer.json() == {"detail": "No such record."}
            assert after[name] == before[name]


# --- act ---------------------------------------------------------------------------------


def _act(client, world, action: str, personas):
    ids = [record.pk for record in world["records"].values()]
    body = {
        "claim": {"ids": ids},
        "assign": {"ids": ids, "to_user": personas["member"].pk},
        "reclaim": {"ids": ids},
        "return": {"ids": ids, "reason": "No budget"},
        "delete": {"ids": ids},
    }[action]
    return client.post(f"{world['url']}{action}", body, format="json")


def _done_effect(action: str, fields: dict, persona, personas) -> bool:
    """Whether a record's fresh columns show the action took effect."""
    if action == "claim":
        return fields["owner_id"] == persona.pk and fields["claimed_at"] is not None
    if action == "assign":
        return fields["owner_id"] == personas["member"].pk
    if action in ("reclaim", "return"):
        return fields["owner_id"] is None and fields["pool_id"] is not None
    return fields["deleted_at"] is not None  # delete


@both
@pytest.mark.parametrize("action", list(ACTS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_acts_on_what_they_may_and_every_other_record_is_refused_untouched(
    world, personas, persona, action
):
    # given
    user = personas[persona]
    before = _snapshots(world)
    # when
    response = _act(_client(user), world, action, personas)
    # then
    assert response.status_code == 200
    body = response.json()
    outcome = {name: "done" for name in _names(world, body["done"])}
    outcome |= {
        name: refusal["code"]
        for refusal in body["refused"]
        for name in _names(world, [refusal["id"]])
    }
    expected = {name: ACTS[action][persona].get(name, NIS) for name in RECORDS}
    assert outcome == expected
    assert body["done"] == sorted(body["done"])
    assert all(set(refusal) == {"id", "code", "message"} for refusal in body["refused"])
    after = _snapshots(world)
    for name, result in expected.items():
        if result == "done":
            assert _done_effect(action, after[name]["fields"], user, personas), name
        else:
            assert after[name] == before[name], name


@both
@pytest.mark.parametrize("persona", PERSONAS)
def test_an_out_of_scope_refusal_says_no_more_than_a_record_that_does_not_exist(
    world, personas, persona
):
    # given: the highest id in use, plus one, names no record at all
    missing = max(record.pk for record in world["records"].values()) + 1
    hidden = [name for name in RECORDS if name not in VISIBLE[persona]]
    ids = [world["records"][name].pk for name in hidden] + [missing]
    # when
    response = _client(personas[persona]).post(f"{world['url']}claim", {"ids": ids}, format="json")
    # then
    assert response.json() == {
        "done": [],
        "refused": [
            {"id": pk, "code": "not_in_scope", "message": "No such record."} for pk in sorted(ids)
        ],
    }
