"""PostgreSQL-only schema pieces, written as migration operations that SQLite skips."""

from collections.abc import Sequence

from django.db import migrations


def trigram_indexes(table: str, columns: list[str]) -> migrations.RunPython:
    """GIN trigram indexes (pg_trgm) for fuzzy and substring search on `columns`.

    pg_trgm is a trusted extension since PostgreSQL 13, so the database owner may
    create it without being a superuser.
    """

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in columns:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_{column}_trgm "
                f"ON {table} USING gin ({column} gin_trgm_ops)"
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in columns:
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{column}_trgm")

    return migrations.RunPython(forward, backward, elidable=False)


def postgresql_indexes(
    create: Sequence[str], *, drop: Sequence[str] = (), recreate: Sequence[str] = ()
) -> migrations.RunPython:
    """Indexes Django's schema cannot express (trigram indexes on an expression), as
    `CREATE INDEX IF NOT EXISTS …` statements run on PostgreSQL only.

    `create` holds the statements (after `CREATE INDEX IF NOT EXISTS`); `drop` names
    indexes the step replaces, and `recreate` the statements that bring them back when
    the migration is reversed. The index's name is the statement's first word.
    """

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name in drop:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        for statement in create:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {statement}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in create:
            schema_editor.execute(f"DROP INDEX IF EXISTS {statement.split()[0]}")
        for statement in recreate:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {statement}")

    return migrations.RunPython(forward, backward, elidable=False)


def search_indexes(table: str) -> migrations.RunPython:
    """The indexes behind a pooled table's list search (`q`) and duplicate check: trigram
    GIN on `UPPER(col::text)` — the very expression Django's `icontains` compares on
    PostgreSQL — for name, company, both phones and the e-mail, so every fragment search
    is index-backed.

    On the expression, not the column: pg_trgm answers `=` too, and the planner would
    take a trigram index for the equality lookups of imports and duplicate checks
    (`phone_normalized = ANY(…)`), where a digit string's trigrams are in every other
    row — seconds instead of the btree's milliseconds. So the plain-column trigram
    indexes of 0002 on name, phones and e-mail go; company_normalized keeps its own, for
    the fuzzy `%` match.

    (A trigram GiST index for nearest-first company matches was measured at 1M leads and
    left out: its lossy signatures made the `<->` walk slower than GIN's `%` and a sort,
    and the planner then chose it over GIN for `LIKE` too.)
    """
    upper = ["name", "company", "phone_normalized", "other_phone_normalized", "email_normalized"]
    replaced = ["name", "phone_normalized", "email_normalized"]
    return postgresql_indexes(
        [
            f"{table}_{column}_upper_trgm ON {table} "
            f"USING gin ((upper({column}::text)) gin_trgm_ops)"
            for column in upper
        ],
        drop=[f"{table}_{column}_trgm" for column in replaced],
        recreate=[
            f"{table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)"
            for column in replaced
        ],
    )
