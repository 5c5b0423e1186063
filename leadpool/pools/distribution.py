"""Distribution (分配): who gets the records that enter a pool unassigned.

PRODUCT.md "Pool rules": first the pool's ordered routing entries (the first whose
conditions all hold wins: to a user, or on to another pool whose own rules then apply),
then the pool's default: `manual` (nobody; members claim or admins assign),
`round_robin` over its distribution members, or `load_balanced` to whichever of them
holds the fewest open records in the pool. Deactivated users and members at the pool's
`max_held` are skipped; when nobody may take a record it stays unassigned.

The rotation lives in the database (`DistributionCursor`), locked with SELECT … FOR
UPDATE until the caller's transaction ends: concurrent requests, imports and workers
take turns, so round robin stays exact across batches, restarts and processes.

The decisions themselves (which routing entry a record matches, who gets the next
records) are pure functions of plain values; `distribute_records` gathers the facts
for a whole batch in a few queries and acts on the verdicts set-wise.
"""

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from leadpool.accounts.models import User
from leadpool.history.models import Event, Notification
from leadpool.pools.models import DistributionCursor, Pool, PooledRecord
from leadpool.pools.services import compute_reclaim_at

ROUTING_RULE = "routing"
# A chain of routing hops longer than this is a loop that configuration missed (it
# refuses them when saved); the record then stays with the pool it reached.
MAX_ROUTING_HOPS = 10
RECORD_FIELDS = ("source", "region", "industry")


# --- pure decisions ----------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return not value
    return False


def _text(value: Any) -> str:
    """How routing compares values: trimmed, case-insensitive text (华东 == 华东, A == a)."""
    return "" if value is None else str(value).strip().casefold()


def condition_holds(operator: str, expected: Any, actual: Any) -> bool:
    """Whether a field value `actual` meets one routing condition.

    A list value (a multiple-choice custom field) meets `equals`, `in` and `contains`
    when any of its items does.
    """
    if operator == "empty":
        return _is_empty(actual) == bool(expected)
    if isinstance(actual, list | tuple):
        return any(condition_holds(operator, expected, item) for item in actual)
    if operator == "equals":
        return not _is_empty(actual) and _text(actual) == _text(expected)
    if operator == "in":
        options = expected if isinstance(expected, list | tuple) else [expected]
        return not _is_empty(actual) and _text(actual) in {_text(option) for option in options}
    if operator == "contains":
        return bool(_text(expected)) and _text(expected) in _text(actual)
    return False  # configuration refuses unknown operators; never match on one


def entry_matches(when: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any]) -> bool:
    """Whether every condition of a routing entry holds (an empty `when` always does)."""
    return all(
        condition_holds(operator, expected, values.get(field_name))
        for field_name, condition in when.items()
        for operator, expected in condition.items()
    )


def first_route(routing: Sequence[Mapping], values: Mapping[str, Any]) -> Mapping | None:
    """The first routing entry whose conditions the record's values meet, or None."""
    for entry in routing:
        if entry_matches(entry.get("when") or {}, values):
            return entry
    return None


def routing_values(record: PooledRecord) -> dict[str, Any]:
    """The values routing conditions look at: source, region, industry, custom.<key>."""
    values: dict[str, Any] = {name: getattr(record, name) for name in RECORD_FIELDS}
    for key, value in (record.custom or {}).items():
        values[f"custom.{key}"] = value
    return values


@dataclass
class MemberLoad:
    """One distribution member's holdings in the pool, as distribution counts them."""

    open: int = 0  # live, not converted: what load balancing evens out
    held: int = 0  # what the pool's `max_held` counts


def _rotation(member_ids: Sequence[int], last_user_id: int | None) -> list[int]:
    """Members in turn: those after the last one served (by id), then from the start."""
    order = sorted(member_ids)
    start = 0 if last_user_id is None else bisect.bisect_right(order, last_user_id)
    return order[start:] + order[:start]


def plan_distribution(
    strategy: str,
    member_ids: Sequence[int],
    *,
    count: int,
    loads: Mapping[int, MemberLoad],
    max_held: int | None,
    last_user_id: int | None,
    excluded: Sequence[int | None] = (),
) -> tuple[list[int | None], int | None]:
    """Who gets each of `count` records entering a pool, and the cursor afterwards.

    Round robin takes the next member after the last one served; load balanced the
    member with the fewest open records, ties going to whoever comes next in the
    rotation (so equal loads still take turns). Members at `max_held` are skipped, and
    so is `excluded[n]`, when given, for the n-th record (the owner a reclaim just took
    it from). `None` for a record means nobody may take it. `loads` is not changed.
    """
    if strategy not in (Pool.Distribution.ROUND_ROBIN, Pool.Distribution.LOAD_BALANCED):
        return [None] * count, last_user_id
    load = {pk: MemberLoad(loads[pk].open, loads[pk].held) if pk in loads else MemberLoad()
            for pk in member_ids}  # fmt: skip
    owners: list[int | None] = []
    for position in range(count):
        under_limit = [
            pk
            for pk in _rotation(member_ids, last_user_id)
            if max_held is None or load[pk].held < max_held
        ]
        if not under_limit:
            # Nobody's holdings drop within a batch: the rest stay unassigned too.
            owners.extend([None] * (count - len(owners)))
            break
        skipped = excluded[position] if position < len(excluded) else None
        eligible = [pk for pk in under_limit if pk != skipped]
        if not eligible:
            # Only the excluded member could take it; the next record may have another.
            owners.append(None)
            continue
        if strategy == Pool.Distribution.ROUND_ROBIN:
            chosen = eligible[0]
        else:
            chosen = min(eligible, key=lambda pk: load[pk].open)  # first minimum: next in turn
        load[chosen].open += 1
        load[chosen].held += 1
        owners.append(chosen)
        last_user_id = chosen
    return owners, last_user_id


# --- acting on a batch ---------------------------------------------------------------------


@dataclass
class _Entering:
    record: PooledRecord
    # The pool it entered; after routing, the pool it reached.
    pool: Pool
    entered: Pool
    # Pools the record was routed through after the one it entered, in order.
    hops: list[Pool] = field(default_factory=list)
    # A routing entry's user, who gets it if active and under the pool's `max_held`.
    routed_user_id: int | None = None
    # Who may not get it: the owner a reclaim just took it from.
    excluded_owner_id: int | None = None


def hands_out(pool: Pool) -> bool:
    """Whether records entering `pool` unassigned may be routed or handed to a member,
    rather than wait for members to claim them."""
    return bool(pool.routing) or pool.distribution != Pool.Distribution.MANUAL


def distribute_records(
    model: type[PooledRecord],
    records: Iterable[PooledRecord],
    *,
    by: User | None,
    at: datetime.datetime | None = None,
    reclaimed_from: Mapping[int, int] | None = None,
) -> dict[int, int]:
    """Apply routing and distribution to records that just entered their pool unassigned.

    Call it inside the transaction that put them there (create, import, assign to a
    pool, a reclaim when the pool redistributes those). `reclaimed_from` maps a
    reclaimed record's id to the owner it was taken from, who is passed over for it:
    handing it straight back would undo the reclaim, and the pool's cooldown keeps that
    owner from claiming it back too. Each automatic move or assignment writes its
    history (`rule` "routing" or "distribution:<strategy>", actor `by`, the person
    whose action triggered it) and notifies the new owner; assigned records get
    `assigned_at`, lose `pooled_at` and get their `reclaim_at`. The given instances are
    updated in place. Answers {record id: new owner id} for the records that got an owner.

    Set-based for imports: per pool reached, one query for the members, one for their
    holdings, one lock on the cursor; one UPDATE per (owner, reclaim time) and bulk
    inserts of the history and notifications. Imports pass their records a batch at a
    time (a few thousand), as each batch's ids go into IN (…) lists.
    """
    now = at or timezone.now()
    candidates = [
        record
        for record in records
        if record.owner_id is None and record.pool_id is not None and record.deleted_at is None
    ]
    if not candidates:
        return {}
    with transaction.atomic():
        # Read afresh, once per batch: the rules as they are now, not as a caller cached them.
        pools: dict[int, Pool] = Pool.objects.in_bulk({record.pool_id for record in candidates})
        if not any(hands_out(pool) for pool in pools.values()):
            return {}  # nobody hands these out: members claim them
        entering = []
        for record in candidates:
            pool = record.pool = pools[cast(int, record.pool_id)]  # filtered above
            item = _Entering(
                record,
                pool=pool,
                entered=pool,
                excluded_owner_id=(reclaimed_from or {}).get(record.pk),
            )
            _route(item, pools)
            entering.append(item)
        _move_routed(model, [item for item in entering if item.hops], by=by, now=now)
        assigned: dict[int, int] = {}
        by_pool: dict[int, list[_Entering]] = defaultdict(list)
        for item in entering:
            by_pool[item.pool.pk].append(item)
        # Pools in id order: two batches locking several cursors cannot deadlock.
        for pool_id in sorted(by_pool):
            owners = _choose_owners(model, pools[pool_id], by_pool[pool_id])
            _assign(model, pools[pool_id], owners, by=by, now=now)
            assigned.update({item.record.pk: rule_owner[1] for item, rule_owner in owners})
    return assigned


def _route(item: _Entering, pools: dict[int, Pool]) -> None:
    """Follow the routing entries from the record's pool: on to other pools, or to a user."""
    values = routing_values(item.record)
    visited = {item.pool.pk}
    for _hop in range(MAX_ROUTING_HOPS):
        entry = first_route(item.pool.routing or [], values)
        if entry is None:
            return
        if entry.get("to_user") is not None:
            item.routed_user_id = entry["to_user"]
            return
        target_id = entry.get("to_pool")
        if not isinstance(target_id, int) or target_id in visited:
            return  # a loop: stay in the pool reached; its default distribution applies
        if target_id not in pools:
            target = Pool.objects.filter(pk=target_id, kind=item.pool.kind).first()
            if target is None:
                return  # the pool is gone: the default of the pool reached applies
            pools[target_id] = target
        visited.add(target_id)
        item.pool = pools[target_id]
        item.hops.append(item.pool)


def _move_routed(model, items: list[_Entering], *, by, now: datetime.datetime) -> None:
    if not items:
        return
    to_pool: dict[int, list[int]] = defaultdict(list)
    for item in items:
        to_pool[item.pool.pk].append(item.record.pk)
    for pool_id, ids in to_pool.items():
        moved = model.objects.filter(pk__in=ids, owner__isnull=True).update(
            pool_id=pool_id, pooled_at=now, updated_at=now
        )
        # The caller put these rows in their pool in this transaction and holds their
        # locks: a mismatch means a caller broke that contract; undo rather than guess.
        if moved != len(ids):
            raise RuntimeError("routed records changed under distribution")
    events = []
    for item in items:
        from_pool = item.entered
        for hop in item.hops:
            events.append(
                _event(model, item.record, Event.Action.ASSIGN_TO_POOL, by=by, now=now,
                       from_pool_id=from_pool.pk, to_pool_id=hop.pk, rule=ROUTING_RULE)
            )  # fmt: skip
            from_pool = hop
        item.record.pool = item.pool
        item.record.pooled_at = now
    Event.objects.bulk_create(events)


def _choose_owners(
    model: type[PooledRecord], pool: Pool, items: list[_Entering]
) -> list[tuple[_Entering, tuple[str, int]]]:
    """(record, (rule, owner id)) for each record of `items` that gets an owner."""
    strategy = pool.distribution
    distributing = strategy != Pool.Distribution.MANUAL
    member_ids = (
        list(
            pool.distribution_members.filter(is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if distributing
        else []
    )
    routed_ids = {item.routed_user_id for item in items if item.routed_user_id is not None}
    active_routed = (
        set(User.objects.filter(pk__in=routed_ids, is_active=True).values_list("pk", flat=True))
        if routed_ids
        else set()
    )
    counted = set(member_ids) | active_routed
    if not counted:
        return []
    cursor = None
    if member_ids:
        # Held until the caller's transaction ends: the next batch, in this process or
        # another, reads the cursor and the holdings only after this one committed.
        cursor, _created = DistributionCursor.objects.select_for_update().get_or_create(pool=pool)
    loads = _loads(model, pool, counted)
    chosen: list[tuple[_Entering, tuple[str, int]]] = []
    rest: list[_Entering] = []
    for item in items:
        user_id = item.routed_user_id
        if (
            user_id in active_routed
            and user_id != item.excluded_owner_id
            and (pool.max_held is None or loads[user_id].held < pool.max_held)
        ):
            loads[user_id].held += 1
            loads[user_id].open += 1
            chosen.append((item, (ROUTING_RULE, user_id)))
        else:
            rest.append(item)
    if cursor is not None and rest:
        owners, last_user_id = plan_distribution(
            strategy,
            member_ids,
            count=len(rest),
            loads=loads,
            max_held=pool.max_held,
            last_user_id=cursor.last_user_id,
            excluded=[item.excluded_owner_id for item in rest],
        )
        rule = f"distribution:{strategy}"
        for item, owner in zip(rest, owners, strict=True):
            if owner is not None:
                chosen.append((item, (rule, owner)))
        if any(owner is not None for owner in owners):
            DistributionCursor.objects.filter(pk=cursor.pk).update(last_user_id=last_user_id)
    return chosen


def _loads(model: type[PooledRecord], pool: Pool, user_ids: set[int]) -> dict[int, MemberLoad]:
    """Every counted user's holdings in the pool, in one grouped query."""
    converted = Q(status__in=model.CONVERTED_STATUSES)
    rows = (
        model.objects.alive()
        .filter(pool=pool, owner_id__in=user_ids)
        .values("owner_id")
        .annotate(
            open=Count("pk", filter=~converted),
            held=Count("pk") if pool.max_held_counts_converted else Count("pk", filter=~converted),
        )
        .order_by()
    )
    loads = {pk: MemberLoad() for pk in user_ids}
    for row in rows:
        loads[row["owner_id"]] = MemberLoad(open=row["open"], held=row["held"])
    return loads


def _assign(model, pool: Pool, owners, *, by, now: datetime.datetime) -> None:
    if not owners:
        return
    groups: dict[tuple, list[int]] = defaultdict(list)
    for item, (_rule, owner_id) in owners:
        record = item.record
        record.owner_id, record.assigned_at, record.pooled_at = owner_id, now, None
        record.reclaim_at = compute_reclaim_at(record, pool)
        groups[(owner_id, record.reclaim_at)].append(record.pk)
    for (owner_id, reclaim_at), ids in groups.items():
        updated = model.objects.filter(
            pk__in=ids, owner__isnull=True, pool=pool, deleted_at__isnull=True
        ).update(
            owner_id=owner_id, assigned_at=now, pooled_at=None, reclaim_at=reclaim_at,
            updated_at=now,
        )  # fmt: skip
        if updated != len(ids):  # see _move_routed: these rows are the caller's, locked
            raise RuntimeError("distributed records changed under distribution")
    Event.objects.bulk_create(
        _event(model, item.record, Event.Action.ASSIGN, by=by, now=now, to_owner_id=owner_id,
               from_pool_id=pool.pk, to_pool_id=pool.pk, rule=rule)
        for item, (rule, owner_id) in owners
    )  # fmt: skip
    by_id = getattr(by, "pk", None)
    Notification.objects.bulk_create(
        Notification(
            user_id=owner_id,
            kind=Notification.Kind.ASSIGNED,
            actor=by,
            pool=None,
            details={
                "record": item.record.display_name,
                "pool": pool.name,
                **({"actor": str(by)} if by is not None else {}),
                "rule": rule,
            },
            **{model.entity: item.record},
        )
        for item, (rule, owner_id) in owners
        # As `notify` does: nobody is told of what their own action gave them.
        if owner_id != by_id
    )


def _event(model, record: PooledRecord, action: str, *, by, now, **fields) -> Event:
    return Event(
        **{f"{model.entity}_id": record.pk}, action=action, actor=by, at=now, details={}, **fields
    )
