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
from leadpool.pools.distribution import distribute_records
from leadpool.pools.models import PooledRecord
from leadpool.pools.rules import ReclaimRules, reclaim_deadline
from leadpool.pools.sweeps import insert_rows
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
        self.columns = ["id", *(f.attname for f in fields)]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.subject = f"{model.entity}_id"

    def write(self, plans: list[RowPlan]) -> None:
        now = timezone.now()
        with transaction.atomic():
            if not self.job.dry_run:
                self._refuse_updates_out_of_reach(plans)
                created = self._create([p for p in plans if p.outcome in _CREATES], now)
                self._update([p for p in plans if p.outcome == "update"], now)
                for plan in plans:
                    if plan.outcome == "merged" and plan.merged_into is not None:
                        plan.record_id = plan.merged_into.record_id
                        if plan.merged_into.outcome == "skipped":
                            plan.outcome, plan.reasons = "skipped", plan.merged_into.reasons
                if created and self.job.pool_id and not self.job.owner_id:
                    distribute_records(self.model, created, by=self.job.user, at=now)
            self._report(plans)
            self._count(plans, now)

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
        insert_rows(Event, [self.subject, *EVENT_COLUMNS], events)

    # --- creates -----------------------------------------------------------------------

    def _create(self, plans: list[RowPlan], now: datetime.datetime) -> list[PooledRecord]:
        if not plans:
            return []
        placement = self._placement(now)
        values = []
        for plan in plans:
            cleaned = dict(plan.cleaned)
            cleaned.pop("collaborators", None)
            values.append({**self.defaults, **cleaned, **placement})
        if bulk.is_postgresql():
            for pk, row in zip(bulk.next_ids(self.model, len(values)), values, strict=True):
                row["id"] = pk
            bulk.copy_rows(
                self.model, self.columns, ([row[c] for c in self.columns] for row in values)
            )
            records = [self.model(**row) for row in values]
        else:
            records = self.model.objects.bulk_create(
                [self.model(**row) for row in values], batch_size=500
            )
        for plan, record in zip(plans, records, strict=True):
            # A duplicate created anyway keeps pointing at the record it duplicates.
            if plan.outcome == "create" or plan.record_id is None:
                plan.record_id = record.pk
        rows = [
            (record.pk, Event.Action.IMPORT, self.job.user_id, record.owner_id, record.pool_id,
             "", "", {"row": plan.row}, self.job.pk, now)
            for plan, record in zip(plans, records, strict=True)
        ]  # fmt: skip
        if bulk.is_postgresql():
            bulk.copy_rows(Event, [self.subject, *EVENT_COLUMNS], rows)
        else:
            insert_rows(Event, [self.subject, *EVENT_COLUMNS], rows)
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
        ImportRowReport.objects.bulk_create(
            [
                ImportRowReport(
                    job_id=self.job.pk,
                    row=plan.row,
                    outcome=REPORTED[plan.outcome],
                    reasons=plan.reasons,
                    cells=plan.cells if plan.outcome in KEEP_CELLS else [],
                    record_id=plan.record_id,
                )
                for plan in plans
                if plan.outcome in REPORTED
            ],
            batch_size=500,
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
