"""Writing many new rows at once, for imports.

PERFORMANCE.md: PostgreSQL's COPY fed Python tuples loads ~390k rows/s, Django's
`bulk_create` ~24k. On PostgreSQL the rows go in by COPY, with their ids taken from the
table's sequence beforehand (COPY returns nothing, and the caller needs the ids for the
history and the distribution). On SQLite they go in by one `executemany` of a plain
INSERT: `bulk_create` there is capped at 999 parameters a statement (about 28 lead rows)
and prepares every value through the field, ~15k rows/s; the INSERT runs at ~50k.
"""

import json
from collections.abc import Iterable, Sequence

from django.db import DatabaseError, connection, models, transaction


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` ids: from the table's sequence on PostgreSQL; on SQLite the ids
    after the highest ever given (AUTOINCREMENT's `sqlite_sequence`), which only holds
    inside a transaction that writes (LeadPool's BEGIN IMMEDIATE takes the write lock
    first; a deferred one that lost the race fails with SQLITE_BUSY, never reuses an id).
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    quote = connection.ops.quote_name
    if not is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")  # noqa: S608
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
        start = max(highest, found[0] if found else 0) + 1
        return list(range(start, start + count))
    with connection.cursor() as cursor:
        # The sequence looked up once, not per row: pg_get_serial_sequence in the SELECT
        # list ran for each of the ids and took most of the statement's time.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        sequence = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY `rows` (tuples of values for `columns`, named by attname) into `model`'s table.

    Values are what the fields hold: JSON fields take dicts/lists (dumped here), foreign
    keys their ids. Columns left out get the database's default, so name every NOT NULL
    column that Django (not the database) gives a default.
    """
    # Consumed before the COPY opens: a lazy iterable that queries the database while
    # being read (a generator loading rules on first use) would issue that query in the
    # middle of the COPY, and the connection would hang instead of failing.
    rows = rows if isinstance(rows, list | tuple) else list(rows)
    fields = [model._meta.get_field(column) for column in columns]
    json_positions = [
        index for index, field in enumerate(fields) if isinstance(field, models.JSONField)
    ]
    quote = connection.ops.quote_name
    targets = ", ".join(quote(field.column) for field in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({targets}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            if json_positions:
                row = list(row)
                for index in json_positions:
                    row[index] = json.dumps(row[index], cls=fields[index].encoder)
            copy.write_row(row)


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]
) -> None:
    """Write `rows` (tuples of values for `columns`, named by attname, as in `copy_rows`):
    COPY on PostgreSQL, one `executemany` INSERT elsewhere. Name the primary key among
    the columns when the caller needs the ids (`next_ids`)."""
    if is_postgresql():
        copy_rows(model, columns, rows)
        return
    fields = [model._meta.get_field(column) for column in columns]
    preparers = [_preparer(field) for field in fields]
    quote = connection.ops.quote_name
    targets = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({targets}) VALUES ({marks})"  # noqa: S608
    prepared = (
        [prepare(value) for prepare, value in zip(preparers, row, strict=True)] for row in rows
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _preparer(field: models.Field):
    """The field's own database preparation, short-cut for the values of a batch: text
    as it is, and the last value remembered (a batch's pool, owner and times are the
    same object in every row)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    is_text = isinstance(field, models.CharField | models.TextField)
    last: list = [object(), None]

    def prepare(value):
        if value is None:
            return None
        if is_text and type(value) is str:
            return value
        if value is not last[0]:
            last[0], last[1] = value, field.get_db_prep_save(value, connection)
        return last[1]

    return prepare


def refresh_statistics(model: type[models.Model], columns: Sequence[str] = ()) -> bool:
    """ANALYZE the table (PostgreSQL), or only `columns` of it (much cheaper on a wide
    table; the row count is refreshed either way), for callers that have just grown it
    a lot. False when it cannot (a database role that does not own the table): the
    planner then waits for autovacuum, which is slower, not wrong."""
    if not is_postgresql():
        return False
    quote = connection.ops.quote_name
    targets = f" ({', '.join(quote(column) for column in columns)})" if columns else ""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}{targets}")
    except DatabaseError:
        return False
    return True


def planned_rows(model: type[models.Model]) -> float:
    """The row count the planner assumes (PostgreSQL's `reltuples`; -1: never analysed)."""
    if not is_postgresql():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        found = cursor.fetchone()
    return found[0] if found else -1


def commit_without_waiting_for_disk() -> None:
    """`synchronous_commit = off` for the current transaction only (PostgreSQL): its
    COMMIT returns before the WAL reaches the disk; a crash may lose the transaction
    whole, never part of it. For work that is redone when lost (import batches)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
