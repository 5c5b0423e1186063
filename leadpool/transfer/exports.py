"""Exports (导出): the records a user may see, or their call records, as CSV or XLSX.

Rows stream in keyset chunks (`id < last` newest first, a few hundred at a time), so
memory stays flat however many rows there are; the cap (settings.LEADPOOL_EXPORT_CAP)
is checked with a bounded COUNT before the first byte is written. Contact details are
exactly what the reader sees on screen (access.contact_details, or for records read as
tuples its filter twin access.contacts_visible_condition), and every text cell goes
through sanitize.neutralize, the one formula guard.

Records are read as tuples (values_list) with a function per column planned once
(`_record_rows`); call records, fewer, as model instances (`_rows`). On PostgreSQL a
record CSV is one COPY (export_sql.py) writing the same bytes; XLSX goes through the
streamed writer in xlsx_writer.py.
"""

import csv
import datetime
import io
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from leadpool.activity.models import CallRecord
from leadpool.fields.models import CustomField
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry
from leadpool.pools import access
from leadpool.pools.models import Pool, PooledRecord
from leadpool.pools.rules import mask_contact, mask_phone
from leadpool.transfer import export_sql, xlsx_writer
from leadpool.transfer.sanitize import neutralize

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 500
# Excel reads a CSV as UTF-8 only when it starts with this mark; without it Chinese
# turns to mojibake on Chinese Windows.
BOM = "\ufeff"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

STANDARD_FIELDS = (
    "id",
    "name",
    "company",
    "phone",
    "other_phone",
    "email",
    "source",
    "region",
    "industry",
    "status",
    "owner",
    "pool",
    "collaborators",
    "notes",
    "created_at",
    "claimed_at",
    "assigned_at",
    "last_followup_at",
    "next_followup_at",
    "reclaim_at",
    "updated_at",
)
# Without `fields`, an export has these and every active custom field.
DEFAULT_FIELDS = (
    "id",
    "name",
    "company",
    "phone",
    "other_phone",
    "email",
    "source",
    "region",
    "industry",
    "status",
    "owner",
    "pool",
    "notes",
    "created_at",
    "last_followup_at",
    "next_followup_at",
)
CONTACT_FIELDS = ("phone", "other_phone", "email")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # (row object, the reader's scope, a per-row cache) → a cell value
    value: Callable[[Any, access.Scope, dict], Any]


def export_cap() -> int:
    return settings.LEADPOOL_EXPORT_CAP


# --- columns ---------------------------------------------------------------------------


def _label(model, key: str) -> str:
    if key == "id":
        return "ID"
    return capfirst(str(model._meta.get_field(key).verbose_name))


def _person(user) -> str:
    return (user.display_name or user.username) if user is not None else ""


def _record_value(key: str) -> Callable:
    if key in CONTACT_FIELDS:

        def contact(record, scope, cache):
            if "contact" not in cache:
                cache["contact"] = access.contacts_as_seen(
                    record, _visibility(record, scope, cache)
                )
            return cache["contact"][key]

        return contact
    if key == "status":
        return lambda record, scope, cache: record.get_status_display()
    if key == "owner":
        return lambda record, scope, cache: _person(record.owner)
    if key == "pool":
        return lambda record, scope, cache: record.pool.name if record.pool else ""
    if key == "collaborators":
        return lambda record, scope, cache: ", ".join(
            sorted(_person(user) for user in record.collaborators.all())
        )
    return lambda record, scope, cache: getattr(record, key)


def _visibility(record, scope, cache: dict) -> access.ContactVisibility:
    """contact_visibility once a row (`cache` is the row's), for all its contact columns."""
    if "visibility" not in cache:
        cache["visibility"] = access.contact_visibility(scope, record)
    return cache["visibility"]


def _custom_value(custom: CustomField) -> Callable:
    key = custom.key
    if custom.type not in access.CONTACT_FIELD_TYPES:
        return lambda record, scope, cache: (record.custom or {}).get(key)
    contact_fields = {key: custom.type}

    def contact(record, scope, cache):  # masked or hidden as on screen
        visibility = _visibility(record, scope, cache)
        return access.custom_as_seen(record, visibility, lambda: contact_fields).get(key)

    return contact


def record_columns(model: type[PooledRecord]) -> dict[str, Column]:
    """Every column a record export may have, by the key `fields` names it with: the
    standard fields, then `custom.<key>` for each active custom field (its label as the
    header)."""
    columns = {key: Column(key, _label(model, key), _record_value(key)) for key in STANDARD_FIELDS}
    for custom in CustomField.objects.filter(entity=model.entity, is_active=True):
        key = f"custom.{custom.key}"
        columns[key] = Column(key, custom.label, _custom_value(custom))
    return columns


def choose_columns(available: dict[str, Column], fields: list[str] | None, default) -> list:
    """The columns named by `fields`, in that order (repeats dropped); `default` when
    none are named. Unknown names are a ValidationError on `fields`."""
    if not fields:
        return [available[key] for key in default if key in available]
    keys = list(dict.fromkeys(name.strip() for name in fields if name.strip()))
    unknown = [key for key in keys if key not in available]
    if unknown:
        raise ValidationError(
            {
                "fields": [
                    _("Unknown fields: %(unknown)s. Choose from: %(choices)s.")
                    % {"unknown": ", ".join(unknown), "choices": ", ".join(available)}
                ]
            }
        )
    return [available[key] for key in keys]


def _call_columns(model: type[PooledRecord]) -> dict[str, Column]:
    subject = model.entity

    def number(call, scope, cache):
        record = getattr(call, subject)
        visibility = access.contact_visibility(scope, record)
        if visibility == "visible":
            return call.number
        if visibility == "hidden" or not call.number:
            return ""
        return mask_phone(call.number)

    def label(key: str) -> str:
        return _label(CallRecord, key)

    entity_label = capfirst(str(model._meta.verbose_name))
    columns = [
        Column(f"{subject}_id", f"{entity_label} ID", lambda c, s, _c: getattr(c, f"{subject}_id")),
        Column(subject, entity_label, lambda c, s, _c: getattr(c, subject).display_name),
        Column("number", label("number"), number),
        Column("direction", label("direction"), lambda c, s, _c: c.get_direction_display()),
        Column("started_at", label("started_at"), lambda c, s, _c: c.started_at),
        Column("duration_seconds", label("duration_seconds"), lambda c, s, _c: c.duration_seconds),
        Column("outcome", label("outcome"), lambda c, s, _c: c.get_outcome_display()),
        Column("author", label("author"), lambda c, s, _c: _person(c.author)),
        Column("notes", label("notes"), lambda c, s, _c: c.notes),
        Column("recording_url", label("recording_url"), lambda c, s, _c: c.recording_url),
    ]
    return {column.key: column for column in columns}


# --- cells -----------------------------------------------------------------------------


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def cell_text(value) -> str:
    """A value as the (neutralised) text of a CSV cell."""
    if value.__class__ is str:  # the usual cell, first
        return neutralize(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return neutralize(str(value))
    if isinstance(value, datetime.datetime):
        return _local(value).strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        # Comma-separated, as the import reads multiple choices back.
        return neutralize(", ".join(str(item) for item in value))
    return neutralize(str(value))


# --- the export ------------------------------------------------------------------------


@dataclass
class ExportFile:
    """A planned export: the columns, the rows (lazy, read once) and the audit row."""

    entity: str
    format: str
    columns: list[Column]
    count: int
    rows: Iterator[list] = field(repr=False)
    # The audit row; None for files that are not exports of records (an import's errors).
    log: AuditEntry | None
    stem: str
    # PostgreSQL's COPY of the same CSV lines (export_sql.py), when it can write them.
    copy: "export_sql.CopyPlan | None" = field(default=None, repr=False)
    chunk_size: int = CHUNK_SIZE

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def filename(self) -> str:
        return f"{self.stem}.{self.format}"

    def content_disposition(self) -> str:
        """`attachment` with an ASCII name for old clients and the UTF-8 one (RFC 6266)."""
        ascii_name = "".join(
            ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in self.filename
        )
        return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(self.filename)}"

    def csv_chunks(self) -> Iterator[bytes]:
        """The CSV as UTF-8 byte chunks, BOM first, one chunk per few hundred rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write(BOM)
        writer.writerow([neutralize(column.label) for column in self.columns])
        if self.copy is not None and self.copy.exact():
            header = buffer.getvalue().encode("utf-8")
            for chunk in self.copy.chunks(self.chunk_size):
                yield header + chunk
                header = b""
            if header:
                yield header
            return
        for index, row in enumerate(self.rows, start=1):
            writer.writerow([cell_text(value) for value in row])
            if index % self.chunk_size == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    def write_xlsx(self, target) -> None:
        """Write the workbook to `target` (a path or a binary file), streamed: rows go
        into the zip as they come, never all in memory (xlsx_writer.py). User text is
        always a text cell, numbers only our own numeric values, date-times local."""
        zone = timezone.get_current_timezone()  # once, not per cell
        xlsx_writer.write(
            target,
            sheet_name=self.entity[:31],
            header=[column.label for column in self.columns],
            rows=self.rows,
            text=cell_text,
            local=lambda moment: moment.astimezone(zone) if timezone.is_aware(moment) else moment,
        )

    def write(self, target) -> None:
        """Write the whole file to `target`, a binary file."""
        if self.format == "xlsx":
            self.write_xlsx(target)
        else:
            for chunk in self.csv_chunks():
                target.write(chunk)


def _keyset(queryset: QuerySet, chunk_size: int, limit: int) -> Iterator:
    """Rows of `queryset` newest id first, `chunk_size` per query, at most `limit`."""
    last = None
    sent = 0
    while sent < limit:
        page = queryset.order_by("-pk")
        if last is not None:
            page = page.filter(pk__lt=last)
        batch = list(page[: min(chunk_size, limit - sent)])
        if not batch:
            return
        yield from batch
        sent += len(batch)
        last = batch[-1].pk
        if len(batch) < chunk_size:
            return


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ValidationError({"format": [_("Choose csv or xlsx.")]})


def check_cap(queryset: QuerySet, cap: int) -> int:
    """How many rows (at most cap) the export will have; ValidationError past the cap."""
    # A bounded count: COUNT over LIMIT cap + 1, never a count of the whole table; and
    # unordered, or the database sorts every row only to count them.
    count = queryset.order_by()[: cap + 1].count()
    if count > cap:
        raise ValidationError(
            _(
                "This export has more than %(cap)d rows; at most %(cap)d may be exported at "
                "once. Narrow the filters or choose fewer records."
            )
            % {"cap": cap},
            code="export_cap",
        )
    return count


def _stem(name: str) -> str:
    return f"{name}-{timezone.localtime():%Y%m%d-%H%M%S}"


def _selected(by, model, scope, records: QuerySet | None, ids: list[int] | None) -> QuerySet:
    # Whatever the caller narrowed, only the reader's live, visible records remain.
    selected = access.visible_records(by, model, scope=scope)
    if records is not None:
        selected = selected & records
    if ids is not None:
        selected = selected.filter(pk__in=ids)
    return selected


def _record_rows(queryset, model, keys: list[str], scope, count: int, chunk_size: int):
    """The cells of the records, read as tuples (values_list) in keyset chunks, each
    column a function of the tuple planned once: what the Column functions give from
    model instances (record_columns), without building the instances. Contact details
    follow access.contacts_visible_condition, contact_visibility as a filter."""
    paths: list[str] = ["pk"]

    def slot(path: str) -> int:
        if path not in paths:
            paths.append(path)
        return paths.index(path)

    # Custom phones and e-mails are contact details too (access.custom_as_seen).
    custom_contacts = {}
    if not scope.is_admin and any(key.startswith("custom.") for key in keys):
        custom_contacts = {
            f"custom.{name}": kind
            for name, kind in access.contact_custom_fields(model.entity).items()
        }
    annotations = {}
    if not scope.is_admin and any(key in CONTACT_FIELDS or key in custom_contacts for key in keys):
        annotations["lp_visible"] = ExpressionWrapper(
            access.contacts_visible_condition(scope, model), output_field=BooleanField()
        )
    status_labels = {
        value: str(label) for value, label in model._meta.get_field("status").flatchoices
    }
    getters: list[Callable] = []
    for key in keys:
        if key in CONTACT_FIELDS:
            getters.append(_contact_getter(key, slot, scope))
        elif key == "id":
            getters.append(operator.itemgetter(0))
        elif key == "status":
            at = slot("status")
            getters.append(lambda row, at=at: status_labels.get(row[at], row[at]))
        elif key == "owner":
            owner = slot("owner_id"), slot("owner__display_name"), slot("owner__username")
            getters.append(
                lambda row, at=owner: "" if row[at[0]] is None else row[at[1]] or row[at[2]]
            )
        elif key == "pool":
            at = slot("pool__name")
            getters.append(lambda row, at=at: row[at] or "")
        elif key == "collaborators":
            getters.append(lambda row: collaborators.get(row[0], ""))
        elif key.startswith("custom."):
            at, name = slot("custom"), key.removeprefix("custom.")
            value = lambda row, at=at, name=name: (row[at] or {}).get(name)  # noqa: E731
            if key in custom_contacts:
                value = _masked(value, custom_contacts[key], slot)
            getters.append(value)
        else:
            getters.append(operator.itemgetter(slot(key)))
    queryset = queryset.annotate(**annotations).order_by("-pk")
    collaborators: dict[int, str] = {}
    last = None
    sent = 0
    while sent < count:
        page = queryset if last is None else queryset.filter(pk__lt=last)
        batch = list(page.values_list(*paths)[: min(chunk_size, count - sent)])
        if not batch:
            return
        if "collaborators" in keys:
            collaborators = _collaborator_names(model, [row[0] for row in batch])
        for row in batch:
            yield [getter(row) for getter in getters]
        sent += len(batch)
        last = batch[-1][0]
        if len(batch) < chunk_size:
            return


def _contact_getter(key: str, slot, scope) -> Callable:
    value = operator.itemgetter(slot(key))
    if scope.is_admin:
        return value
    return _masked(value, "email" if key == "email" else "phone", slot)


def _masked(value: Callable, kind: str, slot) -> Callable:
    """`value(row)`, a phone or e-mail, as access.contact_details shows it to the reader:
    as it is where `lp_visible` (access.contacts_visible_condition), else masked, or
    blank in a pool that hides contacts."""
    visible, pool = slot("lp_visible"), slot("pool__contact_visibility")

    def contact(row):
        shown = value(row)
        if row[visible] or shown in (None, ""):
            return shown
        if row[pool] == Pool.ContactVisibility.HIDDEN:
            return ""
        return mask_contact(kind, str(shown))

    return contact


def _collaborator_names(model, ids: list[int]) -> dict[int, str]:
    """', '.join(sorted(names)) of each record's collaborators, for a chunk of ids."""
    through = model.collaborators.through
    subject = f"{model._meta.model_name}_id"
    names: dict[int, list[str]] = {}
    pairs = through.objects.filter(**{f"{subject}__in": ids}).values_list(
        subject, "user__display_name", "user__username"
    )
    for record_id, display, username in pairs:
        names.setdefault(record_id, []).append(display or username)
    return {record_id: ", ".join(sorted(people)) for record_id, people in names.items()}


def _rows(queryset, columns: list[Column], scope, count: int, chunk_size: int):
    for item in _keyset(queryset, chunk_size, count):
        cache: dict = {}
        yield [column.value(item, scope, cache) for column in columns]


def export_records(
    *,
    by,
    model: type[PooledRecord],
    records: QuerySet | None = None,
    ids: list[int] | None = None,
    fields: list[str] | None = None,
    format: str = "csv",
    filters: dict | None = None,
    address: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    use_copy: bool = True,
) -> ExportFile:
    """Plan an export of the `model` records `by` may see, narrowed to `records` (a
    queryset of the list filters) and `ids` when given; ids out of scope are silently
    left out. Raises ValidationError for an unknown format or field, or past the cap;
    otherwise writes the audit entry and returns the file to write or stream.

    On PostgreSQL a CSV is written by the database (export_sql.py, the same bytes);
    `use_copy=False` keeps to the Python path, the reference, as SQLite and XLSX do."""
    _check_format(format)
    scope = access.scope_of(by)
    available = record_columns(model)
    default = [*DEFAULT_FIELDS, *(key for key in available if key.startswith("custom."))]
    columns = choose_columns(available, fields, default)
    selected = _selected(by, model, scope, records, ids)
    count = check_cap(selected, export_cap())
    keys = [column.key for column in columns]
    copy = None
    if format == "csv" and use_copy:
        copy = export_sql.plan_records(selected, model, keys, scope, count)
    log = _log(by, model.entity, format, count, filters, ids, columns, address)
    name = str(model._meta.verbose_name_plural)
    return ExportFile(
        entity=model.entity,
        format=format,
        columns=columns,
        count=count,
        rows=_record_rows(selected, model, keys, scope, count, chunk_size),
        log=log,
        stem=_stem(name),
        copy=copy,
        chunk_size=chunk_size,
    )


def export_calls(
    *,
    by,
    model: type[PooledRecord],
    records: QuerySet | None = None,
    ids: list[int] | None = None,
    format: str = "csv",
    filters: dict | None = None,
    address: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ExportFile:
    """Plan an export of the call records (通话记录) of the `model` records `by` may
    see among `ids` (and `records`); the number follows the record's contact
    visibility for `by`, masked or hidden as on screen."""
    _check_format(format)
    scope = access.scope_of(by)
    subject = model.entity
    columns = list(_call_columns(model).values())
    selected = _selected(by, model, scope, records, ids)
    calls = CallRecord.objects.filter(**{f"{subject}__in": selected.values("pk")})
    count = check_cap(calls, export_cap())
    queryset = calls.select_related(
        subject, f"{subject}__pool", f"{subject}__owner", "author"
    ).prefetch_related(f"{subject}__collaborators")
    log = _log(by, f"{subject}_call", format, count, filters, ids, columns, address)
    name = f"{model._meta.verbose_name_plural}-{CallRecord._meta.verbose_name_plural}"
    return ExportFile(
        entity=f"{subject}_call",
        format=format,
        columns=columns,
        count=count,
        rows=_rows(queryset, columns, scope, count, chunk_size),
        log=log,
        stem=_stem(name),
    )


def _log(by, entity, format, count, filters, ids, columns, address) -> AuditEntry:
    """The export in the audit log, before the first byte is sent: an export cut short is
    still on file."""
    return audit(
        AuditEntry.Action.EXPORT,
        actor=by,
        target=f"{entity} export",
        details={
            "entity": entity,
            "format": format,
            "count": count,
            "filters": filters or {},
            "ids": ids,
            "fields": [column.key for column in columns],
        },
        address=address,
    )
