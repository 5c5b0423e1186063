"""What every API endpoint shares: the error shape, keyset pagination, throttles and
the base serializer that refuses unknown fields.

Errors (API.md): 400 is `{"errors": {field: [messages]}}`; every other error is
`{"detail": message}`. Nothing else — no traces, no SQL — ever reaches a client.
"""

import base64
import binascii
import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from leadpool.core.models import MAX_ID

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"
ID_PATTERN = r"\d{1,18}"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.sub": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD if key in (NON_FIELD, "__all__") else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(detail, list) and detail and all(isinstance(item, dict) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or NON_FIELD: [str(message) for message in messages]}


def errors_response(errors: dict[str, list[str]], **extra) -> Response:
    return Response({"errors": errors, **extra}, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    """Map service and framework errors onto API.md's two error shapes."""
    # Imported here: rest_framework.views reads DEFAULT_THROTTLE_CLASSES, which names this
    # module, when it is first imported, so a top-level import fails whenever this module
    # is imported before it (a test importing SettingsRateThrottle, a script).
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        errors = {NON_FIELD if k == "__all__" else k: v for k, v in errors.items()}
        extra = {}
        report = getattr(exc, "report", None)
        if report is not None:  # a duplicate: say what it duplicates
            extra["duplicates"] = report.as_dict()
        return errors_response(errors, **extra)
    if isinstance(exc, RequestDataTooBig):
        # Django would answer its HTML 400 page; say what is wrong, in the API's shape.
        message = _("The request body is larger than %(max)d bytes.") % {
            "max": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        }
        return Response({"detail": message}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or _("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_403_FORBIDDEN:
        _audit_denial(context.get("request"), response)
    if response is None:
        return None  # a bug: Django's 500 handler answers, without details (DEBUG is off)
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        data = response.data
        if isinstance(data, dict) and set(data) == {"detail"}:  # e.g. malformed JSON
            data = {NON_FIELD: [data["detail"]]}
        response.data = {"errors": _flatten(data)}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    else:
        response.data = {"detail": str(response.data)}
    return response


def _audit_denial(request, response) -> None:
    from leadpool.history.audit import audit
    from leadpool.history.models import AuditEntry

    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return  # anonymous callers get 401, not 403; nothing to attribute
    audit(
        AuditEntry.Action.PERMISSION_DENIED,
        actor=user,
        target=f"{request.method} {request.path}"[:255],
        details={
            "detail": str(response.data.get("detail", ""))
            if isinstance(response.data, dict)
            else ""
        },
    )


class StrictSerializer(serializers.Serializer):
    """A request body that names an unknown field is an error, not silently ignored.

    `refused_fields` maps fields a client might expect to write to why it may not.
    """

    refused_fields: dict = {}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({NON_FIELD: [_("Send a JSON object.")]})
        unknown = sorted(set(data) - set(self.fields))
        value_errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            value_errors = error.detail
            value = None
        if unknown or value_errors:
            errors = dict(value_errors)
            explained = getattr(self, "refused_fields", {})
            errors.update(
                {field: [str(explained.get(field, _("Unknown field.")))] for field in unknown}
            )
            raise serializers.ValidationError(errors)
        return value


def IdField(**kwargs) -> serializers.IntegerField:  # noqa: N802 - reads like a field class
    """A record id in a request body: a whole number from 1 to MAX_ID."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class KeysetPagination(BasePagination):
    """`?limit=&cursor=` → `{"results": [...], "next": cursor|null}`, newest first.

    The cursor is the last row's (time, id), the time being the model's `created_at`
    (or `at`); models without one page by id alone. Filtering with a row-value
    comparison `(created_at, id) < (x, y)` keeps every page as fast as the first and
    stable under inserts (PERFORMANCE.md: the OR-spelled version ran as slowly as
    OFFSET on PostgreSQL).
    """

    default_limit = 50
    max_limit = 500

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self.limit = self._limit(request)
        after = self._decode(request.query_params.get("cursor"))
        model = queryset.model
        names = {field.name for field in model._meta.concrete_fields}
        time_field = next((name for name in ("created_at", "at") if name in names), None)
        if after is not None:
            queryset = self._after(queryset, time_field, *after)
        ordering = [f"-{time_field}", "-id"] if time_field else ["-id"]
        rows = list(queryset.order_by(*ordering)[: self.limit + 1])
        self.next_cursor = None
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            last = rows[-1]
            self.next_cursor = self._encode(
                getattr(last, time_field) if time_field else None, last.pk
            )
        return rows

    @staticmethod
    def _after(queryset, time_field, moment, pk):
        if time_field is None or moment is None:
            return queryset.filter(pk__lt=pk)
        table = queryset.model._meta.db_table
        column = queryset.model._meta.get_field(time_field).column
        # Parameters of raw SQL skip the ORM's conversion: adapt the time as the
        # backend stores it (SQLite keeps text in UTC without an offset).
        stored = connection.ops.adapt_datetimefield_value(moment)
        return queryset.filter(
            RawSQL(  # noqa: S611 - names are the model's own; values go in as parameters
                f'("{table}"."{column}", "{table}"."id") < (%s, %s)',
                (stored, pk),
                output_field=BooleanField(),
            )
        )

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.next_cursor})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "description": "the next cursor"},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
        ]

    def _limit(self, request) -> int:
        raw = request.query_params.get("limit")
        if raw in (None, ""):
            return self.default_limit
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= self.max_limit:
            raise exceptions.ValidationError(
                {"limit": [_("Give a number from 1 to %(max)d.") % {"max": self.max_limit}]}
            )
        return limit

    @staticmethod
    def _encode(moment: datetime.datetime | None, pk: int) -> str:
        stamp = moment.astimezone(datetime.UTC).isoformat() if moment else ""
        return base64.urlsafe_b64encode(f"{stamp}|{pk}".encode()).decode().rstrip("=")

    @staticmethod
    def _decode(cursor: str | None):
        if not cursor:
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            moment_text, pk_text = raw.split("|")
            moment = parse_datetime(moment_text) if moment_text else None
            pk = int(pk_text)
            valid = (moment is not None or not moment_text) and 0 < pk <= MAX_ID
            if moment is not None and moment.tzinfo is None:
                valid = False
            elif moment is not None:
                # Times near year 1 or 9999 overflow in UTC (SQLite's adapter would raise).
                moment = moment.astimezone(datetime.UTC)
        except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
            valid = False
        if not valid:
            raise exceptions.ValidationError({"cursor": [_("This cursor is not valid.")]})
        return moment, pk


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from settings.LEADPOOL_RATES at request time,
    so deployments (and tests) can change it."""

    def get_rate(self):
        return settings.LEADPOOL_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class LoginIPThrottle(SettingsRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SettingsRateThrottle):
    scope = "login_username"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if isinstance(request.data, dict) else None
        if not isinstance(username, str) or not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": username.strip().lower()}


class WriteThrottle(SettingsRateThrottle):
    """Limits each user's writes (POST, PATCH, PUT, DELETE); reads are not counted."""

    scope = "write"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
