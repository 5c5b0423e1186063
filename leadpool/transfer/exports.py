"""Exports (导出): the records a user may see, or their call records, as CSV or XLSX.

Rows stream in keyset chunks (`id < last` newest first, a few hundred at a time), so
memory stays flat however many rows there are; the cap (settings.LEADPOOL_EXPORT_CAP)
is checked with a bounded COUNT before the first byte is written. Contact details are
exactly what the reader sees on screen (access.contact_details), and every text cell
goes through sanitize.neutralize, the one formula guard.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from leadpool.activity.models import CallRecord
from leadpool.fields.models import CustomField
from leadpool.history.audit import audit
from leadpool.history.models import AuditEntry
from leadpool.pools import access
from leadpool.pools.models import PooledRecord
from leadpool.pools.rules import mask_phone
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
                cache["contact"] = access.contact_details(scope, record)
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


def _custom_value(key: str) -> Callable:
    return lambda record, scope, cache: (record.custom or {}).get(key)


def record_columns(model: type[PooledRecord]) -> dict[str, Column]:
    """Every column a record export may have, by the key `fields` names it with: the
    standard fields, then `custom.<key>` for each active custom field (its label as the
    header)."""
    columns = {key: Column(key, _label(model, key), _record_value(key)) for key in STANDARD_FIELDS}
    for custom in CustomField.objects.filter(entity=model.entity, is_active=True):
        key = f"custom.{custom.key}"
        columns[key] = Column(key, custom.label, _custom_value(custom.key))
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
        for index, row in enumerate(self.rows, start=1):
            writer.writerow([cell_text(value) for value in row])
            if index % CHUNK_SIZE == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    def write_xlsx(self, target) -> None:
        """Write the workbook to `target` (a path or a binary file) in openpyxl's
        write-only mode: rows go to disk as they come, never all in memory."""
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=self.entity[:31])

        def cell(value):
            if isinstance(value, int | float) and not isinstance(value, bool):
                return WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime.datetime):
                written = WriteOnlyCell(sheet, value=_local(value).replace(tzinfo=None))
                written.number_format = "yyyy-mm-dd hh:mm:ss"
                return written
            # Every other value, user text above all, is a text cell: typed as a string
            # and formatted as text, so no spreadsheet reads it as a formula even after
            # someone edits it.
            text = ILLEGAL_CHARACTERS_RE.sub("", cell_text(value))
            written = WriteOnlyCell(sheet, value=text)
            written.data_type = "s"
            written.number_format = "@"
            return written

        sheet.append([cell(column.label) for column in self.columns])
        for row in self.rows:
            sheet.append([cell(value) for value in row])
        workbook.save(target)

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
    # A bounded count: COUNT over LIMIT cap + 1, never a count of the whole table.
    count = queryset[: cap + 1].count()
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
) -> ExportFile:
    """Plan an export of the `model` records `by` may see, narrowed to `records` (a
    queryset of the list filters) and `ids` when given; ids out of scope are silently
    left out. Raises ValidationError for an unknown format or field, or past the cap;
    otherwise writes the audit entry and returns the file to write or stream."""
    _check_format(format)
    scope = access.scope_of(by)
    available = record_columns(model)
    default = [*DEFAULT_FIELDS, *(key for key in available if key.startswith("custom."))]
    columns = choose_columns(available, fields, default)
    selected = _selected(by, model, scope, records, ids)
    count = check_cap(selected, export_cap())
    queryset = selected.select_related("owner", "pool").prefetch_related("collaborators")
    log = _log(by, model.entity, format, count, filters, ids, columns, address)
    name = str(model._meta.verbose_name_plural)
    return ExportFile(
        entity=model.entity,
        format=format,
        columns=columns,
        count=count,
        rows=_rows(queryset, columns, scope, count, chunk_size),
        log=log,
        stem=_stem(name),
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
