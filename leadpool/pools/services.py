"""Every ownership operation on pooled records, for leads and customers alike.

Batch operations take ids and answer a `BatchResult`: each record is handled in its
own transaction, so one refusal never undoes the others. Ownership changes are
compare-and-swap updates (`UPDATE … WHERE owner/pool are still what we read`), so two
people acting at once never both win; the loser is refused, not overwritten.
"""

import copy
import datetime
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.accounts.models import User
from leadpool.core.models import MAX_ID
from leadpool.core.results import BatchResult, Refusal, Refused
from leadpool.core.times import parse_moment
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry, Event, Notification
from leadpool.history.services import notify, record_event
from leadpool.pools import access
from leadpool.pools.models import ClaimTally, Pool, PooledRecord
from leadpool.pools.rules import (
    ClaimRules,
    ClaimSituation,
    ReclaimRules,
    judge_claim,
    judge_return_reason,
    reclaim_deadline,
)

Step = Callable[[access.Scope, PooledRecord], None]


def _run_batch(
    *, model: type[PooledRecord], ids: Iterable, by, action: access.Action, step: Step
) -> BatchResult:
    scope = access.scope_of(by)
    result = BatchResult()
    # Ascending ids: when callers wrap a batch in one transaction, two overlapping
    # batches then take row locks in the same order and cannot deadlock.
    for pk in sorted(_clean_ids(ids, result)):
        try:
            with transaction.atomic():
                record = access.fetch_for_action(scope, model, pk, action)
                step(scope, record)
        except Refused as refused:
            result.refused.append((pk, refused.refusal))
        else:
            result.done.append(pk)
    _audit_batch(model, action, by, result)
    return result


# Batch actions the audit log records when done, and refusals it records as denials.
AUDITED_ACTIONS = {"delete": AuditEntry.Action.DELETE, "purge": AuditEntry.Action.PURGE}
DENIAL_CODES = frozenset({"forbidden"})


def _audit_batch(model, action: str, by, result: BatchResult) -> None:
    if action in AUDITED_ACTIONS and result.done:
        audit(AUDITED_ACTIONS[action], actor=by, target=f"{model.entity}s",
              details={"ids": result.done})  # fmt: skip
    denied = [pk for pk, refusal in result.refused if refusal.code in DENIAL_CODES]
    if denied:
        audit(AuditEntry.Action.PERMISSION_DENIED, actor=by, target=f"{model.entity} {action}",
              details={"ids": denied})  # fmt: skip


def _clean_ids(ids: Iterable, result: BatchResult) -> set[int]:
    """Whole numbers that may name a row; anything else is refused as naming no record
    (1.9 or True are not ids, and numbers past a bigint would crash the query)."""
    clean: set[int] = set()
    for raw in ids:
        if isinstance(raw, str) and raw.strip().isdigit():
            pk = int(raw)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            pk = raw
        else:
            result.refused.append((raw, access.not_in_scope()))
            continue
        if 0 < pk <= MAX_ID:
            clean.add(pk)
        else:
            result.refused.append((pk, access.not_in_scope()))
    return clean


def _is_id(value) -> bool:
    """Whether `value` may name a row; raw input such as "bob" names none (not a crash)."""
    try:
        return int(value) > 0
    except (TypeError, ValueError):
        return False


def _swap(record: PooledRecord, **changes) -> None:
    """Apply `changes` only if the record's owner, pool and deletion are still as read."""
    updated = (
        type(record)
        .objects.filter(
            pk=record.pk,
            owner_id=record.owner_id,
            pool_id=record.pool_id,
            deleted_at__isnull=record.deleted_at is None,
        )
        .update(**changes, updated_at=timezone.now())
    )
    if not updated:
        raise Refused(
            Refusal("conflict", _("Someone else changed this record just now; reload and retry."))
        )
    for field, value in changes.items():
        setattr(record, field, value)


def _refuse_if_converted(record: PooledRecord) -> None:
    if record.is_closed:
        raise Refused(Refusal("converted", _("This record has been converted.")))


def _owned_since(record: PooledRecord) -> datetime.datetime:
    moments = [m for m in (record.claimed_at, record.assigned_at) if m is not None]
    return max(moments) if moments else record.created_at


def compute_reclaim_at(record: PooledRecord, pool: Pool | None) -> datetime.datetime | None:
    """When the pool's automatic reclaim would take this record from its owner."""
    if record.owner_id is None or pool is None or record.deleted_at is not None:
        return None
    return reclaim_deadline(
        ReclaimRules.of(pool),
        owned_since=_owned_since(record),
        last_followup_at=record.last_followup_at,
        is_converted=record.status in record.CONVERTED_STATUSES,
        # Asked only when the pool exempts open opportunities: it is a query.
        has_open_opportunity=pool.reclaim_exempt_open_opportunity and record.has_open_opportunity(),
    )


def refresh_reclaim_at(record: PooledRecord) -> None:
    """Store the record's reclaim time after its owner, pool or follow-ups changed."""
    reclaim_at = compute_reclaim_at(record, record.pool)
    if reclaim_at != record.reclaim_at:
        type(record).objects.filter(pk=record.pk).update(reclaim_at=reclaim_at)
        record.reclaim_at = reclaim_at


def target_pool(by, model: type[PooledRecord], pool, *, field: str = "pool") -> Pool:
    """A pool of the right kind that `by` may put records into, or ValidationError.

    Pools the user neither administers nor belongs to are reported as unknown, the
    same as pools that do not exist.
    """
    pool_id = pool.pk if isinstance(pool, Pool) else pool
    found = access.visible_pools(by).filter(pk=pool_id).first() if _is_id(pool_id) else None
    if found is None:
        raise ValidationError({field: [_("There is no pool %(pool)s.") % {"pool": pool_id}]})
    if found.kind != model.pool_kind:
        raise ValidationError(
            {
                field: [
                    (
                        _("“%(pool)s” is not a lead pool.")
                        if model.pool_kind == Pool.Kind.LEAD
                        else _("“%(pool)s” is not a customer pool.")
                    )
                    % {"pool": found}
                ]
            }
        )
    return found


def active_user(user, *, field: str) -> User:
    user_id = user.pk if isinstance(user, User) else user
    found = User.objects.filter(pk=user_id, is_active=True).first() if _is_id(user_id) else None
    if found is None:
        raise ValidationError({field: [_("There is no active user %(user)s.") % {"user": user_id}]})
    return found


# --- claim ---------------------------------------------------------------------------


def claim_records(
    *,
    model: type[PooledRecord],
    ids: Iterable,
    by,
    reason: str = "",
    expected_followup_at: datetime.datetime | None = None,
) -> BatchResult:
    """Make `by` the owner of unassigned records in pools they may claim from (领取).

    Every claim rule of the record's pool applies: reason required, new-record
    embargo, previous-owner cooldown, daily limit and most held.
    """
    if expected_followup_at is not None:
        try:
            expected_followup_at = parse_moment(expected_followup_at)
        except ValueError as error:
            raise ValidationError({"expected_followup_at": [str(error)]}) from None
    reason = (reason or "").strip()

    def step(scope: access.Scope, record: PooledRecord) -> None:
        if record.owner_id == by.pk:
            raise Refused(Refusal("already_owned", _("You already own this record.")))
        if record.owner_id is not None:
            raise Refused(Refusal("already_owned", _("Someone else owns this record.")))
        _refuse_if_converted(record)
        pool = record.pool
        now = timezone.now()
        # Count this claim in the claimer's tally for this pool first: the upsert locks
        # the row, which serialises this member's claims, so limits hold under concurrent
        # requests. A refusal below rolls the count back with the rest of the step.
        claims_today = _count_claim(pool, by, today=timezone.localdate(now)) - 1
        refusal = judge_claim(
            ClaimRules.of(pool),
            ClaimSituation(
                now=now,
                claims_today=claims_today,
                # Counted only when the pool has the rule: each is a query per claim.
                held=_held_count(model, pool, by) if pool.max_held is not None else 0,
                reason=reason,
                claimer_released_at=(
                    _last_released_by(record, by) if pool.reclaim_cooldown_hours else None
                ),
                pooled_at=record.pooled_at,
            ),
        )
        if refusal:
            raise Refused(refusal)
        changes = {"owner_id": by.pk, "claimed_at": now, "pooled_at": None}
        if expected_followup_at:
            changes["next_followup_at"] = expected_followup_at
        # The reclaim time goes in with the claim (one UPDATE, not two): worked out on a
        # copy holding the new owner, as refresh_reclaim_at would after the swap.
        claimed = copy.copy(record)
        for field, value in changes.items():
            setattr(claimed, field, value)
        changes["reclaim_at"] = compute_reclaim_at(claimed, pool)
        try:
            _swap(record, **changes)
        except Refused:
            raise Refused(
                Refusal("already_owned", _("Someone else claimed this record just now."))
            ) from None
        record_event(
            record,
            action=Event.Action.CLAIM,
            actor=by,
            to_owner_id=by.pk,
            from_pool_id=pool.pk,
            to_pool_id=pool.pk,
            reason=reason,
            at=now,
        )

    return _run_batch(model=model, ids=ids, by=by, action="claim", step=step)


def _count_claim(pool: Pool, user, *, today: datetime.date) -> int:
    """Add one claim to the member's tally for `pool` today (starting afresh on a new
    day) and answer the day's count, this claim included. One statement, an upsert
    (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, PostgreSQL and SQLite alike), which
    locks the tally row until the transaction ends, as `SELECT … FOR UPDATE` would."""
    table = connection.ops.quote_name(ClaimTally._meta.db_table)
    sql = (
        f"INSERT INTO {table} (pool_id, user_id, day, claims) VALUES (%s, %s, %s, 1) "  # noqa: S608 - our own table
        "ON CONFLICT (pool_id, user_id) DO UPDATE SET "
        f"claims = CASE WHEN {table}.day = excluded.day THEN {table}.claims + 1 ELSE 1 END, "
        "day = excluded.day RETURNING claims"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pool.pk, user.pk, connection.ops.adapt_datefield_value(today)])
        return cursor.fetchone()[0]


def _held_count(model: type[PooledRecord], pool: Pool, user) -> int:
    held = model.objects.alive().filter(pool=pool, owner=user)
    if not pool.max_held_counts_converted:
        held = held.exclude(status__in=model.CONVERTED_STATUSES)
    return held.count()


def _last_released_by(record: PooledRecord, user) -> datetime.datetime | None:
    """When `user` last lost ownership of this record (returned, reclaimed, moved)."""
    return (
        Event.objects.filter(**{record.entity: record}, from_owner=user)
        .exclude(to_owner=user)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


# --- assign, reclaim, return, put into pool ----------------------------------------


def assign_records(
    *,
    model: type[PooledRecord],
    ids: Iterable,
    by,
    to_user=None,
    to_pool=None,
    reason: str = "",
) -> BatchResult:
    """Pool admins hand records to a user (分配给销售) or to another pool (分配到线索池)."""
    if (to_user is None) == (to_pool is None):
        raise ValidationError(
            {"non_field_errors": [_("Choose a user or a pool to assign to, not both.")]}
        )
    if to_user is not None:
        user = active_user(to_user, field="to_user")
        return _assign_to_user(model=model, ids=ids, by=by, user=user, reason=reason)
    pool = _any_pool_of_kind(model, to_pool, field="to_pool")
    return _assign_to_pool(model=model, ids=ids, by=by, pool=pool, reason=reason)


def _any_pool_of_kind(model: type[PooledRecord], pool, *, field: str) -> Pool:
    # A pool admin may send records to any pool of the kind, not only their own: that is
    # how leads move between teams.
    pool_id = pool.pk if isinstance(pool, Pool) else pool
    found = (
        Pool.objects.filter(pk=pool_id, kind=model.pool_kind).first() if _is_id(pool_id) else None
    )
    if found is None:
        raise ValidationError(
            {
                field: [
                    (
                        _("There is no lead pool %(pool)s.")
                        if model.pool_kind == Pool.Kind.LEAD
                        else _("There is no customer pool %(pool)s.")
                    )
                    % {"pool": pool_id}
                ]
            }
        )
    return found


def _assign_to_user(*, model, ids, by, user: User, reason: str) -> BatchResult:
    def step(scope: access.Scope, record: PooledRecord) -> None:
        _refuse_if_converted(record)
        if record.owner_id == user.pk:
            raise Refused(
                Refusal("already_owned", _("%(user)s already owns this record.") % {"user": user})
            )
        now = timezone.now()
        previous_owner_id = record.owner_id
        _swap(record, owner_id=user.pk, assigned_at=now, pooled_at=None)
        record_event(
            record,
            action=Event.Action.ASSIGN,
            actor=by,
            from_owner_id=previous_owner_id,
            to_owner_id=user.pk,
            from_pool_id=record.pool_id,
            to_pool_id=record.pool_id,
            reason=reason,
            at=now,
        )
        refresh_reclaim_at(record)
        notify([user], kind=Notification.Kind.ASSIGNED, record=record, actor=by)
        notify(
            [previous_owner_id],
            kind=Notification.Kind.REASSIGNED,
            record=record,
            actor=by,
            details={"owner": str(user)},
        )

    return _run_batch(model=model, ids=ids, by=by, action="assign", step=step)


def _assign_to_pool(*, model, ids, by, pool: Pool, reason: str) -> BatchResult:
    def step(scope: access.Scope, record: PooledRecord) -> None:
        _refuse_if_converted(record)
        if record.pool_id == pool.pk and record.owner_id is None:
            raise Refused(
                Refusal(
                    "already_in_pool", _("This record is already in “%(pool)s”.") % {"pool": pool}
                )
            )
        _put_into(record, pool=pool, by=by, action=Event.Action.ASSIGN_TO_POOL, reason=reason)

    return _run_batch(model=model, ids=ids, by=by, action="assign", step=step)


def _put_into(
    record: PooledRecord, *, pool: Pool, by, action: str, reason: str = "", rule: str = ""
) -> None:
    """Move a record, unassigned, into `pool` and write the event; notify a dispossessed owner."""
    now = timezone.now()
    previous_owner_id, previous_pool_id = record.owner_id, record.pool_id
    _swap(record, owner_id=None, pool_id=pool.pk, pooled_at=now, reclaim_at=None)
    record.pool = pool
    record_event(
        record,
        action=action,
        actor=by,
        from_owner_id=previous_owner_id,
        from_pool_id=previous_pool_id,
        to_pool_id=pool.pk,
        reason=reason,
        rule=rule,
        at=now,
    )
    if previous_owner_id is not None and previous_owner_id != getattr(by, "pk", None):
        notify([previous_owner_id], kind=Notification.Kind.RECLAIMED, record=record, actor=by)
    # Sent by an admin to a pool, that pool's routing and distribution apply (PRODUCT.md
    # "assign to pool"); a reclaim too when the pool says so ("reclaimed if the admin
    # wishes"). Returns and put-into-pool are never redistributed: the owner gave the
    # record up for the pool's members to claim, not for the rules to push on someone.
    redistributed = action == Event.Action.ASSIGN_TO_POOL or (
        action == Event.Action.RECLAIM and pool.redistribute_reclaimed
    )
    if redistributed:
        # Imported here: distribution builds on this module.
        from leadpool.pools.distribution import distribute_records

        reclaimed_from = {record.pk: previous_owner_id} if action == Event.Action.RECLAIM else None
        distribute_records(type(record), [record], by=by, at=now, reclaimed_from=reclaimed_from)


def reclaim_records(
    *, model: type[PooledRecord], ids: Iterable, by, reason: str = ""
) -> BatchResult:
    """Pool admins take owned records back into their pool (收回); the owner is told.

    When the pool hands reclaimed records out again (`redistribute_reclaimed`), its
    routing and distribution then give each to someone other than the owner it was
    taken from, or leave it unassigned.
    """

    def step(scope: access.Scope, record: PooledRecord) -> None:
        if record.pool_id is None:
            raise Refused(Refusal("not_in_pool", _("This record is in no pool.")))
        if record.owner_id is None:
            raise Refused(Refusal("not_owned", _("Nobody owns this record.")))
        _refuse_if_converted(record)
        _put_into(record, pool=record.pool, by=by, action=Event.Action.RECLAIM, reason=reason)

    return _run_batch(model=model, ids=ids, by=by, action="reclaim", step=step)


def return_records(
    *, model: type[PooledRecord], ids: Iterable, by, reason: str, to_pool=None
) -> BatchResult:
    """Owners give records back (退回) to their pool, or to one they choose, with a reason
    picked from that pool's list of return reasons when it has one."""
    chosen = target_pool(by, model, to_pool, field="to_pool") if to_pool else None
    reason = (reason or "").strip()

    def step(scope: access.Scope, record: PooledRecord) -> None:
        if record.owner_id != by.pk:
            raise Refused(Refusal("not_owned", _("You do not own this record.")))
        _refuse_if_converted(record)
        pool = chosen or record.pool
        if pool is None:
            raise Refused(Refusal("not_in_pool", _("This record is in no pool; choose one.")))
        refusal = judge_return_reason(pool.return_reasons, reason)
        if refusal:
            raise Refused(refusal)
        _put_into(record, pool=pool, by=by, action=Event.Action.RETURN, reason=reason)

    # Fetched as "view", not "return": the step's ownership check then answers
    # `not_owned` ("you do not own this record"), which says why, where access.can's
    # owner-only rule would answer a bare `forbidden`.
    return _run_batch(model=model, ids=ids, by=by, action="view", step=step)


def put_records_into_pool(
    *, model: type[PooledRecord], ids: Iterable, by, pool, reason: str = ""
) -> BatchResult:
    """Owners put records into a pool for the team to take up (放入线索池)."""
    chosen = target_pool(by, model, pool)

    def step(scope: access.Scope, record: PooledRecord) -> None:
        if record.owner_id is None:
            raise Refused(Refusal("not_owned", _("Nobody owns this record.")))
        if not access.can(scope, "put_into_pool", record):
            raise Refused(Refusal("not_owned", _("You do not own this record.")))
        _refuse_if_converted(record)
        if record.pool_id == chosen.pk:
            # Giving a record back to the pool it is in is a return, whatever the button:
            # the pool's return reasons apply, so they cannot be sidestepped.
            refusal = judge_return_reason(chosen.return_reasons, reason)
            if refusal:
                raise Refused(refusal)
        _put_into(record, pool=chosen, by=by, action=Event.Action.PUT_INTO_POOL, reason=reason)

    # As for returns: fetched as "view" so that a non-owner hears `not_owned`.
    return _run_batch(model=model, ids=ids, by=by, action="view", step=step)


# --- recycle bin -----------------------------------------------------------------------


def delete_records(
    *, model: type[PooledRecord], ids: Iterable, by, reason: str = ""
) -> BatchResult:
    """Move records to the recycle bin; the owner and collaborators are told."""

    def step(scope: access.Scope, record: PooledRecord) -> None:
        now = timezone.now()
        _swap(record, deleted_at=now, deleted_by_id=by.pk, reclaim_at=None)
        record_event(
            record,
            action=Event.Action.DELETE,
            actor=by,
            from_owner_id=record.owner_id,
            from_pool_id=record.pool_id,
            reason=reason,
            at=now,
        )
        watchers = [record.owner_id, *record.collaborators.values_list("pk", flat=True)]
        notify(watchers, kind=Notification.Kind.DELETED, record=record, actor=by)

    return _run_batch(model=model, ids=ids, by=by, action="delete", step=step)


def restore_records(*, model: type[PooledRecord], ids: Iterable, by) -> BatchResult:
    """Bring records back from the recycle bin to the owner and pool they had."""

    def step(scope: access.Scope, record: PooledRecord) -> None:
        now = timezone.now()
        _swap(record, deleted_at=None, deleted_by_id=None)
        record_event(
            record,
            action=Event.Action.RESTORE,
            actor=by,
            to_owner_id=record.owner_id,
            to_pool_id=record.pool_id,
            at=now,
        )
        refresh_reclaim_at(record)

    return _run_batch(model=model, ids=ids, by=by, action="restore", step=step)


def purge_records(*, model: type[PooledRecord], ids: Iterable, by) -> BatchResult:
    """Remove records in the recycle bin for good. The history stays."""

    def step(scope: access.Scope, record: PooledRecord) -> None:
        record_event(
            record,
            action=Event.Action.PURGE,
            actor=by,
            from_owner_id=record.owner_id,
            from_pool_id=record.pool_id,
        )
        record.delete()

    return _run_batch(model=model, ids=ids, by=by, action="purge", step=step)


def purge_expired_records(
    *, model: type[PooledRecord], now: datetime.datetime | None = None, batch_size: int = 1000
) -> int:
    """Purge records that have been in the recycle bin longer than the retention period.

    Works in batches, each in its own transaction, writing one history event per
    purged record with the rule that acted.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.LEADPOOL_RECYCLE_BIN_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            # SKIP LOCKED: two workers purging at once take different rows, so no record
            # gets two PURGE events; rows another worker holds are that worker's to purge.
            batch = list(
                model.objects.filter(deleted_at__lt=cutoff)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "owner_id", "pool_id")[:batch_size]
            )
            if not batch:
                return purged
            Event.objects.bulk_create(
                Event(
                    **{f"{model.entity}_id": pk},
                    action=Event.Action.PURGE,
                    from_owner_id=owner_id,
                    from_pool_id=pool_id,
                    rule="recycle_bin_retention",
                    at=now,
                )
                for pk, owner_id, pool_id in batch
            )
            model.objects.filter(pk__in=[pk for pk, _owner, _pool in batch]).delete()
            purged += len(batch)


# --- pool administration ---------------------------------------------------------------


def transfer_pool(*, pool: Pool, by, to_admins: Iterable, keep_current: bool = False) -> Pool:
    """Hand a pool's administration to other users (转移线索池); they are told."""
    scope = access.scope_of(by)
    if not (scope.is_admin or pool.pk in scope.administered_pool_ids):
        raise access.PermissionDenied(_("Only this pool's admins may transfer it."))
    new_admins = [active_user(user, field="to_admins") for user in to_admins]
    if not new_admins:
        raise ValidationError({"to_admins": [_("Choose at least one new admin.")]})
    with transaction.atomic():
        pool = Pool.objects.select_for_update().get(pk=pool.pk)
        before = sorted(pool.admins.values_list("pk", flat=True))
        after = sorted({user.pk for user in new_admins} | (set(before) if keep_current else set()))
        pool.admins.set(after)
        record_event(
            None,
            action=Event.Action.TRANSFER_POOL,
            actor=by,
            from_pool_id=pool.pk,
            to_pool_id=pool.pk,
            details={"from_admins": before, "to_admins": after},
        )
        notify(
            [pk for pk in after if pk not in before],
            kind=Notification.Kind.POOL_TRANSFERRED,
            pool=pool,
            actor=by,
        )
    return pool
