"""The permission matrix (issue 10): every role and relationship × every action × records
of one's own, of the same department, of another department and in a pool, over the API.

The expectations below are written out from PRODUCT.md's operations table, not computed
from pools/access.py, so the test can disagree with the code. A refused action must
change nothing: the record's row and the history are compared before and after.

The organisation (root conftest): HQ ⊃ East Sales (manager) ⊃ East Team (rep_east), and
West Sales (rep_west, west_manager). The lead pool: pool_admin administers it; `member`
and the whole East Sales department are members; outsider belongs to nothing.
"""

import csv
import io

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leadpool.accounts.models import User
from leadpool.history.models import Event
from leadpool.leads.models import Lead

# The records, one of each relationship.
EAST_OWNED = "east_owned"  # in the pool, owned by rep_east (East Team)
WEST_OWNED = "west_owned"  # in the pool, owned by rep_west (West Sales); outsider collaborates
UNASSIGNED = "unassigned"  # in the pool, nobody's yet
WEST_PRIVATE = "west_private"  # in no pool, rep_west's own
RECORDS = (EAST_OWNED, WEST_OWNED, UNASSIGNED, WEST_PRIVATE)
POOLED = (EAST_OWNED, WEST_OWNED, UNASSIGNED)
OWNED_IN_POOL = (EAST_OWNED, WEST_OWNED)

ACTORS = (
    "admin", "manager", "west_manager", "rep_east", "rep_west", "pool_admin", "member",
    "outsider", "deactivated", "anonymous",
)  # fmt: skip

# Who sees which record (list, view, history, export). Everything else is 404.
SEES = {
    "admin": set(RECORDS),
    "manager": {EAST_OWNED, UNASSIGNED},  # manages East Team; East Sales is a pool member
    "west_manager": {WEST_OWNED, WEST_PRIVATE},  # manages West Sales; not a pool member
    "rep_east": {EAST_OWNED, UNASSIGNED},
    "rep_west": {WEST_OWNED, WEST_PRIVATE},
    "pool_admin": set(POOLED),
    "member": {UNASSIGNED},
    "outsider": {WEST_OWNED},  # as a collaborator
    "deactivated": set(),
    "anonymous": set(),
}
# Who may do what to which record, among the records they see (others: 403 / refused).
MAY = {
    # create/edit: owner, pool admin, manager in scope; collaborators work on it too.
    "edit": {
        "admin": set(RECORDS), "manager": {EAST_OWNED}, "west_manager": {WEST_OWNED, WEST_PRIVATE},
        "rep_east": {EAST_OWNED}, "rep_west": {WEST_OWNED, WEST_PRIVATE},
        "pool_admin": set(POOLED), "outsider": {WEST_OWNED},
    },
    # follow up: owner, collaborators, pool admin (and managers in scope, as for edit).
    "follow_up": {
        "admin": set(RECORDS), "manager": {EAST_OWNED}, "west_manager": {WEST_OWNED, WEST_PRIVATE},
        "rep_east": {EAST_OWNED}, "rep_west": {WEST_OWNED, WEST_PRIVATE},
        "pool_admin": set(POOLED), "outsider": {WEST_OWNED},
    },
    # claim: pool members (and the pool's admins), unassigned records only.
    "claim": {"manager": {UNASSIGNED}, "rep_east": {UNASSIGNED}, "pool_admin": {UNASSIGNED},
              "member": {UNASSIGNED}},
    # assign and reclaim: pool admins (system admins act as one).
    "assign": {"admin": set(OWNED_IN_POOL), "pool_admin": set(OWNED_IN_POOL)},
    "reclaim": {"admin": set(OWNED_IN_POOL), "pool_admin": set(OWNED_IN_POOL)},
    # return: the owner.
    "return": {"rep_east": {EAST_OWNED}, "rep_west": {WEST_OWNED}},
    # delete: pool admins and system admins; a record in no pool, its owner and their manager.
    "delete": {
        "admin": set(RECORDS), "pool_admin": set(POOLED),
        "rep_west": {WEST_PRIVATE}, "west_manager": {WEST_PRIVATE},
    },
    # convert: the owner or the pool admin, assigned leads.
    "convert": {
        "admin": {EAST_OWNED, WEST_OWNED, WEST_PRIVATE}, "pool_admin": set(OWNED_IN_POOL),
        "rep_east": {EAST_OWNED}, "rep_west": {WEST_OWNED, WEST_PRIVATE},
    },
}  # fmt: skip
# Records an action applies to at all (others fail for their state, whoever asks).
APPLIES = {
    "edit": RECORDS,
    "follow_up": RECORDS,
    "claim": (UNASSIGNED,),
    "assign": OWNED_IN_POOL,
    "reclaim": OWNED_IN_POOL,
    "return": OWNED_IN_POOL,
    "delete": RECORDS,
    "convert": (EAST_OWNED, WEST_OWNED, WEST_PRIVATE),
}
BATCH_ACTIONS = {"claim", "assign", "reclaim", "return", "delete"}
# The refusal code for a record the caller sees but may not act on (API.md's codes).
DENIED_CODE = {"return": "not_owned"}


@pytest.fixture
def world(admin, manager, rep_east, rep_west, pool_admin, member, outsider, lead_pool,
          departments, make_lead):  # fmt: skip
    west_manager = User.objects.create_user(
        "west_manager", password="pw", role=User.Role.MANAGER, department=departments["west"]
    )
    deactivated = User.objects.create_user(
        "deactivated", password="pw", role=User.Role.ADMIN, is_active=False
    )
    users = {
        "admin": admin, "manager": manager, "west_manager": west_manager, "rep_east": rep_east,
        "rep_west": rep_west, "pool_admin": pool_admin, "member": member,
        "outsider": outsider, "deactivated": deactivated, "anonymous": None,
    }  # fmt: skip
    records = {
        EAST_OWNED: make_lead(pool=lead_pool, owner=rep_east, name="东区线索"),
        WEST_OWNED: make_lead(pool=lead_pool, owner=rep_west, name="西区线索"),
        UNASSIGNED: make_lead(pool=lead_pool, name="公海线索"),
        WEST_PRIVATE: make_lead(owner=rep_west, name="西区私有"),
    }
    records[WEST_OWNED].collaborators.add(outsider)
    return users, records


def client_for(user) -> APIClient:
    """Token authentication, as real clients use it (a deactivated user's token fails)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def snapshot(record: Lead) -> tuple:
    return (
        Lead.objects.filter(pk=record.pk).values().first(),
        Event.objects.filter(lead_id=record.pk).count(),
        record.followups.count(),
    )


def perform(client: APIClient, action: str, record: Lead, users: dict):
    if action == "edit":
        return client.patch(f"/api/v1/leads/{record.pk}", {"notes": "changed"}, format="json")
    if action == "follow_up":
        return client.post(
            f"/api/v1/leads/{record.pk}/followups", {"content": "打了电话"}, format="json"
        )
    if action == "convert":
        return client.post(f"/api/v1/leads/{record.pk}/convert", {}, format="json")
    body = {"ids": [record.pk]}
    if action == "assign":
        body["to_user"] = users["member"].pk
    if action in ("return", "delete", "reclaim"):
        body["reason"] = "无意向"
    return client.post(f"/api/v1/leads/{action}", body, format="json")


CASES = [
    (actor, action, record)
    for action, applies in APPLIES.items()
    for actor in ACTORS
    for record in applies
]


@pytest.mark.parametrize(("actor", "action", "record_name"), CASES)
def test_an_action_is_allowed_exactly_when_the_matrix_says(world, actor, action, record_name):
    users, records = world
    record = records[record_name]
    before = snapshot(record)
    response = perform(client_for(users[actor]), action, record, users)
    allowed = record_name in MAY[action].get(actor, set())
    visible = record_name in SEES[actor]
    if actor in ("anonymous", "deactivated"):
        assert response.status_code == 401, response.content
    elif action in BATCH_ACTIONS:
        assert response.status_code == 200, response.content
        body = response.json()
        if allowed:
            assert body["done"] == [record.pk], body
        else:
            assert body["done"] == [], body
            [refused] = body["refused"]
            denied = DENIED_CODE.get(action, "forbidden")
            assert refused["code"] == (denied if visible else "not_in_scope"), body
    elif allowed:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == (403 if visible else 404), response.content
    if not allowed:
        assert snapshot(record) == before  # refused: nothing changed


@pytest.mark.parametrize("actor", ACTORS)
def test_each_role_sees_exactly_its_records(world, actor):
    users, records = world
    client = client_for(users[actor])
    response = client.get("/api/v1/leads/", {"limit": 500})
    if actor in ("anonymous", "deactivated"):
        assert response.status_code == 401
        return
    listed = {row["id"] for row in response.json()["results"]}
    assert listed == {records[name].pk for name in SEES[actor]}
    for name, record in records.items():
        for path in (f"/api/v1/leads/{record.pk}", f"/api/v1/leads/{record.pk}/history"):
            expected = 200 if name in SEES[actor] else 404
            assert client.get(path).status_code == expected, (name, path)
    exported = client.get("/api/v1/leads/export", {"format": "csv", "fields": "id"})
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    ids = {int(row[0]) for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert ids == {records[name].pk for name in SEES[actor]}


def test_the_matrix_covers_every_role_action_and_relationship():
    # A guard that the table stays whole as roles and actions are added.
    assert set(SEES) == set(ACTORS)
    assert set(MAY) == set(APPLIES)
    assert len(CASES) >= 200


# --- mass assignment ----------------------------------------------------------------------

PROTECTED = {
    "owner": 1, "pool": 1, "created_by": 1, "created_at": "2020-01-01T00:00:00Z",
    "claimed_at": "2020-01-01T00:00:00Z", "reclaim_at": "2020-01-01T00:00:00Z",
    "deleted_at": "2020-01-01T00:00:00Z", "history": [], "status": "converted",
    "customer": 1, "phone_normalized": "+8613800138000",
}  # fmt: skip


@pytest.mark.parametrize(("field", "value"), PROTECTED.items())
def test_ownership_state_and_timestamps_cannot_be_written_through_create_or_edit(
    world, field, value
):
    users, records = world
    client = client_for(users["admin"])  # even a system admin: they have operations for it
    record = records[EAST_OWNED]
    before = snapshot(record)
    edited = client.patch(f"/api/v1/leads/{record.pk}", {field: value}, format="json")
    assert edited.status_code == 400, edited.content
    assert field in edited.json()["errors"]
    assert snapshot(record) == before
    if field in ("owner", "pool"):
        return  # a new record may name its pool or owner, within the creator's rights (below)
    count = Lead.objects.count()
    created = client.post("/api/v1/leads/", {"name": "新线索", field: value}, format="json")
    assert created.status_code == 400, created.content
    assert field in created.json()["errors"]
    assert Lead.objects.count() == count


def test_a_rep_cannot_create_records_for_someone_else_or_into_a_foreign_pool(world, lead_pool):
    users, _records = world
    client = client_for(users["rep_west"])  # not a member of the lead pool
    count = Lead.objects.count()
    for body, field in (
        ({"name": "新线索", "owner": users["rep_east"].pk}, "owner"),
        ({"name": "新线索", "pool": lead_pool.pk}, "pool"),
    ):
        response = client.post("/api/v1/leads/", body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"]
    assert Lead.objects.count() == count
