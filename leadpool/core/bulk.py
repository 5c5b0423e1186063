"""Writing many new rows at once, for imports.

PERFORMANCE.md: PostgreSQL's COPY fed Python tuples loads ~390k rows/s, Django's
`bulk_create` ~24k. On PostgreSQL the rows go in by COPY, with their ids taken from the
table's sequence beforehand (COPY returns nothing, and the caller needs the ids for the
history and the distribution). SQLite installs are small: `bulk_create` it is, which
fills the ids in through RETURNING.
"""

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` ids from the table's sequence (PostgreSQL)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY `rows` (tuples of values for `columns`, named by attname) into `model`'s table.

    Values are what the fields hold: JSON fields take dicts/lists (dumped here), foreign
    keys their ids. Columns left out get the database's default, so name every NOT NULL
    column that Django (not the database) gives a default.
    """
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
