"""The pool rules that act on their own: automatic reclaim, reclaim warnings, retention,
follow-up reminders and the recycle-bin purge (PRODUCT.md "Pool rules").

Every sweep is set-based. It selects up to `BATCH_SIZE` records with an index-backed
filter, locks them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers at once
each take different rows and never wait for or double-act on one another; SQLite's
IMMEDIATE transactions serialise writers instead), and acts on the batch with one UPDATE
and set inserts of its history events and notifications, in one transaction. A worker
killed mid-run leaves whole batches only: the selection filter is the rule itself, so the
next run picks up exactly what is left.

Times are "as of" a moment (now by default): a dry run says what would happen then, and
tests drive whole lifecycles by moving it.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.core.models import MAX_ID
from leadpool.core.times import parse_moment
from leadpool.customers.models import Customer, Opportunity
from leadpool.history.models import Event, Notification
from leadpool.leads.models import Lead
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.rules import format_time
from leadpool.pools.services import purge_expired_records
from leadpool.pools.sweeps import insert_rows

BATCH_SIZE = 5000

NO_FOLLOWUP = "reclaim_no_followup_days"
NOT_CONVERTED = "reclaim_not_converted_days"
WARNING = "reclaim_warning_days"
RETENTION_MOVE = "retention_move"
RETENTION_DELETE = "retention_delete"
FOLLOWUP_DUE = "followup_due"
RULES = (NO_FOLLOWUP, NOT_CONVERTED, WARNING, RETENTION_MOVE, RETENTION_DELETE, FOLLOWUP_DUE)
# The history's name for the rule behind a retention action.
RETENTION_RULE = "retention_days"

EVENT_COLUMNS = [
    "lead_id", "customer_id", "action", "actor_id", "from_owner_id", "to_owner_id",
    "from_pool_id", "to_pool_id", "reason", "rule", "details", "at",
]  # fmt: skip
NOTIFICATION_COLUMNS = [
    "user_id", "kind", "lead_id", "customer_id", "pool_id", "actor_id", "details", "created_at",
]  # fmt: skip


@dataclass
class SweepReport:
    """What one run did (or, in a dry run, would do), per pool and rule."""

    as_of: datetime.datetime
    dry_run: bool
    pools: dict = field(default_factory=dict)
    purged: dict = field(default_factory=lambda: {"lead": 0, "customer": 0})
    # False when the run was asked to stop between batches; the next run finishes.
    complete: bool = True

    def add(self, pool: Pool | None, rule: str, count: int = 0) -> None:
        key = pool.pk if pool is not None else None
        if key not in self.pools:
            self.pools[key] = {
                "id": key,
                "name": pool.name if pool is not None else "",
                "kind": pool.kind if pool is not None else "",
                "counts": dict.fromkeys(RULES, 0),
            }
        self.pools[key]["counts"][rule] += count

    def as_dict(self) -> dict:
        ordered = sorted(self.pools.values(), key=lambda entry: (entry["id"] is None, entry["id"]))
        return {
            "as_of": timezone.localtime(self.as_of).isoformat(),
            "dry_run": self.dry_run,
            "complete": self.complete,
            "pools": ordered,
            "recycle_bin_purged": dict(self.purged),
        }


class Stopped(Exception):
    """Raised between batches when the worker was asked to stop."""


def resolve_pools(value) -> list[Pool]:
    """The pools named by an id or a name (a lead pool and a customer pool may share one).

    Raises ValueError when none matches.
    """
    text = str(value).strip()
    is_id = text.isdigit() and 0 < int(text) <= MAX_ID
    pools = list(Pool.objects.filter(pk=int(text))) if is_id else []
    if not pools:
        pools = list(Pool.objects.filter(name=text).order_by("pk"))
    if not pools:
        raise ValueError(_("There is no pool %(pool)s.") % {"pool": text})
    return pools


def run_rules(
    *,
    as_of: datetime.datetime | str | None = None,
    dry_run: bool = False,
    pool: Pool | list[Pool] | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SweepReport:
    """Run every automatic pool rule as of `as_of` (default now), for all pools or some.

    With `dry_run`, nothing changes and the report gives the counts a real run at the
    same moment would act on. The recycle-bin purge and the reminders of records in no
    pool are not per pool, so they run only when no pool is given. `should_stop` is
    asked between batches; when it answers True the run ends after the batch in hand,
    and the report says it is incomplete.
    """
    as_of = timezone.now() if as_of is None else parse_moment(as_of)
    report = SweepReport(as_of=as_of, dry_run=dry_run)
    sweep = _Sweep(report, should_stop or (lambda: False), batch_size)
    if pool is None:
        pools = list(Pool.objects.order_by("pk"))
    else:
        pools = [pool] if isinstance(pool, Pool) else list(pool)
    try:
        for each in pools:
            report.add(each, NO_FOLLOWUP)  # every pool swept is in the report, if only as 0s
            model = Lead if each.kind == Pool.Kind.LEAD else Customer
            sweep.reclaim(model, each)
            sweep.warn(model, each)
            sweep.retain(model, each)
            sweep.remind(model, each)
        if pool is None:
            # Records owned outside any pool still have follow-ups that fall due.
            for model in (Lead, Customer):
                sweep.remind(model, None)
                sweep.purge(model)
    except Stopped:
        report.complete = False
    return report


class _Sweep:
    def __init__(self, report: SweepReport, should_stop: Callable[[], bool], batch_size: int):
        self.report = report
        self.as_of = report.as_of
        self.dry_run = report.dry_run
        self.should_stop = should_stop
        self.batch_size = batch_size

    # --- the rules ---------------------------------------------------------------

    def reclaim(self, model: type[PooledRecord], pool: Pool) -> None:
        if pool.reclaim_no_followup_days is None and pool.reclaim_not_converted_days is None:
            return  # a stale reclaim_at under a rule since turned off takes nothing back
        due = self._reclaimable(model, pool).filter(reclaim_at__lte=self.as_of)
        columns = ("pk", "owner_id", "claimed_at", "assigned_at", "created_at",
                   "last_followup_at", "name", "company")  # fmt: skip

        def act(rows: list[tuple]) -> None:
            rules = [_fallen_due_rule(pool, row) for row in rows]
            for rule in (NO_FOLLOWUP, NOT_CONVERTED):
                self.report.add(pool, rule, rules.count(rule))
            if self.dry_run:
                return
            ids = [row[0] for row in rows]
            # The rows are locked (or, on SQLite, the database is), so this repeats the
            # selection as a compare-and-swap guard rather than expecting it to miss.
            changed = model.objects.filter(
                pk__in=ids, reclaim_at__lte=self.as_of, owner__isnull=False
            ).update(
                owner=None,
                pooled_at=self.as_of,
                reclaim_at=None,
                reclaim_warned_for=None,
                updated_at=timezone.now(),
            )
            if changed != len(ids):
                raise RuntimeError("automatic reclaim lost its row locks")  # rolls back
            entity = f"{model.entity}_id"
            self._events(
                {entity: pk, "action": Event.Action.AUTO_RECLAIM, "from_owner_id": owner,
                 "from_pool_id": pool.pk, "to_pool_id": pool.pk, "rule": rule}
                for (pk, owner, *_rest), rule in zip(rows, rules, strict=True)
            )  # fmt: skip
            # One notification per owner and batch (so usually per run), not per record: an
            # owner losing 300 leads at once wants one message, and a sweep of 100,000 due
            # records would otherwise insert 100,000 notifications. Sent with the batch, so
            # a killed worker never loses one for records it did take back.
            taken: dict[int, list[tuple]] = {}
            for pk, owner, *_rest, name, company in rows:
                taken.setdefault(owner, []).append((pk, name, company))
            self._notify(
                {"user_id": owner, "kind": Notification.Kind.RECLAIMED,
                 entity: records[0][0] if len(records) == 1 else None, "pool_id": pool.pk,
                 "details": {"automatic": True, "count": len(records), "pool": pool.name,
                             "record": _display_name(*records[0]) if len(records) == 1 else ""}}
                for owner, records in sorted(taken.items())
            )  # fmt: skip

        self._batches(due, ("reclaim_at", "pk"), columns, act)

    def warn(self, model: type[PooledRecord], pool: Pool) -> None:
        if pool.reclaim_warning_days is None:
            return
        horizon = self.as_of + datetime.timedelta(days=pool.reclaim_warning_days)
        # Not yet due (those are reclaimed, not warned), and not warned for this reclaim_at.
        pending = (
            self._reclaimable(model, pool)
            .filter(reclaim_at__gt=self.as_of, reclaim_at__lte=horizon)
            .filter(Q(reclaim_warned_for__isnull=True) | ~Q(reclaim_warned_for=F("reclaim_at")))
        )

        def act(rows: list[tuple]) -> None:
            self.report.add(pool, WARNING, len(rows))
            if self.dry_run:
                return
            model.objects.filter(pk__in=[row[0] for row in rows]).update(
                reclaim_warned_for=F("reclaim_at")
            )
            entity = f"{model.entity}_id"
            self._notify(
                {"user_id": owner, "kind": Notification.Kind.RECLAIM_WARNING, entity: pk,
                 "pool_id": pool.pk,
                 "details": {"record": _display_name(pk, name, company), "pool": pool.name,
                             "reclaim_at": format_time(reclaim_at)}}
                for pk, owner, reclaim_at, name, company in rows
            )  # fmt: skip

        columns = ("pk", "owner_id", "reclaim_at", "name", "company")
        self._batches(pending, ("reclaim_at", "pk"), columns, act)

    def retain(self, model: type[PooledRecord], pool: Pool) -> None:
        action = pool.on_retention_expiry
        if pool.retention_days is None or action == Pool.RetentionAction.KEEP:
            return
        target_id = pool.retention_move_to_pool_id
        if action == Pool.RetentionAction.MOVE and target_id in (None, pool.pk):
            return  # configuration refuses these; never move a record onto itself
        cutoff = self.as_of - datetime.timedelta(days=pool.retention_days)
        expired = model.objects.filter(
            pool=pool, owner__isnull=True, deleted_at__isnull=True, pooled_at__lte=cutoff
        ).exclude(status__in=model.CLOSED_STATUSES)
        rule = RETENTION_MOVE if action == Pool.RetentionAction.MOVE else RETENTION_DELETE

        def act(rows: list[tuple]) -> None:
            self.report.add(pool, rule, len(rows))
            if self.dry_run:
                return
            ids = [row[0] for row in rows]
            now = timezone.now()
            if rule == RETENTION_MOVE:
                changes = {"pool_id": target_id, "pooled_at": self.as_of}
                event = {"action": Event.Action.RETENTION_MOVE, "to_pool_id": target_id}
            else:
                changes = {"deleted_at": self.as_of, "deleted_by": None, "reclaim_at": None}
                event = {"action": Event.Action.RETENTION_DELETE}
            model.objects.filter(pk__in=ids, owner__isnull=True, pool=pool).update(
                **changes, updated_at=now
            )
            entity = f"{model.entity}_id"
            self._events(
                {entity: pk, "from_pool_id": pool.pk, "rule": RETENTION_RULE, **event} for pk in ids
            )

        self._batches(expired, ("pool", "pooled_at", "pk"), ("pk",), act)

    def remind(self, model: type[PooledRecord], pool: Pool | None) -> None:
        due = model.objects.filter(
            owner__isnull=False, deleted_at__isnull=True, next_followup_at__lte=self.as_of
        )
        due = due.filter(pool=pool) if pool is not None else due.filter(pool__isnull=True)
        due = due.exclude(status__in=model.CLOSED_STATUSES).filter(
            Q(followup_reminded_for__isnull=True) | ~Q(followup_reminded_for=F("next_followup_at"))
        )

        def act(rows: list[tuple]) -> None:
            self.report.add(pool, FOLLOWUP_DUE, len(rows))
            if self.dry_run:
                return
            model.objects.filter(pk__in=[row[0] for row in rows]).update(
                followup_reminded_for=F("next_followup_at")
            )
            entity = f"{model.entity}_id"
            self._notify(
                {"user_id": owner, "kind": Notification.Kind.FOLLOWUP_DUE, entity: pk,
                 "pool_id": pool.pk if pool else None,
                 "details": {"record": _display_name(pk, name, company),
                             "followup_at": format_time(followup_at)}}
                for pk, owner, followup_at, name, company in rows
            )  # fmt: skip

        columns = ("pk", "owner_id", "next_followup_at", "name", "company")
        self._batches(due, ("next_followup_at", "pk"), columns, act)

    def purge(self, model: type[PooledRecord]) -> None:
        self._check_stop()
        if self.dry_run:
            cutoff = self.as_of - datetime.timedelta(days=settings.LEADPOOL_RECYCLE_BIN_DAYS)
            count = model.objects.filter(deleted_at__lt=cutoff).count()
        else:
            count = purge_expired_records(model=model, now=self.as_of)
        self.report.purged[model.entity] += count

    # --- the machinery -----------------------------------------------------------

    def _reclaimable(self, model: type[PooledRecord], pool: Pool) -> QuerySet:
        """Owned live records of `pool` that its reclaim rules may take back."""
        records = model.objects.filter(
            pool=pool, owner__isnull=False, deleted_at__isnull=True, reclaim_at__isnull=False
        ).exclude(status__in=model.CONVERTED_STATUSES)
        if model is Customer and pool.reclaim_exempt_open_opportunity:
            # Re-checked here because an opportunity may have opened after reclaim_at was set.
            open_ones = Opportunity.objects.filter(customer=OuterRef("pk")).exclude(
                stage__in=Opportunity.CLOSED_STAGES
            )
            records = records.exclude(Exists(open_ones))
        return records

    def _batches(self, queryset: QuerySet, order: tuple, columns: tuple, act) -> None:
        """Call `act` on successive batches of `columns` of the rows `queryset` selects.

        A real run locks each batch and acts in the same transaction; the acted rows then
        leave the selection, so the next batch is again the first rows of the same query
        (ordered along its index). A dry run changes nothing, so it pages by id instead.
        """
        last_pk = 0
        while True:
            self._check_stop()
            with transaction.atomic():
                if self.dry_run:
                    selection = queryset.filter(pk__gt=last_pk).order_by("pk")
                else:
                    selection = queryset.select_for_update(skip_locked=True).order_by(*order)
                rows = list(selection.values_list(*columns)[: self.batch_size])
                if not rows:
                    return
                act(rows)
            last_pk = max(row[0] for row in rows)
            if len(rows) < self.batch_size:
                return

    def _check_stop(self) -> None:
        if self.should_stop():
            raise Stopped

    def _events(self, rows) -> None:
        defaults = dict.fromkeys(EVENT_COLUMNS)
        defaults.update(reason="", rule="", details={}, at=self.as_of)
        insert_rows(Event, EVENT_COLUMNS, [tuple({**defaults, **row}.values()) for row in rows])

    def _notify(self, rows) -> None:
        defaults = dict.fromkeys(NOTIFICATION_COLUMNS)
        # Notifications are sent now, whatever moment the rules were run as of.
        defaults.update(created_at=timezone.now())
        insert_rows(
            Notification,
            NOTIFICATION_COLUMNS,
            [tuple({**defaults, **row}.values()) for row in rows],
        )


def _fallen_due_rule(pool: Pool, row: tuple) -> str:
    """Which of the pool's reclaim rules set the record's deadline (the earlier one).

    Mirrors rules.reclaim_deadline on the columns already fetched, so naming the rule
    costs no query per record.
    """
    _pk, _owner, claimed_at, assigned_at, created_at, last_followup_at, *_ = row
    owned = [moment for moment in (claimed_at, assigned_at) if moment is not None]
    owned_since = max(owned) if owned else created_at
    deadlines = {}
    if pool.reclaim_no_followup_days is not None:
        start = max(owned_since, last_followup_at) if last_followup_at else owned_since
        deadlines[NO_FOLLOWUP] = start + datetime.timedelta(days=pool.reclaim_no_followup_days)
    if pool.reclaim_not_converted_days is not None:
        deadlines[NOT_CONVERTED] = owned_since + datetime.timedelta(
            days=pool.reclaim_not_converted_days
        )
    return min(deadlines, key=lambda rule: (deadlines[rule], rule))


def _display_name(pk: int, name: str, company: str) -> str:
    """PooledRecord.display_name from two columns, without building a model per row."""
    if name and company:
        return f"{name} ({company})"
    return name or company or f"#{pk}"
