"""Carrying out one batch's plan: new records, updates, history, distribution, row reports.

One transaction per batch, with the job's counters and checkpoint, so a batch is on file
whole or not at all. New records go in set-wise (COPY on PostgreSQL, core/bulk.py); their
history events point at the job. A dry run writes only the job's own reports and counters.
"""

import datetime
from collections import Counter

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.core import bulk
from leadpool.history.models import Event
from leadpool.pools import access
from leadpool.pools.distribution import distribute_records, hands_out
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.rules import ReclaimRules, reclaim_deadline
from leadpool.pools.sweeps import insert_rows
from leadpool.scoring.services import active_rules, rescore_leads, score_import_rows
from leadpool.transfer.import_rows import RowPlan
from leadpool.transfer.models import ImportJob, ImportRowReport

# Plan outcomes → what the row report says; "create" rows need no report.
REPORTED = {
    "failed": ImportRowReport.Outcome.FAILED,
    "skipped": ImportRowReport.Outcome.SKIPPED,
    "update": ImportRowReport.Outcome.UPDATED,
    "merged": ImportRowReport.Outcome.UPDATED,
    "duplicate_created": ImportRowReport.Outcome.DUPLICATE_CREATED,
}
REPORT_COLUMNS = ["job_id", "row", "outcome", "reasons", "cells", "record_id"]
# The duplicate query's statistics are refreshed after this many rows more than the
# table held (see BatchWriter._refresh_statistics).
ANALYZE_AFTER_ROWS = 5000
# The columns that query filters on.
STATISTICS_COLUMNS = (
    "phone_normalized",
    "other_phone_normalized",
    "email_normalized",
    "deleted_at",
)
# Rows that did not go in keep their cells, for the error file.
KEEP_CELLS = {"failed", "skipped"}
EVENT_COLUMNS = [
    "action",
    "actor_id",
    "to_owner_id",
    "to_pool_id",
    "reason",
    "rule",
    "details",
    "import_job_id",
    "at",
]


class BatchWriter:
    def __init__(self, *, job: ImportJob, model: type[PooledRecord], scope: access.Scope):
        self.job = job
        self.model = model
        self.scope = scope
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        # In the model's field order, so a row of these values builds an instance fast.
        self.columns = [f.attname for f in model._meta.concrete_fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.subject = f"{model.entity}_id"
        self._planned_rows: float | None = None
        self._added_since_analyze = 0

    def write(self, plans: list[RowPlan]) -> None:
        now = timezone.now()
        self._refresh_statistics()
        with transaction.atomic():
            if bulk.is_postgresql():
                # The batch and the job's checkpoint commit together, so a crash that
                # loses the last few (≤ 3 × wal_writer_delay) loses them whole and the
                # job redoes them; `_finish`'s own commit flushes all of them to disk
                # before the job says it is done. Saves the WAL flush wait of each batch.
                bulk.commit_without_waiting_for_disk()
            if not self.job.dry_run:
                self._refuse_updates_out_of_reach(plans)
                # Records entering a pool that hands them out go to distribution, which
                # needs them as instances; otherwise they are only rows (no instances).
                pool = self._pool_to_distribute()
                created = self._create(
                    [p for p in plans if p.outcome in _CREATES], now, as_instances=pool is not None
                )
                self._update([p for p in plans if p.outcome == "update"], now)
                for plan in plans:
                    if plan.outcome == "merged" and plan.merged_into is not None:
                        plan.record_id = plan.merged_into.record_id
                        if plan.merged_into.outcome == "skipped":
                            plan.outcome, plan.reasons = "skipped", plan.merged_into.reasons
                if created and pool is not None:
                    distribute_records(self.model, created, by=self.job.user, at=now)
            self._report(plans)
            self._count(plans, now)

    def _pool_to_distribute(self) -> Pool | None:
        """The job's pool, read afresh each batch, if its new records go in unassigned
        and it routes or distributes them."""
        if not self.job.pool_id or self.job.owner_id:
            return None
        pool = Pool.objects.get(pk=self.job.pool_id)
        return pool if hands_out(pool) else None

    def _refresh_statistics(self) -> None:
        """ANALYZE the table once this job has added more rows than the planner thinks
        it holds. The next batch's duplicate query (phone/e-mail IN …, import_rows.py) is
        planned from these statistics: on a table never analysed, or one an import has
        doubled, the planner expects a few rows and filters them all one by one, a scan
        that grows with every batch (121 ms a batch at 95k rows; 30 ms with statistics,
        through the indexes). Autovacuum would get there, but a minute or more later."""
        if not bulk.is_postgresql() or self.job.dry_run:
            return
        if self._planned_rows is None:
            self._planned_rows = bulk.planned_rows(self.model)
        if self._added_since_analyze > max(self._planned_rows, 0) + ANALYZE_AFTER_ROWS:
            if bulk.refresh_statistics(self.model, STATISTICS_COLUMNS):
                self._planned_rows = bulk.planned_rows(self.model)
                self._added_since_analyze = 0
            else:
                self._planned_rows = float("inf")  # not allowed here: stop asking

    # --- updates -----------------------------------------------------------------------

    def _refuse_updates_out_of_reach(self, plans: list[RowPlan]) -> None:
        """dedupe=update changes only records the importer may edit; others are skipped."""
        updates = [plan for plan in plans if plan.outcome == "update"]
        if not updates:
            return
        ids = {plan.record_id for plan in updates}
        records = (
            access.visible_records(self.job.user, self.model, scope=self.scope)
            .select_for_update(of=("self",))
            .filter(pk__in=ids)
            .in_bulk()
        )
        self._locked = records
        for plan in updates:
            record = records.get(plan.record_id)
            if record is None or not access.can(self.scope, "edit", record):
                plan.outcome = "skipped"
                plan.reasons = {
                    "duplicate": [
                        *plan.reasons.get("duplicate", []),
                        _("It is not yours to update, so the row was skipped."),
                    ]
                }

    def _update(self, plans: list[RowPlan], now: datetime.datetime) -> None:
        events = []
        updated: list[PooledRecord] = []
        for plan in plans:
            record = self._locked[plan.record_id]
            changes = {
                name: value
                for name, value in plan.cleaned.items()
                if name not in ("custom", "collaborators") and getattr(record, name) != value
            }
            custom = {**record.custom, **plan.cleaned.get("custom", {})}
            if custom != record.custom:
                changes["custom"] = custom
            if not changes:
                continue
            self.model.objects.filter(pk=record.pk).update(**changes, updated_at=now)
            for name, value in changes.items():
                setattr(record, name, value)
            fields = sorted(name for name in changes if not name.endswith("_normalized"))
            events.append(
                (record.pk, Event.Action.EDIT, self.job.user_id, None, None, "", "",
                 {"fields": fields, "row": plan.row}, self.job.pk, now)
            )  # fmt: skip
            updated.append(record)
        insert_rows(Event, [self.subject, *EVENT_COLUMNS], events)
        self._rescore(updated, now)

    def _rescore(self, updated: list[PooledRecord], now: datetime.datetime) -> None:
        """Updated leads are scored again, as an edit rescores a lead: the batch's in one
        go (scoring.services.rescore_leads: two count queries and one UPDATE), under the
        locks `_refuse_updates_out_of_reach` took. A rise to the pool's threshold acts as
        it does after an edit."""
        if self.model.entity != "lead" or not updated:
            return
        rules = active_rules()
        if not rules:
            # No rules: only leads still carrying an old score have anything to change.
            updated = [r for r in updated if r.score or r.score_explanation or r.rescore_at]
            if not updated:
                return
        rescore_leads([record.pk for record in updated], now=now, rules=rules)

    # --- creates -----------------------------------------------------------------------

    def _create(
        self, plans: list[RowPlan], now: datetime.datetime, *, as_instances: bool
    ) -> list[PooledRecord]:
        """Write the new records; answer them as instances if asked (else no list: building
        a model instance a row is a tenth of an import's time)."""
        if not plans:
            return []
        placement = self._placement(now)
        columns = self.columns
        records: list[PooledRecord] = []
        events = []
        ids = bulk.next_ids(self.model, len(plans))  # before the COPY: one query at a time

        def rows():
            for pk, plan in zip(ids, plans, strict=True):
                row = {**self.defaults, **plan.cleaned, **placement, "id": pk}
                values = [row[c] for c in columns]  # "collaborators" is not a column
                yield values
                if as_instances:
                    # Positional arguments in field order: Django's fast path (3× kwargs').
                    records.append(self.model(*values))
                # A duplicate created anyway keeps pointing at the record it duplicates.
                if plan.outcome == "create" or plan.record_id is None:
                    plan.record_id = pk
                events.append(
                    (pk, Event.Action.IMPORT, self.job.user_id, placement["owner_id"],
                     placement["pool_id"], "", "", {"row": plan.row}, self.job.pk, now)
                )  # fmt: skip

        # Built in full before the COPY opens: nothing may query the database while a
        # COPY is in progress on the connection (the scoring rules load lazily), and
        # psycopg then waits forever rather than failing.
        new_rows = list(score_import_rows(self.model, columns, rows()))
        bulk.insert_rows(self.model, columns, new_rows)
        self._added_since_analyze += len(plans)
        bulk.insert_rows(Event, [self.subject, *EVENT_COLUMNS], events)
        return records

    def _placement(self, now: datetime.datetime) -> dict:
        """Pool, owner and the times that go with them, the same for every new record."""
        job = self.job
        owner_id = job.owner_id
        assigned = owner_id is not None and owner_id != job.user_id
        reclaim_at = None
        if owner_id is not None and job.pool is not None:
            reclaim_at = reclaim_deadline(
                ReclaimRules.of(job.pool),
                owned_since=now,
                last_followup_at=None,
                is_converted=False,
            )
        return {
            "pool_id": job.pool_id,
            "owner_id": owner_id,
            "created_by_id": job.user_id,
            "created_at": now,
            "updated_at": now,
            "assigned_at": now if assigned else None,
            "pooled_at": now if job.pool_id and owner_id is None else None,
            "reclaim_at": reclaim_at,
        }

    # --- reports and counters ----------------------------------------------------------

    def _report(self, plans: list[RowPlan]) -> None:
        # COPY / one executemany: bulk_create took ~0.3 ms a report on PostgreSQL.
        bulk.insert_rows(
            ImportRowReport,
            REPORT_COLUMNS,
            [
                (
                    self.job.pk,
                    plan.row,
                    REPORTED[plan.outcome],
                    plan.reasons,
                    plan.cells if plan.outcome in KEEP_CELLS else [],
                    plan.record_id,
                )
                for plan in plans
                if plan.outcome in REPORTED
            ],
        )

    def _count(self, plans: list[RowPlan], now: datetime.datetime) -> None:
        outcomes = Counter(plan.outcome for plan in plans)
        ImportJob.objects.filter(pk=self.job.pk).update(
            processed=F("processed") + len(plans),
            created=F("created") + outcomes["create"] + outcomes["duplicate_created"],
            updated=F("updated") + outcomes["update"] + outcomes["merged"],
            skipped=F("skipped") + outcomes["skipped"],
            failed_rows=F("failed_rows") + outcomes["failed"],
            resume_after_row=max(plan.row for plan in plans),
            heartbeat_at=now,
        )


_CREATES = ("create", "duplicate_created")
