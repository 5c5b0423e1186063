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
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.activity.followups import due_condition
from leadpool.core.models import MAX_ID
from leadpool.core.times import parse_moment
from leadpool.customers.models import Customer, Opportunity
from leadpool.history.models import Event, Notification
from leadpool.history.services import send_notification_digests
from leadpool.leads.models import Lead
from leadpool.pools.distribution import distribute_records
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.rules import format_time
from leadpool.pools.services import purge_expired_records
from leadpool.pools.sweeps import insert_rows
from leadpool.scoring.services import rescore_due_leads

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
    # Leads rescored and e-mail digests sent (whole runs only; not in the API's report).
    rescored: int = 0
    digests: int = 0

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
    same moment would act on. The recycle-bin purge, the reminders of records in no
    pool, lead rescoring (scoring.services.rescore_due_leads) and the e-mail digests
    (history.services.send_notification_digests) are not per pool, so they run only when
    no pool is given (the last two not in a dry run). `should_stop` is
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
            if not dry_run:
                # Lead scores that time alone moved (recency rules) or new rules changed,
                # then the e-mail digests of the notifications this run and others sent.
                report.rescored = rescore_due_leads(
                    as_of=as_of, should_stop=sweep.should_stop, batch_size=batch_size
                )
                sweep._check_stop()
                report.digests = send_notification_digests()
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
        if connection.vendor == "postgresql" and not self.dry_run:
            while True:
                self._check_stop()
                with transaction.atomic():
                    picked = self._reclaim_batch_in_sql(model, pool, due, columns)
                if picked < self.batch_size:
                    return

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
            if pool.redistribute_reclaimed:
                self._redistribute(model, pool, {pk: owner for pk, owner, *_rest in rows})

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
        # "Due" is defined once, for this sweep and the due lists alike (activity/followups).
        due = model.objects.filter(due_condition(model, until=self.as_of))
        due = due.filter(pool=pool) if pool is not None else due.filter(pool__isnull=True)
        due = due.filter(
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

    def _reclaim_batch_in_sql(
        self, model: type[PooledRecord], pool: Pool, due: QuerySet, columns: tuple
    ) -> int:
        """Reclaim one batch on PostgreSQL in a single statement; return how many it locked.

        Raw SQL because the ORM cannot chain data-modifying CTEs: the locking SELECT, the
        UPDATE and the history INSERT run as one statement, so the rows never travel to
        Python and back (100,000 due records would otherwise cost a round trip of every
        row, a rule computed per row in Python and an array of events sent back). The
        selection is still the ORM's (`due`, compiled with its FOR UPDATE SKIP LOCKED), so
        the rule's filter lives in one place; the rule naming mirrors _fallen_due_rule.
        Only the per-owner summary comes back, for the notifications and the report, with
        the reclaimed ids when the pool hands them out again (distribution needs them).
        """
        qn = connection.ops.quote_name

        def column(name: str) -> str:
            return qn(model._meta.get_field(name).column)

        picked_sql, picked_params = (
            due.select_for_update(skip_locked=True)
            .order_by("reclaim_at", "pk")
            .values_list(*columns)[: self.batch_size]
            .query.sql_with_params()
        )
        # The rule whose deadline fell first, as _fallen_due_rule computes it: ownership
        # starts at the later of claimed/assigned (else creation); a follow-up restarts
        # the no-follow-up clock. GREATEST skips NULLs as max() over the set ones does.
        owned_since = "COALESCE(GREATEST(picked.claimed_at, picked.assigned_at), picked.created_at)"
        rule_params = []
        if pool.reclaim_no_followup_days is None:
            rule = "%s"
            rule_params += [NOT_CONVERTED]
        elif pool.reclaim_not_converted_days is None:
            rule = "%s"
            rule_params += [NO_FOLLOWUP]
        else:  # both: the earlier deadline, a tie going to no-follow-up (as min() by name)
            # Days as seconds: what timedelta(days=n) adds, whatever the session's zone.
            rule = (
                f"CASE WHEN {owned_since} + %s * interval '1 second'"
                f" < GREATEST({owned_since}, picked.last_followup_at) + %s * interval '1 second'"
                " THEN %s ELSE %s END"
            )
            rule_params += [
                pool.reclaim_not_converted_days * 86400,
                pool.reclaim_no_followup_days * 86400,
                NOT_CONVERTED,
                NO_FOLLOWUP,
            ]
        reclaimed_ids = "array_agg(id)" if pool.redistribute_reclaimed else "NULL"
        now = timezone.now()
        sql = f"""
            WITH picked (id, owner_id, claimed_at, assigned_at, created_at, last_followup_at,
                         name, company) AS (
                {picked_sql}
            ), moved AS (
                -- The rows are locked by this very statement; the repeated conditions are
                -- the compare-and-swap guard the ORM path has.
                UPDATE {qn(model._meta.db_table)} AS record
                SET {column("owner")} = NULL, {column("pooled_at")} = %s,
                    {column("reclaim_at")} = NULL, {column("reclaim_warned_for")} = NULL,
                    {column("updated_at")} = %s
                FROM picked
                WHERE record.{column("id")} = picked.id AND record.{column("reclaim_at")} <= %s
                    AND record.{column("owner")} IS NOT NULL
                RETURNING picked.id, picked.owner_id, picked.name, picked.company,
                    {rule} AS rule
            ), logged AS (
                INSERT INTO {qn(Event._meta.db_table)} (
                    {qn(Event._meta.get_field(model.entity).column)},
                    {qn(Event._meta.get_field("action").column)},
                    {qn(Event._meta.get_field("from_owner").column)},
                    {qn(Event._meta.get_field("from_pool").column)},
                    {qn(Event._meta.get_field("to_pool").column)},
                    {qn(Event._meta.get_field("reason").column)},
                    {qn(Event._meta.get_field("rule").column)},
                    {qn(Event._meta.get_field("details").column)},
                    {qn(Event._meta.get_field("at").column)}
                )
                SELECT id, %s, owner_id, %s, %s, %s, rule, %s::jsonb, %s FROM moved
            )
            SELECT total.picked, summary.owner_id, summary.taken, summary.not_converted,
                summary.first_id, summary.name, summary.company, summary.ids
            FROM (SELECT count(*) FROM picked) AS total (picked)
            LEFT JOIN (
                SELECT owner_id, count(*), count(*) FILTER (WHERE rule = %s), min(id),
                    min(name), min(company), {reclaimed_ids}
                FROM moved GROUP BY owner_id
            ) AS summary (owner_id, taken, not_converted, first_id, name, company, ids) ON true
            ORDER BY summary.owner_id
        """  # noqa: S608 - identifiers are quoted names from the models, values are parameters
        params = [
            *picked_params,
            self.as_of, now, self.as_of,  # the UPDATE
            *rule_params,
            Event.Action.AUTO_RECLAIM.value, pool.pk, pool.pk, "", "{}", self.as_of,  # the INSERT
            NOT_CONVERTED,  # the summary
        ]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        picked = rows[0][0]
        summary = [row[1:] for row in rows if row[1] is not None]
        if sum(taken for _owner, taken, *_rest in summary) != picked:
            raise RuntimeError("automatic reclaim lost its row locks")  # rolls back
        converted = sum(not_converted for _owner, _taken, not_converted, *_rest in summary)
        self.report.add(pool, NOT_CONVERTED, converted)
        self.report.add(pool, NO_FOLLOWUP, picked - converted)
        # The owners' summary notifications, as the ORM path sends them (see reclaim).
        entity = f"{model.entity}_id"
        self._notify(
            {"user_id": owner, "kind": Notification.Kind.RECLAIMED,
             entity: first_id if taken == 1 else None, "pool_id": pool.pk,
             "details": {"automatic": True, "count": taken, "pool": pool.name,
                         "record": _display_name(first_id, name, company) if taken == 1 else ""}}
            for owner, taken, _not_converted, first_id, name, company, _ids in summary
        )  # fmt: skip
        if pool.redistribute_reclaimed:
            self._redistribute(
                model, pool, {pk: owner for owner, *_counts, ids in summary for pk in ids}
            )
        return picked

    def _redistribute(
        self, model: type[PooledRecord], pool: Pool, reclaimed_from: dict[int, int]
    ) -> None:
        """Hand a batch just reclaimed into `pool` out again by its routing and distribution.

        Runs in the batch's transaction, on rows it still holds locked: the records are
        either reclaimed and handed on, or neither. The history then reads auto_reclaim,
        then the distribution's assign, both as of the sweep's moment.
        """
        records = model.objects.filter(
            pk__in=reclaimed_from, pool=pool, owner__isnull=True
        ).order_by("pk")  # in id order, so the turns they take are reproducible
        distribute_records(
            model, list(records), by=None, at=self.as_of, reclaimed_from=reclaimed_from
        )

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
