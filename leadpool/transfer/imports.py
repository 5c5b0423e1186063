"""Import jobs (导入): preview, start, run in batches, undo, and the error file.

PRODUCT.md "Import and export". `start_import` checks everything that can be checked at
once (rights, the file, the mapping) and refuses with a ValidationError naming the
problem; the rows are then read by `run_import` in a background job, `BATCH_ROWS` at a
time. Each batch is one transaction: its records, their history (pointing at the job),
distribution, row reports and the job's counters commit together or not at all.
"""

import datetime
import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from leadpool.accounts.models import User
from leadpool.customers.models import Customer
from leadpool.fields.services import active_fields
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry, Event, Notification
from leadpool.history.services import notify
from leadpool.leads.models import Lead
from leadpool.pools import access
from leadpool.pools.records import may_give_to
from leadpool.pools.services import active_user, target_pool
from leadpool.transfer.exports import FORMATS, Column, ExportFile
from leadpool.transfer.import_rows import (
    CUSTOM_PREFIX,
    IMPORT_FIELDS,
    MATCH_KEYS,
    BatchPlanner,
    RowReader,
)
from leadpool.transfer.import_writer import BatchWriter
from leadpool.transfer.matching import duplicate_headers, name_parts, suggest_mapping, unmapped
from leadpool.transfer.models import ImportJob, ImportRowReport
from leadpool.transfer.readers import ReadError, Table, open_table

logger = logging.getLogger(__name__)

MODELS = {"lead": Lead, "customer": Customer}
BATCH_ROWS = 2000
PREVIEW_ROWS = 10
# A running job whose batches stopped this long ago has lost its worker (worker.py).
STALLED_AFTER = datetime.timedelta(minutes=10)


def model_of(entity: str):
    if entity not in MODELS:
        raise ValidationError(
            {"entity": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(MODELS)}]}
        )
    return MODELS[entity]


# --- preview -----------------------------------------------------------------------------


def preview_import(*, by, source, entity: str, sheet=None, mapping=None) -> dict:
    """What the file holds and how its columns would be read, without importing anything."""
    model = model_of(entity)
    table = _open(source, sheet)
    custom_fields = active_fields(model.entity)
    applied = resolve_mapping(table.headers, model, mapping, custom_fields)
    rows = [cells for _number, cells in islice(table.numbered_rows(), PREVIEW_ROWS)]
    return {
        "format": table.format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "sheets": table.sheet_names,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "headers": table.headers,
        "mapping": applied,
        "unmapped": unmapped(table.headers, applied),
        "duplicate_headers": duplicate_headers(table.headers),
        "name_parts": name_parts(table.headers, applied),
        "fields": [*IMPORT_FIELDS, *(CUSTOM_PREFIX + key for key in custom_fields)],
        "rows": rows,
    }


def _open(source, sheet) -> Table:
    try:
        return open_table(source, sheet=sheet or None)
    except ReadError as error:
        raise ValidationError({"file": [error.message]}) from None


def resolve_mapping(headers: list[str], model, overrides, custom_fields: dict) -> dict:
    """The suggested mapping with the user's overrides ({header: field key or null})."""
    mapping = suggest_mapping(headers, entity=model.entity, custom_fields=custom_fields.values())
    if overrides in (None, ""):
        return mapping
    if not isinstance(overrides, dict):
        raise ValidationError({"mapping": [_("Give the mapping as {column header: field}.")]})
    allowed = {*IMPORT_FIELDS, *(CUSTOM_PREFIX + key for key in custom_fields)}
    errors = []
    for header, target in overrides.items():
        if header not in mapping:
            errors.append(
                _("The file has no column “%(header)s”; its columns are: %(headers)s.")
                % {"header": header, "headers": ", ".join(h for h in headers if h)}
            )
        elif target not in (None, "") and target not in allowed:
            errors.append(
                _(
                    "“%(field)s” (for column “%(header)s”) is not a field; choose one of: "
                    "%(fields)s."
                )
                % {"field": target, "header": header, "fields": ", ".join(sorted(allowed))}
            )
        else:
            mapping[header] = target or None
    targets = [target for target in mapping.values() if target]
    for target in sorted({t for t in targets if targets.count(t) > 1}):
        columns = [header for header, t in mapping.items() if t == target]
        errors.append(
            _("Columns %(columns)s all fill “%(field)s”; map only one of them to it.")
            % {"columns": ", ".join(f"“{c}”" for c in columns), "field": target}
        )
    if errors:
        raise ValidationError({"mapping": errors})
    return mapping


# --- start -------------------------------------------------------------------------------


def start_import(
    *,
    by: User,
    source,
    file_name: str,
    entity: str,
    pool=None,
    owner=None,
    mapping=None,
    dedupe: str = ImportJob.Dedupe.SKIP,
    match_on=MATCH_KEYS,
    dry_run: bool = False,
    sheet=None,
    enqueue: bool = True,
) -> ImportJob:
    """Check the request and the file, keep the file, and queue the job.

    `source` is a binary file object or a path. With `enqueue=False` the caller runs the
    job itself (`run_import`), as the command line does.
    """
    model = model_of(entity)
    scope = access.scope_of(by)
    errors: dict[str, list[str]] = {}
    if dedupe not in ImportJob.Dedupe.values:
        errors["dedupe"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(ImportJob.Dedupe.values)}
        ]
    match_on = list(dict.fromkeys(match_on or ()))
    if not match_on or any(key not in MATCH_KEYS for key in match_on):
        errors["match_on"] = [
            _("Choose one or both of: %(choices)s.") % {"choices": ", ".join(MATCH_KEYS)}
        ]
    chosen_pool = chosen_owner = None
    if pool not in (None, ""):
        try:
            chosen_pool = target_pool(by, model, pool)
        except ValidationError as error:
            errors.update(error.message_dict)
        else:
            if not (scope.is_admin or chosen_pool.pk in scope.administered_pool_ids):
                errors["pool"] = [_("Only the pool's admins may import into it.")]
    if owner not in (None, ""):
        try:
            chosen_owner = active_user(owner, field="owner")
        except ValidationError as error:
            errors.update(error.message_dict)
        else:
            if not may_give_to(scope, chosen_owner, chosen_pool):
                errors["owner"] = [
                    _("You may not import records for %(user)s.") % {"user": chosen_owner}
                ]
    if errors:
        raise ValidationError(errors)
    if chosen_pool is None and chosen_owner is None:
        chosen_owner = by  # private records of the importer
    stored = _store(source)
    try:
        table = _open(stored, sheet)
        custom_fields = active_fields(model.entity)
        applied = resolve_mapping(table.headers, model, mapping, custom_fields)
        _check_fills_a_name(table, applied)
        if next(table.numbered_rows(), None) is None:
            raise ValidationError({"file": [_("The file has a header row but no data rows.")]})
        job = ImportJob.objects.create(
            user=by,
            entity=model.entity,
            dry_run=dry_run,
            pool=chosen_pool,
            owner=chosen_owner,
            dedupe=dedupe,
            match_on=match_on,
            headers=table.headers,
            mapping=applied,
            file_name=Path(file_name or "upload").name[:255],
            stored_file=stored.name,
            sheet=table.sheet or "",
            format=table.format,
            encoding=table.encoding or "",
            delimiter=table.delimiter or "",
        )
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    audit(
        AuditEntry.Action.IMPORT,
        actor=by,
        target=f"{model.entity} import {job.pk}",
        details={"job": job.pk, "file": job.file_name, "pool": job.pool_id,
                 "owner": job.owner_id, "dry_run": dry_run},
    )  # fmt: skip
    if enqueue:
        from leadpool.transfer.tasks import run_import_task

        transaction.on_commit(lambda: run_import_task.enqueue(job.pk))
    return job


def _store(source) -> Path:
    """Copy the upload under LEADPOOL_IMPORT_DIR in chunks, refusing it past the size cap."""
    folder = Path(settings.LEADPOOL_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.upload"
    limit = settings.LEADPOOL_IMPORT_MAX_BYTES
    opened = open(source, "rb") if isinstance(source, str | Path) else None  # noqa: SIM115
    reader = opened or source
    try:
        if hasattr(reader, "seek"):
            reader.seek(0)
        with open(target, "wb") as out:
            copied = 0
            while chunk := reader.read(1024 * 1024):
                copied += len(chunk)
                if copied > limit:
                    raise ValidationError(
                        {
                            "file": [
                                _("The file is larger than %(size)s MB, the most one import takes.")
                                % {"size": f"{limit // 1024**2:,}"}
                            ]
                        }
                    )
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        if opened:
            opened.close()
    return target


def _check_fills_a_name(table: Table, mapping: dict) -> None:
    targets = set(mapping.values())
    if "name" in targets or "company" in targets or name_parts(table.headers, mapping):
        return
    raise ValidationError(
        {
            "mapping": [
                _(
                    "No column fills the name or the company, which every record needs: map "
                    "a column to “name” or “company”."
                )
            ]
        }
    )


def stored_path(job: ImportJob) -> Path:
    return Path(settings.LEADPOOL_IMPORT_DIR) / job.stored_file


# --- run ---------------------------------------------------------------------------------


def run_import(
    job_id: int,
    *,
    progress: Callable[[ImportJob], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ImportJob | None:
    """Run (or carry on) a queued job: read the rows after its checkpoint in batches.

    Returns the job, or None when another worker holds it. Errors end the job as failed
    with the reason; batches already committed stay on file (undo removes them).
    """
    job = _take(job_id)
    if job is None:
        return None
    try:
        _run(job, progress=progress, should_stop=should_stop)
    except ReadError as error:
        _fail(job, error.message)
    except ValidationError as error:
        _fail(job, " ".join(error.messages))
    except Exception:
        logger.exception("Import %s failed", job.pk)
        _fail(
            job,
            _(
                "The import stopped on an unexpected error after row %(row)d; the rows "
                "before it are on file. Retry or undo it."
            )
            % {"row": ImportJob.objects.get(pk=job.pk).resume_after_row},
        )
    job.refresh_from_db()
    return job


def _take(job_id: int) -> ImportJob | None:
    """Mark the job running for this worker, unless another worker is running it."""
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        alive = job.heartbeat_at is not None and job.heartbeat_at > now - STALLED_AFTER
        if job.status == ImportJob.Status.RUNNING and alive:
            return None
        job.status = ImportJob.Status.RUNNING
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save(update_fields=["status", "started_at", "heartbeat_at"])
    return job


def _run(job: ImportJob, *, progress, should_stop) -> None:
    model = MODELS[job.entity]
    table = open_table(stored_path(job), sheet=job.sheet or None)
    if job.total is None:
        # A first pass counts the rows, for the progress bar, and reads the whole file
        # once before anything is written, so a damaged file fails with nothing imported.
        job.total = sum(1 for _row in table.numbered_rows())
        ImportJob.objects.filter(pk=job.pk).update(total=job.total)
    custom_fields = active_fields(model.entity)
    reader = RowReader(table.headers, job.mapping, name_parts(table.headers, job.mapping))
    scope = access.scope_of(job.user)
    planner = BatchPlanner(
        model=model,
        reader=reader,
        custom_fields=custom_fields,
        dedupe=job.dedupe,
        match_on=job.match_on,
        scope=scope,
        dry_run=job.dry_run,
    )
    writer = BatchWriter(job=job, model=model, scope=scope)
    # Validation is Python's work and writing mostly the database's: the next batch is
    # validated in a second thread while this one is written, so both cores work.
    # Duplicates are sorted out only once the batch before is on file.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-validate") as ahead:
        batches = _batches(table, after=job.resume_after_row)
        upcoming = _validate_next(ahead, planner, batches)
        while upcoming is not None:
            plans = upcoming.result()
            if should_stop is not None and should_stop():
                return  # left running; the next worker carries on from the checkpoint
            upcoming = _validate_next(ahead, planner, batches)
            writer.write(planner.resolve_duplicates(plans))
            job.refresh_from_db()
            if progress is not None:
                progress(job)
    _finish(job)


def _validate_next(pool: ThreadPoolExecutor, planner: BatchPlanner, batches) -> Future | None:
    batch = next(batches, None)
    if batch is None:
        return None
    language = translation.get_language()

    def validate():
        # Messages in the language the job runs in (translations are per thread).
        with translation.override(language):
            return planner.validate(batch)

    return pool.submit(validate)


def _batches(table: Table, *, after: int) -> Iterator[list[tuple[int, list[str]]]]:
    rows = ((number, cells) for number, cells in table.numbered_rows() if number > after)
    while batch := list(islice(rows, BATCH_ROWS)):
        yield batch


def _finish(job: ImportJob) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE, finished_at=now, heartbeat_at=now, stored_file=""
    )
    stored_path(job).unlink(missing_ok=True)
    job.refresh_from_db()
    if not job.dry_run and job.owner_id and job.owner_id != job.user_id and job.created:
        notify(
            [job.owner_id],
            kind=Notification.Kind.IMPORTED,
            actor=job.user,
            details={"count": job.created, "import_job": job.pk},
        )


def _fail(job: ImportJob, reason: str) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, error=reason, finished_at=now, stored_file=""
    )
    if job.stored_file:
        stored_path(job).unlink(missing_ok=True)


def expire_uploads(now: datetime.datetime | None = None) -> int:
    """Delete uploads nobody will import: jobs still unfinished LEADPOOL_IMPORT_RETENTION_DAYS
    after they were created fail with the reason, and files under LEADPOOL_IMPORT_DIR that
    no job names (left by a crash between saving the file and creating the job) go after a
    day. Answers how many files were deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.LEADPOOL_IMPORT_RETENTION_DAYS)
    deleted = 0
    for job in ImportJob.objects.filter(
        status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING), created_at__lt=cutoff
    ):
        _fail(job, _("No worker ran this import in time; upload the file again."))
        deleted += 1
    folder = Path(settings.LEADPOOL_IMPORT_DIR)
    if folder.is_dir():
        named = set(ImportJob.objects.exclude(stored_file="").values_list("stored_file", flat=True))
        stale = (now - datetime.timedelta(days=1)).timestamp()
        for path in folder.glob("*.upload"):
            if path.name not in named and path.stat().st_mtime < stale:
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


def stalled_jobs() -> QuerySet:
    """Jobs a worker should take up: queued ones, and running ones whose worker died."""
    cutoff = timezone.now() - STALLED_AFTER
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING, heartbeat_at__lt=cutoff)


# --- who sees a job, undo ----------------------------------------------------------------


def visible_jobs(user) -> QuerySet:
    """Jobs a user may see: their own; all for system admins; a pool's for its admins."""
    scope = access.scope_of(user)
    jobs = ImportJob.objects.select_related("user", "pool", "owner")
    if scope.is_admin:
        return jobs
    return jobs.filter(Q(user=user) | Q(pool_id__in=scope.administered_pool_ids))


def undo_import(*, job: ImportJob, by: User) -> ImportJob:
    """Move the records the job created to the recycle bin, except those changed since
    (edited, claimed, followed up …): they are counted as kept. Updates are not undone."""
    if not visible_jobs(by).filter(pk=job.pk).exists():
        raise PermissionDenied(_("You may not undo this import."))
    model = MODELS[job.entity]
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.dry_run:
            raise ValidationError(_("A dry run imported nothing; there is nothing to undo."))
        if job.status == ImportJob.Status.UNDONE:
            raise ValidationError(_("This import has been undone already."))
        if job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            raise ValidationError(_("Wait until the import has finished, then undo it."))
        subject = f"{job.entity}_id"
        created_ids = Event.objects.filter(import_job=job, action=Event.Action.IMPORT).values(
            subject
        )
        later_events = Event.objects.filter(
            **{subject: OuterRef("pk")}, at__gt=job.finished_at
        ).exclude(import_job=job)
        untouched = (
            model.objects.alive()
            .filter(pk__in=created_ids, updated_at__lte=job.finished_at)
            .exclude(Exists(later_events))
            .exclude(_has_activity(job.entity))
        )
        ids = list(untouched.values_list("pk", flat=True).iterator(chunk_size=5000))
        from leadpool.pools.sweeps import insert_rows

        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            model.objects.filter(pk__in=chunk).update(
                deleted_at=now, deleted_by=by, reclaim_at=None, updated_at=now
            )
            insert_rows(
                Event,
                [subject, "action", "actor_id", "reason", "rule", "details", "import_job_id", "at"],
                [
                    (pk, Event.Action.DELETE, by.pk, "", "", {"undo": True}, job.pk, now)
                    for pk in chunk
                ],
            )
        job.status = ImportJob.Status.UNDONE
        job.undone_at = now
        job.undone_count = len(ids)
        job.undo_kept = max(job.created - len(ids), 0)
        job.save(update_fields=["status", "undone_at", "undone_count", "undo_kept"])
        audit(
            AuditEntry.Action.IMPORT_UNDO,
            actor=by,
            target=f"{job.entity} import {job.pk}",
            details={"job": job.pk, "removed": job.undone_count, "kept": job.undo_kept},
        )
    return job


def _has_activity(entity: str):
    """Follow-ups or calls logged on the record: work someone did, which undo must keep."""
    from leadpool.activity.models import CallRecord, FollowUp

    record = OuterRef("pk")
    return Exists(FollowUp.objects.filter(**{entity: record})) | Exists(
        CallRecord.objects.filter(**{entity: record})
    )


def reports(job: ImportJob, outcomes=None) -> QuerySet:
    found = ImportRowReport.objects.filter(job=job)
    if outcomes:
        found = found.filter(outcome__in=outcomes)
    return found.order_by("row", "id")


# --- the error file ------------------------------------------------------------------------


def error_file(job: ImportJob, format: str = "csv") -> ExportFile:
    """The rows that did not go in (invalid or skipped as duplicates): the original row
    number, the reasons, then the row's cells under the file's own headers, so the user
    can fix them and import this file again. Cells are neutralised like any export."""
    if format not in FORMATS:
        raise ValidationError(
            {"format": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(FORMATS)}]}
        )
    labels = _field_labels(MODELS[job.entity])
    columns = [
        Column("row", _("Row"), None),
        Column("reason", _("Reason"), None),
        *(Column(f"column{index}", header, None) for index, header in enumerate(job.headers)),
    ]
    width = len(job.headers)
    not_imported = reports(job, [ImportRowReport.Outcome.FAILED, ImportRowReport.Outcome.SKIPPED])

    def rows() -> Iterator[list]:
        for report in not_imported.iterator(chunk_size=2000):
            cells = list(report.cells)
            cells += [""] * (width - len(cells))
            yield [report.row, _reason_text(report.reasons, labels), *cells]

    stem = f"{Path(job.file_name).stem or 'import'}-errors-{job.pk}"
    return ExportFile(
        entity=job.entity,
        format=format,
        columns=columns,
        count=not_imported.count(),
        rows=rows(),
        log=None,
        stem=stem,
    )


def _field_labels(model) -> dict[str, str]:
    labels = {name: str(model._meta.get_field(name).verbose_name) for name in IMPORT_FIELDS}
    labels["duplicate"] = _("duplicate")
    for key, custom in active_fields(model.entity).items():
        labels[CUSTOM_PREFIX + key] = custom.label
    return labels


def _reason_text(reasons: dict, labels: dict) -> str:
    return "; ".join(
        f"{labels.get(field, field)}: {message}"
        for field, messages in reasons.items()
        for message in messages
    )
