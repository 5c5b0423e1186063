"""Inserting many rows at once, for the rule sweeps' history events and notifications.

Django's `bulk_create` builds a model instance and a placeholder per value, about 24k
rows/s on PostgreSQL (PERFORMANCE.md): a sweep reclaiming 100,000 records would spend
most of its time there. On PostgreSQL the rows go in as one array per column through
`INSERT … SELECT … FROM unnest(…)`, a single statement per batch whose cost is the
server's; elsewhere `bulk_create` is fast enough (SQLite installs are small).
"""

import json

from django.db import connection, models


def insert_rows(model: type[models.Model], columns: list[str], rows: list[tuple]) -> None:
    """Insert `rows` (tuples of values for `columns`, named by attname) into `model`'s table.

    The values are what the model's fields take (dicts for JSON fields, aware datetimes,
    ids for foreign keys); no defaults are filled in, so name every NOT NULL column.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
        )
        return
    fields = [model._meta.get_field(column) for column in columns]
    # Scalars are parameters of the SELECT list, arrays of the FROM clause after it.
    arrays, selects, scalar_params, array_params = [], [], [], []
    for field, values in zip(fields, zip(*rows, strict=True), strict=True):
        if isinstance(field, models.JSONField):
            # Sent as text and cast: psycopg would otherwise need a Json wrapper per value.
            values = [json.dumps(value, cls=field.encoder) for value in values]
            db_type, cast = "text", "::jsonb"
        else:
            db_type, cast = field.db_type(connection), ""
        first = values[0]
        if all(value == first for value in values):
            # Most columns hold one value for the whole batch (the action, the pool, the
            # time): send it once rather than as an array of thousands of copies.
            prepared = first if cast else field.get_db_prep_value(first, connection)
            scalar_params.append(prepared)
            selects.append(f"%s::{db_type}{cast}")
        else:
            name = f"c{len(arrays)}"
            if not cast:
                values = [field.get_db_prep_value(value, connection) for value in values]
            array_params.append(list(values))
            arrays.append((name, f"%s::{db_type}[]"))
            selects.append(f"{name}{cast}")
    targets = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    if arrays:
        names = ", ".join(name for name, _array in arrays)
        source = f" FROM unnest({', '.join(array for _name, array in arrays)}) AS t({names})"
    else:  # every column the same: one row per copy
        source = f" FROM generate_series(1, {len(rows):d})"
    sql = f"INSERT INTO {table} ({targets}) SELECT {', '.join(selects)}{source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, scalar_params + array_params)
