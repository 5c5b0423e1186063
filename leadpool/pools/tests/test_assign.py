"""Assigning records to a user (分配给销售) or to a pool (分配到线索池):
`pools.services.assign_records`."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from leadpool.core.results import Refusal
from leadpool.customers.models import Customer
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.services import assign_records

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
DAY = datetime.timedelta(days=1)
NOT_IN_SCOPE = Refusal("not_in_scope", "No such record.")
FORBIDDEN = Refusal("forbidden", "You may not do that with this record.")

STATE_FIELDS = (
    "owner",
    "pool",
    "claimed_at",
    "assigned_at",
    "pooled_at",
    "reclaim_at",
    "deleted_at",
)
EVENT_FIELDS = (
    "action",
    "actor",
    "from_owner",
    "to_owner",
    "from_pool",
    "to_pool",
    "reason",
    "rule",
    "details",
    "at",
)


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield NOW


@dataclass
class Pooled:
    model: type[PooledRecord]
    pool: Pool
    make: Callable[..., PooledRecord]
    other_kind_pool: Pool


@pytest.fixture(params=["lead", "customer"])
def pooled(request, lead_pool, customer_pool, make_lead, make_customer) -> Pooled:
    if request.param == "lead":
        return Pooled(Lead, lead_pool, make_lead, customer_pool)
    return Pooled(Customer, customer_pool, make_customer, lead_pool)


@pytest.fixture
def second_pool(pooled, rep_west) -> Pool:
    """Another pool of the same kind, which `pool_admin` does not administer."""
    pool = Pool.objects.create(name="West pool", kind=pooled.pool.kind)
    pool.admins.add(rep_west)
    return pool


def state(record: PooledRecord) -> dict:
    return type(record).objects.filter(pk=record.pk).values(*STATE_FIELDS).get()


def events(record: PooledRecord) -> list[dict]:
    return list(
        Event.objects.filter(**{f"{record.entity}_id": record.pk})
        .order_by("id")
        .values(*EVENT_FIELDS)
    )


def notifications() -> list[dict]:
    return list(
        Notification.objects.order_by("id").values(
            "user", "kind", "lead", "customer", "pool", "actor", "details"
        )
    )


def notification(record, *, user, kind, actor) -> dict:
    return {
        "user": user.pk,
        "kind": kind,
        "lead": None,
        "customer": None,
        record.entity: record.pk,
        "pool": None,
        "actor": actor.pk,
        "details": {"record": record.display_name, "actor": str(actor)},
    }


def event(action, *, by, from_owner=None, to_owner=None, from_pool=None, to_pool=None, reason=""):
    return {
        "action": action,
        "actor": by.pk,
        "from_owner": getattr(from_owner, "pk", None),
        "to_owner": getattr(to_owner, "pk", None),
        "from_pool": getattr(from_pool, "pk", None),
        "to_pool": getattr(to_pool, "pk", None),
        "reason": reason,
        "rule": "",
        "details": {},
        "at": NOW,
    }


# --- to a user ---------------------------------------------------------------------------


def test_pool_admin_assigns_an_unassigned_record_to_a_user(clock, pooled, pool_admin, rep_west):
    # given
    pooled.pool.reclaim_no_followup_days = 5
    pooled.pool.save()
    record = pooled.make(pool=pooled.pool, company="Acme")
    # when
    result = assign_records(
        model=pooled.model, ids=[record.pk], by=pool_admin, to_user=rep_west, reason="West lead"
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": rep_west.pk,
        "pool": pooled.pool.pk,
        "claimed_at": None,
        "assigned_at": NOW,
        "pooled_at": None,
        "reclaim_at": NOW + 5 * DAY,
        "deleted_at": None,
    }
    assert events(record) == [
        event(
            Event.Action.ASSIGN,
            by=pool_admin,
            to_owner=rep_west,
            from_pool=pooled.pool,
            to_pool=pooled.pool,
            reason="West lead",
        )
    ]
    assert notifications() == [
        {
            "user": rep_west.pk,
            "kind": Notification.Kind.ASSIGNED,
            "lead": None,
            "customer": None,
            record.entity: record.pk,
            "pool": None,
            "actor": pool_admin.pk,
            "details": {"record": "Zhang San (Acme)", "actor": "Pool Admin"},
        }
    ]


def test_pool_admin_reassigns_an_owned_record_and_both_owners_are_told(
    clock, pooled, pool_admin, member, rep_west
):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    # when
    result = assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_user=rep_west.pk)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record)["owner"] == rep_west.pk
    assert events(record) == [
        event(
            Event.Action.ASSIGN,
            by=pool_admin,
            from_owner=member,
            to_owner=rep_west,
            from_pool=pooled.pool,
            to_pool=pooled.pool,
        )
    ]
    reassigned = notification(
        record, user=member, kind=Notification.Kind.REASSIGNED, actor=pool_admin
    )
    reassigned["details"]["owner"] = str(rep_west)
    assert notifications() == [
        notification(record, user=rep_west, kind=Notification.Kind.ASSIGNED, actor=pool_admin),
        reassigned,
    ]


def test_system_admin_assigns_records_in_any_pool_and_in_none(
    clock, pooled, admin, rep_east, rep_west, second_pool
):
    # given
    in_pool = pooled.make(pool=second_pool)
    private = pooled.make(owner=rep_east)
    # when
    result = assign_records(
        model=pooled.model, ids=[in_pool.pk, private.pk], by=admin, to_user=rep_west
    )
    # then
    assert result.as_dict() == {"done": [in_pool.pk, private.pk], "refused": []}
    assert [(state(r)["owner"], state(r)["pool"]) for r in (in_pool, private)] == [
        (rep_west.pk, second_pool.pk),
        (rep_west.pk, None),
    ]
    assert events(private) == [
        event(Event.Action.ASSIGN, by=admin, from_owner=rep_east, to_owner=rep_west)
    ]


def test_admin_assigning_to_themselves_is_not_notified(clock, pooled, pool_admin):
    # given
    record = pooled.make(pool=pooled.pool)
    # when
    result = assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_user=pool_admin)
    # then
    assert result.done == [record.pk]
    assert state(record)["owner"] == pool_admin.pk
    assert notifications() == []


def test_won_customer_may_be_assigned(clock, customer_pool, make_customer, pool_admin, member):
    # given
    customer = make_customer(pool=customer_pool, status=Customer.Status.WON)
    # when
    result = assign_records(model=Customer, ids=[customer.pk], by=pool_admin, to_user=member)
    # then
    assert result.as_dict() == {"done": [customer.pk], "refused": []}


def test_assigning_to_the_current_owner_is_refused(clock, pooled, pool_admin, member):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    # when
    result = assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_user=member)
    # then
    assert result.done == []
    assert result.refused == [
        (record.pk, Refusal("already_owned", "Member already owns this record."))
    ]
    assert state(record) == before
    assert (Event.objects.count(), Notification.objects.count()) == (0, 0)


@pytest.mark.parametrize("target", ["to_user", "to_pool"])
def test_converted_lead_cannot_be_assigned(
    clock, lead_pool, make_lead, pool_admin, rep_west, target
):
    # given
    other = Pool.objects.create(name="Other leads", kind=Pool.Kind.LEAD)
    lead = make_lead(pool=lead_pool, owner=rep_west, status=Lead.Status.CONVERTED)
    before = state(lead)
    # when
    result = assign_records(
        model=Lead,
        ids=[lead.pk],
        by=pool_admin,
        **{target: pool_admin if target == "to_user" else other},
    )
    # then
    assert result.done == []
    assert result.refused == [(lead.pk, Refusal("converted", "This record has been converted."))]
    assert state(lead) == before
    assert (Event.objects.count(), Notification.objects.count()) == (0, 0)


# --- to a pool ---------------------------------------------------------------------------


def test_pool_admin_moves_an_owned_record_to_another_pool(
    clock, pooled, pool_admin, member, second_pool
):
    # given
    pooled.pool.reclaim_no_followup_days = 5
    pooled.pool.save()
    record = pooled.make(pool=pooled.pool, owner=member, claimed_at=NOW - DAY)
    # when: to any pool of the kind, not only one the admin administers
    result = assign_records(
        model=pooled.model, ids=[record.pk], by=pool_admin, to_pool=second_pool, reason="Region"
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": None,
        "pool": second_pool.pk,
        "claimed_at": NOW - DAY,
        "assigned_at": None,
        "pooled_at": NOW,
        "reclaim_at": None,
        "deleted_at": None,
    }
    assert events(record) == [
        event(
            Event.Action.ASSIGN_TO_POOL,
            by=pool_admin,
            from_owner=member,
            from_pool=pooled.pool,
            to_pool=second_pool,
            reason="Region",
        )
    ]
    assert notifications() == [
        notification(record, user=member, kind=Notification.Kind.RECLAIMED, actor=pool_admin)
    ]


def test_moving_an_unassigned_record_to_another_pool_notifies_nobody(
    clock, pooled, pool_admin, second_pool
):
    # given
    record = pooled.make(pool=pooled.pool)
    # when
    result = assign_records(
        model=pooled.model, ids=[record.pk], by=pool_admin, to_pool=second_pool.pk
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert (state(record)["owner"], state(record)["pool"]) == (None, second_pool.pk)
    assert events(record) == [
        event(
            Event.Action.ASSIGN_TO_POOL, by=pool_admin, from_pool=pooled.pool, to_pool=second_pool
        )
    ]
    assert notifications() == []


def test_assigning_an_owned_record_to_its_own_pool_takes_it_back(clock, pooled, pool_admin, member):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    # when
    result = assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_pool=pooled.pool)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert (state(record)["owner"], state(record)["pool"]) == (None, pooled.pool.pk)
    assert [n["user"] for n in notifications()] == [member.pk]


def test_assigning_an_unassigned_record_to_its_own_pool_is_refused(clock, pooled, pool_admin):
    # given
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_pool=pooled.pool)
    # then
    assert result.done == []
    assert result.refused == [
        (
            record.pk,
            Refusal("already_in_pool", f"This record is already in “{pooled.pool.name}”."),
        )
    ]
    assert state(record) == before
    assert Event.objects.count() == 0


# --- who may assign ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "owner", "code"),
    [
        ("rep_east", "rep_east", "forbidden"),  # the owner
        ("manager", "rep_east", "forbidden"),  # the owner's manager
        ("member", None, "forbidden"),  # a pool member, on an unassigned record
        ("member", "rep_west", "not_in_scope"),  # a pool member, on someone's record
        ("outsider", None, "not_in_scope"),
        ("rep_west", None, "not_in_scope"),
    ],
)
@pytest.mark.parametrize("target", ["to_user", "to_pool"])
def test_only_pool_admins_assign(clock, pooled, second_pool, request, actor, owner, code, target):
    # given
    actor = request.getfixturevalue(actor)
    owner = request.getfixturevalue(owner) if owner else None
    record = pooled.make(pool=pooled.pool, owner=owner)
    before = state(record)
    to = {"to_user": request.getfixturevalue("pool_admin")}
    if target == "to_pool":
        to = {"to_pool": second_pool}
    # when
    result = assign_records(model=pooled.model, ids=[record.pk], by=actor, **to)
    # then
    assert result.done == []
    assert result.refused == [(record.pk, NOT_IN_SCOPE if code == "not_in_scope" else FORBIDDEN)]
    assert state(record) == before
    assert (Event.objects.count(), Notification.objects.count()) == (0, 0)


def test_pool_admin_cannot_assign_records_of_a_pool_they_do_not_administer(
    clock, pooled, pool_admin, second_pool, member
):
    # given
    record = pooled.make(pool=second_pool)
    before = state(record)
    # when
    result = assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_user=member)
    # then
    assert result.refused == [(record.pk, NOT_IN_SCOPE)]
    assert state(record) == before
    assert Event.objects.count() == 0


def test_batch_assigns_what_it_may_and_explains_the_rest(
    clock, pooled, pool_admin, member, second_pool
):
    # given
    mine = pooled.make(pool=pooled.pool)
    owned_by_target = pooled.make(pool=pooled.pool, owner=member)
    elsewhere = pooled.make(pool=second_pool)
    # when
    result = assign_records(
        model=pooled.model,
        ids=[elsewhere.pk, owned_by_target.pk, mine.pk, mine.pk, "x"],
        by=pool_admin,
        to_user=member,
    )
    # then
    assert result.as_dict() == {
        "done": [mine.pk],
        "refused": [
            {"id": "x", "code": "not_in_scope", "message": "No such record."},
            {
                "id": owned_by_target.pk,
                "code": "already_owned",
                "message": "Member already owns this record.",
            },
            {"id": elsewhere.pk, "code": "not_in_scope", "message": "No such record."},
        ],
    }
    assert Event.objects.count() == 1
    assert [n["user"] for n in notifications()] == [member.pk]


# --- bad targets -------------------------------------------------------------------------


def assert_rejected(call, errors: dict, record, before: dict) -> None:
    with pytest.raises(ValidationError) as raised:
        call()
    assert raised.value.message_dict == errors
    assert state(record) == before
    assert (Event.objects.count(), Notification.objects.count()) == (0, 0)


@pytest.mark.parametrize("both", [False, True], ids=["neither", "both"])
def test_assignment_needs_a_user_or_a_pool_but_not_both(clock, pooled, pool_admin, member, both):
    # given
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    targets = {"to_user": member, "to_pool": pooled.pool} if both else {}
    # when / then
    assert_rejected(
        lambda: assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, **targets),
        {"non_field_errors": ["Choose a user or a pool to assign to, not both."]},
        record,
        before,
    )


@pytest.mark.parametrize("to_user", ["unknown", "not-an-id", "inactive"])
def test_assignment_to_an_unknown_or_inactive_user_is_rejected(
    clock, pooled, pool_admin, member, rep_west, to_user
):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    rep_west.is_active = False
    rep_west.save()
    target = {"unknown": 999_999, "not-an-id": "bob", "inactive": rep_west}[to_user]
    shown = {"unknown": "999999", "not-an-id": "bob", "inactive": str(rep_west.pk)}[to_user]
    # when / then
    assert_rejected(
        lambda: assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_user=target),
        {"to_user": [f"There is no active user {shown}."]},
        record,
        before,
    )


@pytest.mark.parametrize("to_pool", ["unknown", "not-an-id", "other-kind"])
def test_assignment_to_an_unknown_pool_or_one_of_the_other_kind_is_rejected(
    clock, pooled, pool_admin, member, to_pool
):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    target = {"unknown": 999_999, "not-an-id": "west", "other-kind": pooled.other_kind_pool}[
        to_pool
    ]
    shown = {"unknown": "999999", "not-an-id": "west", "other-kind": pooled.other_kind_pool.pk}[
        to_pool
    ]
    # when / then
    assert_rejected(
        lambda: assign_records(model=pooled.model, ids=[record.pk], by=pool_admin, to_pool=target),
        {"to_pool": [f"There is no {pooled.model.entity} pool {shown}."]},
        record,
        before,
    )
