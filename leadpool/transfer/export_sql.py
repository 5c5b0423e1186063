"""The CSV export of records on PostgreSQL as one `COPY (SELECT …) TO STDOUT`.

The database writes every line: the same cells as the Python path in exports.py (which
stays the reference and the path for SQLite, XLSX and call records), byte for byte —
local times, names, status labels, custom fields as Python renders their JSON values,
contact details masked or hidden from the same condition access.py decides them by,
every text through `sanitize.sql_neutralize`. One statement: a consistent snapshot,
newest id first, at most the counted rows (the cap was checked on the same queryset).

COPY's CSV format quotes exactly as Python's csv module does (a cell holding `,`, `"`,
CR or LF; quotes doubled); empty cells go out as NULL so they are written bare, as
Python writes them. The server sends one row a message, LF last: the stream makes that
LF the CRLF Python ends rows with, leaving newlines inside quoted cells alone. A file of
one column is the exception (Python writes an empty row as `""`, COPY quotes a lone
`\\.`): its lines are built here and sent in COPY's text format, whose escapes
(`\\n`, `\\t`, `\\\\`) the stream undoes.

`plan_records` returns None for what this path does not reproduce (custom values that
are JSON objects or nested lists, a Yes/No translation that would need an apostrophe,
custom phone or e-mail fields a reader who is not a system admin may see masked); the
caller then takes the Python path.
"""

# ruff: noqa: S608 - the SQL is built from our own expressions; every value is a
# quoted literal (sql_literal), every name quote_name, the filters mogrify's binding.

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leadpool.pools import access
from leadpool.pools.models import Pool
from leadpool.transfer.sanitize import (
    LEADING_SEPARATORS,
    blank_characters,
    characters,
    neutralize,
    regex_class,
    space_characters,
    sql_neutralize,
    trigger_characters,
)
from leadpool.transfer.sanitize import sql_literal as literal

# What COPY's text format escapes, and what each escape stands for.
_ESCAPE = re.compile(rb"\\[\\bfnrtv]")
_UNESCAPED = {
    b"\\\\": b"\\",
    b"\\b": b"\b",
    b"\\f": b"\f",
    b"\\n": b"\n",
    b"\\r": b"\r",
    b"\\t": b"\t",
    b"\\v": b"\v",
}
# Python's csv module (QUOTE_MINIMAL) quotes a cell holding any of these.
_NEEDS_QUOTES = literal('[,"\r\n]')
# exports._person: the display name, or the username.
PERSON = "coalesce(nullif(lp_u.display_name, ''), lp_u.username)"
TIMESTAMP_FORMAT = "YYYY-MM-DD HH24:MI:SS"  # exports.DATETIME_FORMAT in to_char's words
DATETIME_FIELDS = frozenset(
    {
        "created_at",
        "claimed_at",
        "assigned_at",
        "last_followup_at",
        "next_followup_at",
        "reclaim_at",
        "updated_at",
    }
)
TEXT_FIELDS = frozenset(
    {"name", "company", "source", "region", "industry", "notes", "phone", "other_phone", "email"}
)


@functools.cache
def _suspect_codes() -> str:
    """The code points a cell starting with one may be formula-like (sql_neutralize)."""
    starts = LEADING_SEPARATORS + blank_characters() + trigger_characters() + "dD"
    return ", ".join(str(code) for code in sorted({ord(char) for char in starts}))


def _suspect_row(cells: list[str]) -> str:
    """Whether any of the row's `cells` is one sql_neutralize's fast case cannot pass: it
    starts with a blank, a trigger or `d`, or holds a `|`. A hashed look-up a cell."""
    starts = " OR ".join(f"ascii({cell}) IN ({_suspect_codes()})" for cell in cells)
    return f"({starts} OR strpos(concat({', '.join(cells)}), '|') > 0)"


@functools.cache
def _decimal_class() -> str:
    """Python's `\\d` in str patterns (what mask_phone keeps), as a bracket's inside."""
    return regex_class(characters(r"\d"))


@dataclass
class CopyPlan:
    """The COPY statement, and the query that must find nothing for it to be exact."""

    sql: str
    check: str | None
    # Text format (one column, COPY's escapes to undo) rather than CSV.
    escaped: bool = False

    def exact(self) -> bool:
        if self.check is None:
            return True
        with connection.cursor() as cursor:
            cursor.execute(self.check)
            return cursor.fetchone() is None

    def chunks(self, rows_per_chunk: int) -> Iterator[bytes]:
        """The CSV lines, CRLF-terminated, `rows_per_chunk` rows to a chunk. The server
        sends a row a message, its LF last; newlines inside quoted cells stay LF, as
        Python's csv module writes them."""
        with connection.cursor() as cursor:
            # JIT compiling this one statement costs more than it saves (measured: about
            # a third of the statement's time at 200,000 rows); the session's setting is
            # put back after.
            cursor.execute("SELECT current_setting('jit')")
            (previous,) = cursor.fetchone()
            cursor.execute("SELECT set_config('jit', 'off', false)")
            try:
                yield from self._copy(cursor, rows_per_chunk)
            finally:
                cursor.execute("SELECT set_config('jit', %s, false)", [previous])

    def _copy(self, cursor, rows_per_chunk: int) -> Iterator[bytes]:
        with cursor.copy(self.sql) as copy:
            rows: list = []
            for row in copy:
                rows.append(row)
                if len(rows) >= rows_per_chunk:
                    yield self._lines(rows)
                    rows.clear()
            if rows:
                yield self._lines(rows)

    def _lines(self, rows: list) -> bytes:
        """The rows (each its message, LF last) as CRLF-terminated lines."""
        data = b"".join(rows)
        if data.count(b"\n") == len(rows):
            # Every LF ends a row (no cell of these holds one): all become CRLF at once.
            data = data.replace(b"\n", b"\r\n")
        else:
            for row in rows:
                if row[-1:] != b"\n":  # pragma: no cover - a protocol guarantee
                    raise RuntimeError("COPY sent part of a row.")
            data = b"\r\n".join(row[:-1] for row in rows) + b"\r\n"
        if self.escaped and b"\\" in data:
            data = _ESCAPE.sub(lambda match: _UNESCAPED[match[0]], data)
        return data


# --- cells ---------------------------------------------------------------------------------


def _mask_phone(value: str) -> str:
    """rules.mask_phone in SQL, `value` a non-empty text."""
    digits = f"regexp_replace({value}, {literal('[^' + _decimal_class() + ']')}, '', 'g')"
    national = (
        "CASE WHEN d LIKE '0086%' THEN substr(d, 5) "
        "WHEN d LIKE '86%' AND length(d) = 13 THEN substr(d, 3) ELSE d END"
    )
    hidden = "greatest(4, length(n) - 7)"
    tail = f"least(4, length(n) - {hidden})"
    masked = (
        f"CASE WHEN length(n) <= 4 THEN repeat('*', length(n)) "
        f"ELSE left(n, length(n) - {hidden} - {tail}) || repeat('*', {hidden}) "
        f"|| right(n, {tail}) END"
    )
    return (
        f"(SELECT {masked} FROM (SELECT {national} AS n "
        f"FROM (SELECT {digits} AS d) AS lp_d) AS lp_n)"
    )


def _mask_email(value: str) -> str:
    """rules.mask_email in SQL."""
    stripped = f"btrim({value}, {literal(space_characters())})"
    return (
        "(SELECT CASE WHEN strpos(s, '@') = 0 THEN '***' "
        "ELSE left(split_part(s, '@', 1), 1) || '***@' || substr(s, strpos(s, '@') + 1) END "
        f"FROM (SELECT {stripped} AS s) AS lp_s)"
    )


def _number(text: str) -> str:
    """str() of the Python number json.loads makes of a jsonb number's text: an int when
    there is no point; else the float, whose shortest digits PostgreSQL's float8 output
    shares with Python's repr, the format told apart at 1e15 ≤ |x| < 1e16 (PostgreSQL
    already writes an exponent) and for whole numbers (Python adds `.0`)."""
    plain = "(s::numeric)::text"
    return (
        f"CASE WHEN strpos({text}, '.') = 0 THEN {text} ELSE "
        f"(SELECT CASE WHEN s LIKE '%e+15' "
        f"THEN {plain} || CASE WHEN strpos({plain}, '.') = 0 THEN '.0' ELSE '' END "
        "WHEN strpos(s, 'e') > 0 OR strpos(s, '.') > 0 THEN s ELSE s || '.0' END "
        f"FROM (SELECT ({text}::float8)::text AS s) AS lp_f) END"
    )


def _custom(value: str) -> str:
    """exports.cell_text of a custom field's JSON value (`value`, a jsonb or NULL)."""
    element_number = _number("(e #>> '{}')")
    value_number = _number("(" + value + " #>> '{}')")
    element = (
        "CASE jsonb_typeof(e) WHEN 'string' THEN e #>> '{}' "
        f"WHEN 'number' THEN {element_number} "
        "WHEN 'boolean' THEN CASE WHEN e = 'true' THEN 'True' ELSE 'False' END "
        "ELSE 'None' END"
    )
    return (
        f"CASE jsonb_typeof({value}) WHEN 'string' THEN {value} #>> '{{}}' "
        f"WHEN 'number' THEN {value_number} "
        f"WHEN 'boolean' THEN CASE WHEN {value} = 'true' THEN {literal(_('Yes'))} "
        f"ELSE {literal(_('No'))} END "
        f"WHEN 'array' THEN coalesce((SELECT string_agg({element}, ', ' ORDER BY i) "
        f"FROM jsonb_array_elements({value}) WITH ORDINALITY AS lp_a(e, i)), '') "
        "ELSE '' END"
    )


def _custom_check(value: str) -> str:
    """Rows whose value this path does not render as Python does."""
    return (
        f"jsonb_typeof({value}) = 'object' OR (jsonb_typeof({value}) = 'array' AND EXISTS "
        f"(SELECT 1 FROM jsonb_array_elements({value}) AS lp_a(e) "
        "WHERE jsonb_typeof(e) IN ('object', 'array')))"
    )


def _quoted(value: str) -> str:
    return (
        f"CASE WHEN {value} ~ {_NEEDS_QUOTES} "
        f"THEN '\"' || replace({value}, '\"', '\"\"') || '\"' ELSE {value} END"
    )


# --- the statement ---------------------------------------------------------------------------


def plan_records(
    queryset: QuerySet, model, keys: list[str], scope: access.Scope, count: int
) -> CopyPlan | None:
    """The COPY of `queryset`'s newest `count` records with the columns `keys` (as
    exports.record_columns names them); None when this path cannot be exact."""
    if connection.vendor != "postgresql" or not keys or count == 0:
        return None  # (no rows: the header is the file, Python writes it)
    has_custom = any(key.startswith("custom.") for key in keys)
    if has_custom and any(neutralize(word) != word for word in (_("Yes"), _("No"))):
        return None
    if has_custom and not scope.is_admin:
        contact_keys = {f"custom.{key}" for key in access.contact_custom_fields(model.entity)}
        if contact_keys.intersection(keys):
            return None  # custom phones and e-mails to mask: the Python path masks them
    quote = connection.ops.quote_name
    annotations: dict = {}

    def column(path: str) -> str:
        alias = f"lp_{len(annotations)}"
        annotations[alias] = F(path)
        return f"lp_r.{alias}"

    def text_column(key: str) -> str:
        reference = column(key)
        return f"coalesce({reference}, '')" if model._meta.get_field(key).null else reference

    if not scope.is_admin:
        annotations["lp_visible"] = ExpressionWrapper(
            access.contacts_visible_condition(scope, model), output_field=BooleanField()
        )
    record_id = column("pk")
    zone = literal(timezone.get_current_timezone_name())
    status_choices = model._meta.get_field("status").flatchoices
    cells: list[tuple[str, bool]] = []  # (raw text, whether it is neutralised)
    checks: list[str] = []
    custom = None
    pool_contacts = None
    for key in keys:
        if key == "id":
            # neutralize(str(id)) is the id: digits, never a formula.
            cells.append((f"{record_id}::text", False))
        elif key in ("phone", "other_phone", "email") and scope.is_admin:
            cells.append((text_column(key), True))  # admins see them all
        elif key in ("phone", "other_phone", "email"):
            if pool_contacts is None:
                pool_contacts = column("pool__contact_visibility")
            raw = text_column(key)
            mask = _mask_email(raw) if key == "email" else _mask_phone(raw)
            cells.append(
                (
                    f"CASE WHEN lp_r.lp_visible THEN {raw} "
                    f"WHEN {pool_contacts} = {literal(Pool.ContactVisibility.HIDDEN)} "
                    f"OR {raw} = '' THEN '' ELSE {mask} END",
                    True,
                )
            )
        elif key in TEXT_FIELDS:
            cells.append((text_column(key), True))
        elif key == "status":
            # The labels neutralised here, once; a value without one as it is stored.
            status = column("status")
            labels = " ".join(
                f"WHEN {literal(str(value))} THEN {literal(neutralize(str(label)))}"
                for value, label in status_choices
            )
            unknown = sql_neutralize(status)
            cells.append((f"CASE {status} {labels} ELSE {unknown} END", False))
        elif key == "owner":
            # Looked up in a map of every user, built once: cheaper than a join per row.
            # The names are neutralised in the map, once each.
            users = quote(model._meta.get_field("owner").related_model._meta.db_table)
            names = (
                f"(SELECT jsonb_object_agg(id::text, {sql_neutralize('person')}) "
                f"FROM (SELECT id, {PERSON} AS person FROM {users} AS lp_u) AS lp_p)"
            )
            cells.append((f"coalesce({names} ->> {column('owner_id')}::text, '')", False))
        elif key == "pool":
            pools = quote(Pool._meta.db_table)
            names = f"(SELECT jsonb_object_agg(id::text, {sql_neutralize('name')}) FROM {pools})"
            cells.append((f"coalesce({names} ->> {column('pool_id')}::text, '')", False))
        elif key == "collaborators":
            cells.append((_collaborators(model, record_id, quote), True))
        elif key in DATETIME_FIELDS:
            cells.append(
                (
                    f"coalesce(to_char({column(key)} AT TIME ZONE {zone}, "
                    f"{literal(TIMESTAMP_FORMAT)}), '')",
                    False,
                )
            )
        elif key.startswith("custom."):
            if custom is None:
                custom = column("custom")
                checks.append(f"jsonb_typeof({custom}) <> 'object'")
            value = f"({custom} -> {literal(key.removeprefix('custom.'))})"
            # Yes and No pass unneutralised, as in Python (checked above: they need none).
            cells.append((_custom(value), True))
            checks.append(_custom_check(value))
        else:
            return None
    inner = queryset.annotate(**annotations).order_by("-pk").values(*annotations)[:count]
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (`pk__in=[]`)
        return None
    with psycopg.ClientCursor(connection.connection) as cursor:
        inner_sql = cursor.mogrify(sql, params)
    # Each cell straight from the scan: its raw expression (a column, mostly) repeated
    # in the rule's few tests is cheaper than one more subquery a row.
    safe = [sql_neutralize(text) if neutral else text for text, neutral in cells]
    source = f"({inner_sql}) AS lp_r"
    if len(cells) == 1:
        # Python's csv writes a row of one empty cell as `""`, and PostgreSQL's a lone
        # `\.`: one column is written as a text line, quoted here.
        select = (
            f"SELECT CASE WHEN n = '' THEN '\"\"' ELSE {_quoted('n')} END "
            f"FROM (SELECT {safe[0]} AS n FROM {source}) AS lp_n"
        )
        options = ""
        escaped = True
    else:
        # Empty cells as NULL: written bare, as Python writes them, not as `""`.
        cells_sql = ", ".join(f"nullif({cell}, '')" for cell in safe)
        select = f"SELECT {cells_sql} FROM {source}"
        options = " (FORMAT csv)"
        escaped = False
    check = None
    if checks:
        check = f"SELECT 1 FROM ({inner_sql}) AS lp_r WHERE {' OR '.join(checks)} LIMIT 1"
    return CopyPlan(sql=f"COPY ({select}) TO STDOUT{options}", check=check, escaped=escaped)


def _collaborators(model, record_id: str, quote) -> str:
    """', '.join(sorted(names)): sorted by code point, as "C" collation sorts UTF-8."""
    through = model.collaborators.through
    user_model = model.collaborators.field.related_model
    record_column = through._meta.get_field(model._meta.model_name).column
    user_column = through._meta.get_field("user").column
    person = PERSON
    return (
        f"coalesce((SELECT string_agg({person}, ', ' ORDER BY {person} COLLATE \"C\") "
        f"FROM {quote(through._meta.db_table)} AS lp_t "
        f"JOIN {quote(user_model._meta.db_table)} AS lp_u ON lp_u.id = lp_t.{quote(user_column)} "
        f"WHERE lp_t.{quote(record_column)} = {record_id}), '')"
    )
