"""What a record list shows: which records (through access.py), filtered as the API filters
them, sorted, and paged by keyset so the last page is as fast as the first."""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from leadpool.fields.models import CustomField
from leadpool.fields.services import active_fields
from leadpool.pools import access
from leadpool.pools.api import filter_records

PAGE_SIZE = 50
# The list filters the web offers, by the names pools/api.py's filter_records reads.
FILTERS = ("q", "status", "owner", "source", "region", "industry")
# Sort key → (column, descending, label). Only non-null columns: keyset paging compares
# (column, id) row values, which NULLs would break.
SORTS = {
    "-created": ("created_at", True, _("Newest first")),
    "created": ("created_at", False, _("Oldest first")),
    "-updated": ("updated_at", True, _("Recently changed")),
    "name": ("name", False, _("Name A–Z")),
    "-name": ("name", True, _("Name Z–A")),
}
DEFAULT_SORT = "-created"


@dataclass
class Listing:
    records: list
    next_cursor: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def matching(user, model, *, where: str, pool, params, scope: access.Scope):
    """The records a list shows before paging: mine, all I can see, a pool's or the recycle
    bin's, narrowed by the filters in `params`; and the filters' errors."""
    if where == "bin":
        records = access.recycle_bin(user, model, scope=scope)
    else:
        records = access.visible_records(user, model, scope=scope)
    if where == "mine":
        records = records.filter(owner_id=scope.user_id)
    return filtered(records, params, model, scope=scope, pool=pool)


def filtered(queryset: QuerySet, params, model, *, scope: access.Scope, pool=None):
    """The queryset narrowed by the request's filters; bad filters come back as errors."""
    chosen = {name: params.get(name, "").strip() for name in FILTERS if params.get(name)}
    # Custom fields filter by equality ("custom.level=A"), as the API's lists do.
    chosen |= {
        name: value.strip()
        for name, value in params.items()
        if name.startswith("custom.") and value.strip()
    }
    if pool is not None:
        chosen["pool"] = str(pool.pk)
    try:
        return filter_records(queryset, chosen, model, scope=scope), {}
    except ValidationError as error:
        return queryset.none(), error.message_dict


def page_of(queryset: QuerySet, *, sort: str, cursor: str | None, size: int = PAGE_SIZE):
    """One page of `queryset` in `sort` order after `cursor`, and the cursor of the next."""
    column, descending, _label = SORTS.get(sort, SORTS[DEFAULT_SORT])
    after = _decode(cursor, column)
    if after is not None:
        queryset = _after(queryset, column, descending, *after)
    prefix = "-" if descending else ""
    rows = list(queryset.order_by(f"{prefix}{column}", f"{prefix}id")[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = _encode(getattr(rows[-1], column), rows[-1].pk)
    return rows, next_cursor


def _after(queryset, column: str, descending: bool, value, pk: int):
    # A row-value comparison (not `a < x OR (a = x AND id < y)`): PostgreSQL walks the
    # (column, id) index from the cursor on (core/api.py KeysetPagination does the same).
    table = queryset.model._meta.db_table
    db_column = queryset.model._meta.get_field(column).column
    if isinstance(value, datetime.datetime):
        value = connection.ops.adapt_datetimefield_value(value)
    operator = "<" if descending else ">"
    return queryset.filter(
        RawSQL(  # noqa: S611 - names are the model's own; values go in as parameters
            f'("{table}"."{db_column}", "{table}"."id") {operator} (%s, %s)',
            (value, pk),
            output_field=BooleanField(),
        )
    )


def _encode(value, pk: int) -> str:
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC).isoformat()
    raw = json.dumps([value, pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None, column: str):
    """The cursor's (value, id), or None (the first page) for a missing or forged one."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(pk, int) or isinstance(pk, bool) or not isinstance(value, str):
        return None
    if column.endswith("_at"):
        try:
            value = parse_datetime(value)
        except ValueError:
            return None
        if value is None or value.tzinfo is None:
            return None
    elif "\x00" in value:
        return None
    return value, pk


def custom_filters(model, params) -> list[dict]:
    """The list filters of the custom fields (自定义字段) that can be filtered on: a choice
    list for choices and yes/no, a text box (exact value) for the rest."""
    shown = []
    for key, custom in active_fields(model.entity).items():
        if custom.type in (CustomField.Type.LONG_TEXT, CustomField.Type.DATETIME):
            continue  # equality on these means nothing to a person
        choices = None
        if custom.type in (CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE):
            choices = [(choice, choice) for choice in custom.choices]
        elif custom.type == CustomField.Type.BOOLEAN:
            choices = [("true", _("Yes")), ("false", _("No"))]
        name = f"custom.{key}"
        shown.append(
            {"name": name, "label": custom.label, "choices": choices, "value": params.get(name, "")}
        )
    return shown
