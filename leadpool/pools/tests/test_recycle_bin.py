"""The recycle bin: `delete_records`, `restore_records`, `purge_records` and
`purge_expired_records`; and the history that outlives purged records."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from leadpool.core.results import Refusal
from leadpool.customers.models import Customer
from leadpool.history.models import Event, HistoryIsImmutable, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.services import (
    assign_records,
    claim_records,
    delete_records,
    purge_expired_records,
    purge_records,
    put_records_into_pool,
    reclaim_records,
    restore_records,
    return_records,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
DAY = datetime.timedelta(days=1)
NOT_IN_SCOPE = Refusal("not_in_scope", "No such record.")
FORBIDDEN = Refusal("forbidden", "You may not do that with this record.")
DELETED = Refusal("deleted", "This record is in the recycle bin.")
NOT_DELETED = Refusal("not_deleted", "This record is not in the recycle bin.")

STATE_FIELDS = ("owner", "pool", "pooled_at", "reclaim_at", "deleted_at", "deleted_by")
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


class Clock:
    def __init__(self, now: datetime.datetime):
        self.now = now

    def advance(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    clock = Clock(NOW)
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.now):
        yield clock


@dataclass
class Pooled:
    model: type[PooledRecord]
    pool: Pool
    make: Callable[..., PooledRecord]


@pytest.fixture(params=["lead", "customer"])
def pooled(request, lead_pool, customer_pool, make_lead, make_customer) -> Pooled:
    if request.param == "lead":
        return Pooled(Lead, lead_pool, make_lead)
    return Pooled(Customer, customer_pool, make_customer)


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


def event(action, *, by, from_owner=None, to_owner=None, from_pool=None, to_pool=None, **extra):
    return {
        "action": action,
        "actor": getattr(by, "pk", None),
        "from_owner": getattr(from_owner, "pk", None),
        "to_owner": getattr(to_owner, "pk", None),
        "from_pool": getattr(from_pool, "pk", None),
        "to_pool": getattr(to_pool, "pk", None),
        "reason": "",
        "rule": "",
        "details": {},
        "at": NOW,
    } | extra


def deleted(pooled, *, by, **fields) -> PooledRecord:
    record = pooled.make(**fields)
    assert delete_records(model=pooled.model, ids=[record.pk], by=by).done == [record.pk]
    return record


def assert_refused_and_unchanged(result, record, refusal, *, before, event_count=0) -> None:
    assert result.done == []
    assert result.refused == [(record.pk, refusal)]
    assert state(record) == before
    assert Event.objects.count() == event_count


# --- delete ------------------------------------------------------------------------------


def test_pool_admin_deletes_a_record_and_its_owner_and_collaborators_are_told(
    clock, pooled, pool_admin, member, rep_west
):
    # given: the acting admin collaborates too, and is not told of their own doing
    record = pooled.make(pool=pooled.pool, owner=member, reclaim_at=NOW + 3 * DAY)
    record.collaborators.add(rep_west, pool_admin)
    # when
    result = delete_records(model=pooled.model, ids=[record.pk], by=pool_admin, reason="Spam")
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": member.pk,
        "pool": pooled.pool.pk,
        "pooled_at": None,
        "reclaim_at": None,
        "deleted_at": NOW,
        "deleted_by": pool_admin.pk,
    }
    assert events(record) == [
        event(
            Event.Action.DELETE,
            by=pool_admin,
            from_owner=member,
            from_pool=pooled.pool,
            reason="Spam",
        )
    ]
    details = {"record": record.display_name, "actor": "Pool Admin"}
    subject = {"lead": None, "customer": None, record.entity: record.pk}
    assert notifications() == [
        {"user": user.pk, "kind": "deleted", "pool": None, "actor": pool_admin.pk}
        | subject
        | {"details": details}
        for user in sorted([member, rep_west], key=lambda user: user.pk)
    ]


def test_deleting_an_unassigned_record_tells_nobody(clock, pooled, pool_admin):
    # given
    record = pooled.make(pool=pooled.pool)
    # when
    result = delete_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert notifications() == []
    assert pooled.model.objects.alive().filter(pk=record.pk).exists() is False


@pytest.mark.parametrize(
    ("actor", "owner", "in_pool"),
    [
        ("pool_admin", None, True),
        ("admin", "rep_west", True),
        ("admin", "rep_west", False),
        ("rep_east", "rep_east", False),  # owner of a record in no pool
        ("manager", "rep_east", False),  # manager of that owner
    ],
)
def test_who_may_delete(clock, pooled, request, actor, owner, in_pool):
    # given
    record = pooled.make(
        pool=pooled.pool if in_pool else None,
        owner=request.getfixturevalue(owner) if owner else None,
    )
    # when
    result = delete_records(model=pooled.model, ids=[record.pk], by=request.getfixturevalue(actor))
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record)["deleted_at"] == NOW


@pytest.mark.parametrize(
    ("actor", "owner", "in_pool", "refusal"),
    [
        ("rep_east", "rep_east", True, FORBIDDEN),  # owner of a record in a pool
        ("manager", "rep_east", True, FORBIDDEN),  # their manager, record in a pool
        ("member", None, True, FORBIDDEN),  # pool member, unassigned record
        ("outsider", None, True, NOT_IN_SCOPE),
        ("manager", "rep_west", False, NOT_IN_SCOPE),  # not the manager's department
        ("pool_admin", "rep_east", False, NOT_IN_SCOPE),  # a record outside their pools
    ],
)
def test_who_may_not_delete(clock, pooled, request, actor, owner, in_pool, refusal):
    # given
    record = pooled.make(
        pool=pooled.pool if in_pool else None,
        owner=request.getfixturevalue(owner) if owner else None,
    )
    before = state(record)
    # when
    result = delete_records(model=pooled.model, ids=[record.pk], by=request.getfixturevalue(actor))
    # then
    assert_refused_and_unchanged(result, record, refusal, before=before)
    assert Notification.objects.count() == 0


def test_deleting_a_deleted_record_is_refused(clock, pooled, pool_admin):
    # given
    record = deleted(pooled, by=pool_admin, pool=pooled.pool)
    before = state(record)
    # when
    result = delete_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert_refused_and_unchanged(result, record, DELETED, before=before, event_count=1)


@pytest.mark.parametrize(
    "operation",
    ["claim", "assign_to_user", "assign_to_pool", "reclaim", "return", "put_into_pool"],
)
def test_deleted_records_are_refused_to_every_other_operation(
    clock, pooled, admin, member, operation
):
    # given: the system admin sees everything; `member` owns the record
    record = deleted(pooled, by=admin, pool=pooled.pool, owner=member)
    before = state(record)
    calls = {
        "claim": lambda: claim_records(model=pooled.model, ids=[record.pk], by=admin),
        "assign_to_user": lambda: assign_records(
            model=pooled.model, ids=[record.pk], by=admin, to_user=admin
        ),
        "assign_to_pool": lambda: assign_records(
            model=pooled.model,
            ids=[record.pk],
            by=admin,
            to_pool=Pool.objects.create(name="Other", kind=pooled.pool.kind),
        ),
        "reclaim": lambda: reclaim_records(model=pooled.model, ids=[record.pk], by=admin),
        "return": lambda: return_records(
            model=pooled.model, ids=[record.pk], by=member, reason="x"
        ),
        "put_into_pool": lambda: put_records_into_pool(
            model=pooled.model, ids=[record.pk], by=member, pool=pooled.pool
        ),
    }
    # when
    result = calls[operation]()
    # then
    assert_refused_and_unchanged(result, record, DELETED, before=before, event_count=1)


# --- restore -----------------------------------------------------------------------------


def test_pool_admin_restores_a_record_to_its_owner_and_pool(clock, pooled, pool_admin, member):
    # given: restoring recomputes the reclaim time that deleting cleared
    pooled.pool.reclaim_no_followup_days = 7
    pooled.pool.save()
    record = pooled.make(pool=pooled.pool, owner=member, claimed_at=NOW, reclaim_at=NOW + 7 * DAY)
    delete_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    clock.advance(days=2)
    # when
    result = restore_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record) == {
        "owner": member.pk,
        "pool": pooled.pool.pk,
        "pooled_at": None,
        "reclaim_at": NOW + 7 * DAY,
        "deleted_at": None,
        "deleted_by": None,
    }
    assert events(record)[1:] == [
        event(
            Event.Action.RESTORE,
            by=pool_admin,
            to_owner=member,
            to_pool=pooled.pool,
            at=NOW + 2 * DAY,
        )
    ]


def test_restored_unassigned_record_may_be_claimed_again(clock, pooled, pool_admin, member):
    # given
    record = deleted(pooled, by=pool_admin, pool=pooled.pool)
    restore_records(model=pooled.model, ids=[record.pk], by=pool_admin)
    # when
    result = claim_records(model=pooled.model, ids=[record.pk], by=member)
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}


@pytest.mark.parametrize(
    ("actor", "owner", "in_pool"),
    [
        ("pool_admin", "member", True),
        ("admin", "member", True),
        ("rep_east", "rep_east", False),
        ("manager", "rep_east", False),
    ],
)
def test_who_may_restore(clock, pooled, admin, request, actor, owner, in_pool):
    # given
    record = deleted(
        pooled,
        by=admin,
        pool=pooled.pool if in_pool else None,
        owner=request.getfixturevalue(owner),
    )
    # when
    result = restore_records(model=pooled.model, ids=[record.pk], by=request.getfixturevalue(actor))
    # then
    assert result.as_dict() == {"done": [record.pk], "refused": []}
    assert state(record)["deleted_at"] is None


@pytest.mark.parametrize(
    ("actor", "owner", "in_pool"),
    [
        ("member", "member", True),  # owner of a record in a pool: its admin restores it
        ("manager", "rep_east", True),
        ("member", None, True),
        ("outsider", None, True),
        ("manager", "rep_west", False),
    ],
)
@pytest.mark.parametrize("operation", [restore_records, purge_records])
def test_who_may_not_restore_or_purge(
    clock, pooled, admin, request, actor, owner, in_pool, operation
):
    # given: the recycle bin shows them nothing
    record = deleted(
        pooled,
        by=admin,
        pool=pooled.pool if in_pool else None,
        owner=request.getfixturevalue(owner) if owner else None,
    )
    before = state(record)
    # when
    result = operation(model=pooled.model, ids=[record.pk], by=request.getfixturevalue(actor))
    # then
    assert_refused_and_unchanged(result, record, NOT_IN_SCOPE, before=before, event_count=1)


@pytest.mark.parametrize("operation", [restore_records, purge_records])
def test_restore_or_purge_of_a_live_record_is_refused(clock, pooled, pool_admin, operation):
    # given
    record = pooled.make(pool=pooled.pool)
    before = state(record)
    # when
    result = operation(model=pooled.model, ids=[record.pk], by=pool_admin)
    # then
    assert_refused_and_unchanged(result, record, NOT_DELETED, before=before)


# --- purge -------------------------------------------------------------------------------


def test_purge_removes_the_record_and_keeps_its_history(clock, pooled, pool_admin, member):
    # given
    record = pooled.make(pool=pooled.pool, owner=member)
    record_id = record.pk
    delete_records(model=pooled.model, ids=[record_id], by=pool_admin)
    clock.advance(hours=1)
    # when
    result = purge_records(model=pooled.model, ids=[record_id], by=pool_admin)
    # then
    assert result.as_dict() == {"done": [record_id], "refused": []}
    assert pooled.model.objects.filter(pk=record_id).exists() is False
    assert events(record) == [
        event(Event.Action.DELETE, by=pool_admin, from_owner=member, from_pool=pooled.pool),
        event(
            Event.Action.PURGE,
            by=pool_admin,
            from_owner=member,
            from_pool=pooled.pool,
            at=NOW + datetime.timedelta(hours=1),
        ),
    ]
    # and the notification of the deletion stays, its words kept
    assert list(Notification.objects.values_list("user", "lead", "customer", "details")) == [
        (member.pk, None, None, {"record": record.display_name, "actor": "Pool Admin"})
    ]


def test_purge_batch_purges_what_it_may(clock, pooled, pool_admin):
    # given
    binned = deleted(pooled, by=pool_admin, pool=pooled.pool)
    live = pooled.make(pool=pooled.pool)
    # when
    result = purge_records(model=pooled.model, ids=[live.pk, binned.pk, 0], by=pool_admin)
    # then
    assert result.done == [binned.pk]
    assert result.refused == [(0, NOT_IN_SCOPE), (live.pk, NOT_DELETED)]
    assert list(pooled.model.objects.values_list("pk", flat=True)) == [live.pk]


def test_expired_records_are_purged_after_the_retention_period(clock, pooled, pool_admin, settings):
    # given: a 10-day recycle bin
    settings.LEADPOOL_RECYCLE_BIN_DAYS = 10
    old = deleted(pooled, by=pool_admin, pool=pooled.pool)
    older = deleted(pooled, by=pool_admin, pool=pooled.pool, owner=pool_admin)
    clock.advance(days=1)
    recent = deleted(pooled, by=pool_admin, pool=pooled.pool)
    live = pooled.make(pool=pooled.pool)
    as_of = NOW + 10 * DAY + datetime.timedelta(minutes=1)
    # when
    purged = purge_expired_records(model=pooled.model, now=as_of, batch_size=1)
    # then
    assert purged == 2
    assert sorted(pooled.model.objects.values_list("pk", flat=True)) == [recent.pk, live.pk]
    expected = {
        "action": Event.Action.PURGE,
        "actor": None,
        "from_pool": pooled.pool.pk,
        "rule": "recycle_bin_retention",
        "at": as_of,
    }
    assert list(
        Event.objects.filter(action=Event.Action.PURGE)
        .order_by("id")
        .values(pooled.model.entity, "action", "actor", "from_owner", "from_pool", "rule", "at")
    ) == [
        {pooled.model.entity: old.pk, "from_owner": None} | expected,
        {pooled.model.entity: older.pk, "from_owner": pool_admin.pk} | expected,
    ]


def test_nothing_is_purged_within_the_retention_period(clock, pooled, pool_admin, settings):
    # given
    settings.LEADPOOL_RECYCLE_BIN_DAYS = 30
    record = deleted(pooled, by=pool_admin, pool=pooled.pool)
    # when
    purged = purge_expired_records(model=pooled.model, now=NOW + 29 * DAY)
    # then
    assert purged == 0
    assert pooled.model.objects.filter(pk=record.pk).exists()
    assert Event.objects.filter(action=Event.Action.PURGE).count() == 0


# --- the history can never be edited -----------------------------------------------------


@pytest.fixture
def history_event(clock, lead_pool, make_lead, member) -> Event:
    lead = make_lead(pool=lead_pool)
    claim_records(model=Lead, ids=[lead.pk], by=member)
    return Event.objects.get(lead=lead)


def test_a_saved_event_cannot_be_changed(history_event):
    # given
    history_event.reason = "rewritten"
    # when / then
    with pytest.raises(HistoryIsImmutable):
        history_event.save()
    assert Event.objects.get(pk=history_event.pk).reason == ""


def test_an_event_cannot_be_deleted(history_event):
    # when / then
    with pytest.raises(HistoryIsImmutable):
        history_event.delete()
    assert Event.objects.filter(pk=history_event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda events: events.update(reason="rewritten"),
        lambda events: events.delete(),
        lambda events: Event.objects.bulk_update(
            [Event(pk=event.pk, reason="rewritten") for event in events], ["reason"]
        ),
    ],
    ids=["update", "delete", "bulk_update"],
)
def test_events_cannot_be_changed_or_deleted_in_bulk(history_event, change):
    # when / then (bulk_update refuses inside its own atomic block: roll back to here)
    with pytest.raises(HistoryIsImmutable), transaction.atomic():
        change(Event.objects.filter(pk=history_event.pk))
    assert list(Event.objects.values_list("pk", "reason")) == [(history_event.pk, "")]
