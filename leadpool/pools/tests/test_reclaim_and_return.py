"""Taking records back into a pool: reclaim (收回) by pool admins, return (退回) and put into
pool (放入线索池) by owners — `reclaim_records`, `return_records`, `put_records_into_pool`."""

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
from leadpool.pools.services import (
    claim_records,
    put_records_into_pool,
    reclaim_records,
    return_records,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
DAY = datetime.timedelta(days=1)
REASONS = ["无法联系", "无意向", "信息错误"]
NOT_IN_SCOPE = Refusal("not_in_scope", "No such record.")
FORBIDDEN = Refusal("forbidden", "You may not do that with this record.")
CONVERTED = Refusal("converted", "This record has been converted.")
YOU_DO_NOT_OWN = Refusal("not_owned", "You do not own this record.")
NOBODY_OWNS = Refusal("not_owned", "Nobody owns this record.")

STATE_FIELDS = ("owner", "pool", "claimed_at", "assigned_at", "pooled_at", "reclaim_at")
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
def second_pool(pooled, member) -> Pool:
    """Another pool of the same kind that `member` belongs to."""
    pool = Pool.objects.create(name="Second pool", kind=pooled.pool.kind)
    pool.members.add(member)
    return pool


@pytest.fixture
def hidden_pool(pooled, rep_west) -> Pool:
    """A pool of the same kind that `member` neither administers nor belongs to."""
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


def reclaimed_notice(record, *, user, actor) -> dict:
    return {
        "user": user.pk,
        "kind": Notification.Kind.RECLAIMED,
        "lead": None,
        "customer": None,
        record.entity: record.pk,
        "pool": None,
        "actor": actor.pk,
        "details": {"record": record.display_name, "actor": str(actor)},
    }


def event(action, *, by, from_owner=None, from_pool=None, to_pool=None, reason=""):
    return {
        "action": action,
        "actor": by.pk,
        "from_owner": getattr(from_owner, "pk", None),
        "to_owner": None,
        "from_pool": getattr(from_pool, "pk", None),
        "to_pool": getattr(to_pool, "pk", None),
        "reason": reason,
        "rule": "",
        "details": {},
        "at": NOW,
    }


def assert_refused_and_unchanged(result, record, refusal, before) -> None:
    assert result.done == []
    assert result.refused == [(record.pk, refusal)]
    assert state(record) == before
    assert (Event.objects.count(), Notification.objects.count()) == (0, 0)


def assert_rejected(call, errors: dict, record, before: dict) -> None:
    with pytest.raises(ValidationError) as raised:
        call()
    assert raised.value.message_dict == errors
    assert state(record) == before
    assert (Event.objects.count(), Notification.objects.count()) == (0, 0)


# --- reclaim -----------------------------------------------------------------------------


def owned_with_reclaim_time(pooled, owner) -> PooledRecord:
    return pooled.make(
        pool=pooled.pool, owner=owner, claimed_at=NOW - DAY, reclaim_at=NOW + 6 * DAY
    )


def test_pool_admin_reclaims_an_owned_record(clock, pooled, pool_admin, member):
    # given
    record = owned_with_reclaim_time(pooled, member)
    # when
    result = reclaim_records(
        model=pooled.model, ids=[record.pk], by=pool_admin, reason="No follow-up for a week"
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": None,
        "pool": pooled.pool.pk,
        "claimed_at": NOW - DAY,
        "assigned_at": None,
        "pooled_at": NOW,
        "reclaim_at": None,
    }
    assert events(record) == [
        event(
            Event.Action.RECLAIM,
            by=pool_admin,
            from_owner=member,
            from_pool=pooled.pool,
            to_pool=pooled.pool,
            reason="No follow-up for a week",
        )
    ]
    assert notifications() == [reclaimed_notice(record, user=member, actor=pool_admin)]


def test_system_admin_reclaims_from_any_pool(clock, pooled, admin, rep_west, hidden_pool):
    # given
    record = pooled.make(pool=hidden_pool, owner=rep_west)
    # when
    result = reclaim_records(model=pooled.model, ids=[record.pk], by=admin)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert (state(record)["owner"], state(record)["pool"]) == (None, hidden_pool.pk)
    assert notifications() == [reclaimed_notice(record, user=rep_west, actor=admin)]


def test_pool_admin_reclaiming_their_own_record_is_not_notified(clock, pooled, pool_admin):
    # given
    record = pooled.make(pool=pooled.pool, owner=pool_admin)
    # when
    result = reclaim_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert result.done == [record.pk]
    assert notifications() == []


@pytest.mark.parametrize(
    ("actor", "refusal"),
    [
        ("rep_east", FORBIDDEN),  # the owner
        ("manager", FORBIDDEN),  # the owner's manager
        ("member", NOT_IN_SCOPE),  # a pool member does not see owned records
        ("outsider", NOT_IN_SCOPE),
    ],
)
def test_only_pool_admins_reclaim(clock, pooled, rep_east, request, actor, refusal):
    # given
    record = owned_with_reclaim_time(pooled, rep_east)
    before = state(record)
    # when
    result = reclaim_records(model=pooled.model, ids=[record.pk], by=request.getfixturevalue(actor))
    # then
    assert_refused_and_unchanged(result, record, refusal, before)


def test_pool_admin_cannot_reclaim_from_a_pool_they_do_not_administer(
    clock, pooled, pool_admin, rep_west, hidden_pool
):
    # given
    record = pooled.make(pool=hidden_pool, owner=rep_west)
    before = state(record)
    # when
    result = reclaim_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before)


def test_reclaim_of_an_unassigned_record_is_refused(clock, pooled, pool_admin):
    # given
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = reclaim_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert_refused_and_unchanged(result, record, NOBODY_OWNS, before)


def test_reclaim_of_a_record_in_no_pool_is_refused(clock, pooled, admin, rep_east):
    # given
    record = pooled.make(owner=rep_east)
    before = state(record)
    # when
    result = reclaim_records(model=pooled.model, ids=[record.pk], by=admin)
    # then
    assert_refused_and_unchanged(
        result, record, Refusal("not_in_pool", "This record is in no pool."), before
    )


def test_reclaim_of_a_converted_lead_is_refused(clock, lead_pool, make_lead, pool_admin, member):
    # given
    lead = make_lead(pool=lead_pool, owner=member, status=Lead.Status.CONVERTED)
    before = state(lead)
    # when
    result = reclaim_records(model=Lead, ids=[lead.pk], by=pool_admin)
    # then
    assert_refused_and_unchanged(result, lead, CONVERTED, before)


def test_reclaim_batch_takes_back_what_it_may(clock, pooled, pool_admin, member, rep_east):
    # given
    owned_by_member = pooled.make(pool=pooled.pool, owner=member)
    owned_by_rep = pooled.make(pool=pooled.pool, owner=rep_east)
    unassigned = pooled.make(pool=pooled.pool)
    # when
    result = reclaim_records(
        model=pooled.model,
        ids=[unassigned.pk, owned_by_rep.pk, owned_by_member.pk],
        by=pool_admin,
    )
    # then
    assert result.done == [owned_by_member.pk, owned_by_rep.pk]
    assert result.refused == [(unassigned.pk, NOBODY_OWNS)]
    assert [n["user"] for n in notifications()] == [member.pk, rep_east.pk]


# --- return ------------------------------------------------------------------------------


def test_owner_returns_a_record_to_its_pool(clock, pooled, member):
    # given
    pooled.pool.return_reasons = REASONS
    pooled.pool.save()
    record = owned_with_reclaim_time(pooled, member)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=member, reason=" 无意向 ")
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": None,
        "pool": pooled.pool.pk,
        "claimed_at": NOW - DAY,
        "assigned_at": None,
        "pooled_at": NOW,
        "reclaim_at": None,
    }
    assert events(record) == [
        event(
            Event.Action.RETURN,
            by=member,
            from_owner=member,
            from_pool=pooled.pool,
            to_pool=pooled.pool,
            reason="无意向",
        )
    ]
    assert notifications() == []


def test_return_takes_any_reason_when_the_pool_lists_none(clock, pooled, member):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=member, reason="Moved abroad")
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert events(record)[0]["reason"] == "Moved abroad"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_without_a_reason_is_refused(clock, pooled, member, reason):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=member, reason=reason)
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("reason_required", "Say why you are returning this record."),
        before,
    )


def test_return_with_a_reason_not_on_the_pools_list_is_refused(clock, pooled, member):
    # given
    pooled.pool.return_reasons = REASONS
    pooled.pool.save()
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=member, reason="Too busy")
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal(
            "reason_invalid",
            "“Too busy” is not one of this pool's return reasons: 无法联系, 无意向, 信息错误.",
        ),
        before,
    )


def test_owner_returns_a_record_to_another_pool_they_may_see(clock, pooled, member, second_pool):
    # given: the chosen pool's reasons apply, not those of the record's pool
    pooled.pool.return_reasons = ["无法联系"]
    pooled.pool.save()
    second_pool.return_reasons = ["信息错误"]
    second_pool.save()
    record = pooled.make(pool=pooled.pool, owner=member)
    # when
    refused = return_records(
        model=pooled.model, ids=[record.pk], by=member, reason="无法联系", to_pool=second_pool
    )
    done = return_records(
        model=pooled.model, ids=[record.pk], by=member, reason="信息错误", to_pool=second_pool.pk
    )
    # then
    assert [refusal.code for _pk, refusal in refused.refused] == ["reason_invalid"]
    assert done.as_dict() == {"done": [record.pk], "refused": []}
    assert (state(record)["owner"], state(record)["pool"]) == (None, second_pool.pk)
    assert events(record) == [
        event(
            Event.Action.RETURN,
            by=member,
            from_owner=member,
            from_pool=pooled.pool,
            to_pool=second_pool,
            reason="信息错误",
        )
    ]


def test_owner_returns_a_private_record_to_a_chosen_pool(clock, pooled, rep_east):
    # given
    record = pooled.make(owner=rep_east)
    # when
    result = return_records(
        model=pooled.model,
        ids=[record.pk],
        by=rep_east,
        reason="Not my region",
        to_pool=pooled.pool,
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert (state(record)["owner"], state(record)["pool"]) == (None, pooled.pool.pk)


def test_return_of_a_private_record_needs_a_pool(clock, pooled, rep_east):
    # given
    record = pooled.make(owner=rep_east)
    before = state(record)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=rep_east, reason="Not mine")
    # then
    assert_refused_and_unchanged(
        result,
        record,
        Refusal("not_in_pool", "This record is in no pool; choose one."),
        before,
    )


@pytest.mark.parametrize("to_pool", ["hidden", "other-kind", "unknown", "not-an-id"])
def test_return_to_a_pool_the_owner_cannot_use_is_rejected(
    clock, pooled, member, hidden_pool, to_pool
):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    target, message = {
        "hidden": (hidden_pool, f"There is no pool {hidden_pool.pk}."),
        "other-kind": (
            pooled.other_kind_pool,
            f"“{pooled.other_kind_pool.name}” is not a {pooled.model.entity} pool.",
        ),
        "unknown": (999_999, "There is no pool 999999."),
        "not-an-id": ("east", "There is no pool east."),
    }[to_pool]
    # when / then
    assert_rejected(
        lambda: return_records(
            model=pooled.model, ids=[record.pk], by=member, reason="x", to_pool=target
        ),
        {"to_pool": [message]},
        record,
        before,
    )


@pytest.mark.parametrize("owner", ["rep_east", None])
def test_only_the_owner_may_return_a_record(clock, pooled, pool_admin, request, owner):
    # given: the pool admin sees every record of the pool, owned or not
    record = pooled.make(pool=pooled.pool, owner=request.getfixturevalue(owner) if owner else None)
    before = state(record)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=pool_admin, reason="x")
    # then
    assert_refused_and_unchanged(result, record, YOU_DO_NOT_OWN, before)


def test_member_may_not_return_an_unassigned_record(clock, pooled, member):
    # given
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=member, reason="x")
    # then
    assert_refused_and_unchanged(result, record, YOU_DO_NOT_OWN, before)


def test_outsider_cannot_return_what_they_cannot_see(clock, pooled, outsider, member):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    before = state(record)
    # when
    result = return_records(model=pooled.model, ids=[record.pk], by=outsider, reason="x")
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before)


def test_return_of_a_converted_lead_is_refused(clock, lead_pool, make_lead, member):
    # given
    lead = make_lead(pool=lead_pool, owner=member, status=Lead.Status.CONVERTED)
    before = state(lead)
    # when
    result = return_records(model=Lead, ids=[lead.pk], by=member, reason="x")
    # then
    assert_refused_and_unchanged(result, lead, CONVERTED, before)


def test_returned_record_may_be_claimed_by_another_member(clock, pooled, member, rep_east):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    return_records(model=pooled.model, ids=[record.pk], by=member, reason="Wrong person")
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=rep_east)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}


# --- put into pool -----------------------------------------------------------------------


def test_owner_puts_a_private_record_into_a_pool(clock, pooled, rep_east):
    # given
    record = pooled.make(owner=rep_east)
    # when
    result = put_records_into_pool(
        model=pooled.model, ids=[record.pk], by=rep_east, pool=pooled.pool, reason="For the team"
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": None,
        "pool": pooled.pool.pk,
        "claimed_at": None,
        "assigned_at": None,
        "pooled_at": NOW,
        "reclaim_at": None,
    }
    assert events(record) == [
        event(
            Event.Action.PUT_INTO_POOL,
            by=rep_east,
            from_owner=rep_east,
            to_pool=pooled.pool,
            reason="For the team",
        )
    ]
    assert notifications() == []


def test_owner_puts_a_pooled_record_into_another_pool(clock, pooled, member, second_pool):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    # when
    result = put_records_into_pool(
        model=pooled.model, ids=[record.pk], by=member, pool=second_pool.pk
    )
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert (state(record)["owner"], state(record)["pool"]) == (None, second_pool.pk)
    assert events(record)[0]["from_pool"] == pooled.pool.pk


def test_system_admin_puts_someones_record_into_a_pool_and_the_owner_is_told(
    clock, pooled, admin, rep_east
):
    # given
    record = pooled.make(owner=rep_east)
    # when
    result = put_records_into_pool(model=pooled.model, ids=[record.pk], by=admin, pool=pooled.pool)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert notifications() == [reclaimed_notice(record, user=rep_east, actor=admin)]


def test_putting_an_unassigned_record_into_a_pool_is_refused(clock, pooled, admin, second_pool):
    # given: only the system admin may act on records they do not own here
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = put_records_into_pool(model=pooled.model, ids=[record.pk], by=admin, pool=second_pool)
    # then
    assert_refused_and_unchanged(result, record, NOBODY_OWNS, before)


@pytest.mark.parametrize("actor", ["pool_admin", "manager"])
def test_only_the_owner_puts_a_record_into_a_pool(clock, pooled, rep_east, request, actor):
    # given: both see rep_east's record (as pool admin, as rep_east's manager)
    record = pooled.make(pool=pooled.pool, owner=rep_east)
    before = state(record)
    by = request.getfixturevalue(actor)
    # when
    result = put_records_into_pool(model=pooled.model, ids=[record.pk], by=by, pool=pooled.pool)
    # then
    assert_refused_and_unchanged(result, record, YOU_DO_NOT_OWN, before)


@pytest.mark.parametrize("pool", ["hidden", "other-kind"])
def test_putting_into_a_pool_the_owner_cannot_use_is_rejected(
    clock, pooled, rep_east, hidden_pool, pool
):
    # given
    record = pooled.make(owner=rep_east)
    before = state(record)
    target, message = {
        "hidden": (hidden_pool, f"There is no pool {hidden_pool.pk}."),
        "other-kind": (
            pooled.other_kind_pool,
            f"“{pooled.other_kind_pool.name}” is not a {pooled.model.entity} pool.",
        ),
    }[pool]
    # when / then
    assert_rejected(
        lambda: put_records_into_pool(
            model=pooled.model, ids=[record.pk], by=rep_east, pool=target
        ),
        {"pool": [message]},
        record,
        before,
    )


def test_putting_a_converted_lead_into_a_pool_is_refused(clock, lead_pool, make_lead, rep_east):
    # given
    lead = make_lead(owner=rep_east, status=Lead.Status.CONVERTED)
    before = state(lead)
    # when
    result = put_records_into_pool(model=Lead, ids=[lead.pk], by=rep_east, pool=lead_pool)
    # then
    assert_refused_and_unchanged(result, lead, CONVERTED, before)


def test_record_put_into_a_pool_is_under_the_pools_embargo(clock, pooled, rep_east, member):
    # given
    pooled.pool.claim_embargo_hours = 4
    pooled.pool.save()
    record = pooled.make(owner=rep_east)
    put_records_into_pool(model=pooled.model, ids=[record.pk], by=rep_east, pool=pooled.pool)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert [(refusal.code, refusal.until) for _pk, refusal in result.refused] == [
        ("embargo", NOW + datetime.timedelta(hours=4))
    ]


def test_putting_a_record_back_into_its_own_pool_needs_a_listed_return_reason(
    member, lead_pool, make_lead
):
    # given
    lead_pool.return_reasons = ["无法联系", "无意向"]
    lead_pool.save()
    lead = make_lead(pool=lead_pool, owner=member)
    # when
    refused = put_records_into_pool(model=Lead, ids=[lead.pk], by=member, pool=lead_pool.pk)
    done = put_records_into_pool(
        model=Lead, ids=[lead.pk], by=member, pool=lead_pool.pk, reason="无意向"
    )
    # then
    assert refused.as_dict()["refused"][0]["code"] == "reason_required"
    assert done.as_dict() == {"done": [lead.pk], "refused": []}
    assert Lead.objects.get(pk=lead.pk).owner is None
