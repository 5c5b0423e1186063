"""The REST API of pooled records (leads and customers) and of pools.

Thin: parse, fetch through access.py, call one service, render. Every rule lives in
the services; out-of-scope records are 404 here and `not_in_scope` in batches.
"""

import base64
import binascii
import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from leadpool.core.api import ID_PATTERN, KeysetPagination, errors_response
from leadpool.core.models import MAX_ID
from leadpool.core.times import parse_moment
from leadpool.fields.models import CustomField
from leadpool.pools import access, configuration, records, services
from leadpool.pools.duplicates import find_duplicates
from leadpool.pools.models import Pool
from leadpool.pools.serializers import (
    AssignSerializer,
    BatchResultSerializer,
    ClaimSerializer,
    DuplicateQuerySerializer,
    DuplicateReportSerializer,
    IdsSerializer,
    LeadRecordSerializer,
    PoolSerializer,
    PoolWriteSerializer,
    PutIntoPoolSerializer,
    ReasonSerializer,
    RecordCreateSerializer,
    RecordWriteSerializer,
    ReturnSerializer,
    TransferSerializer,
)

# The list orders a client may ask for: the default (newest first) and, for leads, score.
ORDERINGS = ("-created_at", "score", "-score")
SCORE_LIMIT = 1_000_000_000

LIST_FILTERS = [
    OpenApiParameter("pool", OpenApiTypes.INT),
    OpenApiParameter("owner", OpenApiTypes.STR, description="a user id, `me` or `none`"),
    OpenApiParameter("status", OpenApiTypes.STR),
    OpenApiParameter("source", OpenApiTypes.STR),
    OpenApiParameter("region", OpenApiTypes.STR),
    OpenApiParameter("industry", OpenApiTypes.STR),
    OpenApiParameter("q", OpenApiTypes.STR, description="name, company, phone or e-mail"),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME),
    OpenApiParameter("deleted", OpenApiTypes.BOOL, description="true: the recycle bin"),
    OpenApiParameter(
        "custom.<key>", OpenApiTypes.STR, description="a custom field's value, e.g. custom.level=A"
    ),
    OpenApiParameter("score_min", OpenApiTypes.INT, description="leads: score at least this"),
    OpenApiParameter("score_max", OpenApiTypes.INT, description="leads: score at most this"),
    OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=list(ORDERINGS),
        description="newest first by default; leads also by score (`-score`: highest first)",
    ),
]


def validated_body(serializer_class, data):
    """The request body checked against a serializer (400 when it does not fit)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _batch(result) -> Response:
    body = result.as_dict()
    # `until` in the site's time zone like every other time the API writes (as_dict keeps
    # whichever zone the rule computed it in: UTC from the database, local from the clock).
    for row, (_pk, refusal) in zip(body["refused"], result.refused, strict=True):
        if refusal.until is not None:
            row["until"] = serializers.DateTimeField().to_representation(refusal.until)
    return Response(body)


class RefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class RecordViewSet(viewsets.GenericViewSet):
    """Shared by /leads/ and /customers/: list, create, retrieve, edit, delete, and the
    batch pool operations."""

    model: type
    # Leads' shape; /customers/ sets its own (customers/api.py), as it does in the schema.
    serializer_class = LeadRecordSerializer
    lookup_value_regex = ID_PATTERN

    # --- reading ------------------------------------------------------------------

    def get_queryset(self):
        return access.visible_records(self.request.user, self.model, scope=self.scope)

    @property
    def scope(self) -> access.Scope:
        if not hasattr(self, "_scope"):
            self._scope = access.scope_of(self.request.user)
        return self._scope

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "scope": self.scope}

    def _rows(self, queryset):
        return queryset.select_related("owner", "pool").prefetch_related("collaborators")

    @extend_schema(parameters=LIST_FILTERS, responses={200: LeadRecordSerializer(many=True)})
    def list(self, request):
        params = request.query_params
        if params.get("deleted") in ("true", "1"):
            queryset = access.recycle_bin(request.user, self.model, scope=self.scope)
        else:
            queryset = self.get_queryset()
        queryset = filter_records(queryset, params, self.model, scope=self.scope)
        if params.get("ordering") in ("score", "-score"):
            self._paginator = ScorePagination(descending=params["ordering"] == "-score")
        page = self.paginate_queryset(self._rows(queryset))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: LeadRecordSerializer})
    def retrieve(self, request, pk=None):
        record = self._record(pk)
        return Response(self.get_serializer(record).data)

    def _record(self, pk, action: access.Action = "view"):
        access.get_record_for(self.request.user, self.model, pk, action)
        return self._rows(self.model.objects.filter(pk=pk)).get()

    def _written(self, pk):
        """The record as just saved, for the answer to its writer: a write that succeeded
        may take it out of their scope (created into an assign-only pool, a collaborator
        taking themselves off), and must not then answer 404."""
        return self._rows(self.model.objects.filter(pk=pk)).get()

    # --- writing ------------------------------------------------------------------

    @extend_schema(
        request=RecordCreateSerializer,
        responses={201: LeadRecordSerializer},
        description="A phone or e-mail already on file is refused (400, with `duplicates`) "
        "unless `allow_duplicate` is true.",
    )
    def create(self, request):
        data = dict(validated_body(RecordCreateSerializer, request.data))
        allow_duplicate = data.pop("allow_duplicate", False)
        pool, owner = data.pop("pool", None), data.pop("owner", None)
        record = records.create_record(
            model=self.model,
            by=request.user,
            data=data,
            pool=pool,
            owner=owner,
            allow_duplicate=allow_duplicate,
        )
        return Response(
            self.get_serializer(self._written(record.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=RecordWriteSerializer,
        responses={200: LeadRecordSerializer},
    )
    def partial_update(self, request, pk=None):
        record = access.get_record_for(request.user, self.model, pk, "edit")
        data = dict(validated_body(RecordWriteSerializer, request.data))
        allow_duplicate = data.pop("allow_duplicate", False)
        records.update_record(
            record=record, by=request.user, changes=data, allow_duplicate=allow_duplicate
        )
        return Response(self.get_serializer(self._written(pk)).data)

    @extend_schema(
        request=None,
        responses={204: None, 409: OpenApiResponse(RefusedSerializer, "Refused, with its code.")},
        description="Moves the record to the recycle bin.",
    )
    def destroy(self, request, pk=None):
        result = services.delete_records(model=self.model, ids=[pk], by=request.user)
        return _single(result)

    # --- batch pool operations ----------------------------------------------------

    @extend_schema(request=ClaimSerializer, responses={200: BatchResultSerializer})
    @action(detail=False, methods=["post"])
    def claim(self, request):
        data = validated_body(ClaimSerializer, request.data)
        return _batch(services.claim_records(model=self.model, by=request.user, **data))

    @extend_schema(
        request=AssignSerializer,
        responses={200: BatchResultSerializer},
        description="Pool admins: `to_user` (分配给销售) or `to_pool` (分配到线索池).",
    )
    @action(detail=False, methods=["post"])
    def assign(self, request):
        data = validated_body(AssignSerializer, request.data)
        return _batch(services.assign_records(model=self.model, by=request.user, **data))

    @extend_schema(request=ReasonSerializer, responses={200: BatchResultSerializer})
    @action(detail=False, methods=["post"])
    def reclaim(self, request):
        data = validated_body(ReasonSerializer, request.data)
        return _batch(services.reclaim_records(model=self.model, by=request.user, **data))

    @extend_schema(request=ReturnSerializer, responses={200: BatchResultSerializer})
    @action(detail=False, methods=["post"], url_path="return", url_name="return")
    def return_(self, request):
        data = validated_body(ReturnSerializer, request.data)
        return _batch(services.return_records(model=self.model, by=request.user, **data))

    @extend_schema(request=PutIntoPoolSerializer, responses={200: BatchResultSerializer})
    @action(detail=False, methods=["post"])
    def put_into_pool(self, request):
        data = validated_body(PutIntoPoolSerializer, request.data)
        return _batch(services.put_records_into_pool(model=self.model, by=request.user, **data))

    @extend_schema(request=ReasonSerializer, responses={200: BatchResultSerializer})
    # Not named `delete`: DRF would take a method of that name as the handler of HTTP
    # DELETE on every route of this viewset (DELETE /leads/ deleting by body, a 500 on
    # DELETE /leads/{id}/history/) instead of answering 405.
    @action(detail=False, methods=["post"], url_path="delete", url_name="delete")
    def delete_records(self, request):
        data = validated_body(ReasonSerializer, request.data)
        return _batch(services.delete_records(model=self.model, by=request.user, **data))

    @extend_schema(request=IdsSerializer, responses={200: BatchResultSerializer})
    @action(detail=False, methods=["post"])
    def restore(self, request):
        data = validated_body(IdsSerializer, request.data)
        return _batch(services.restore_records(model=self.model, by=request.user, **data))

    @extend_schema(
        request=IdsSerializer,
        responses={200: BatchResultSerializer},
        description="Removes records in the recycle bin for good; their history stays.",
    )
    @action(detail=False, methods=["post"])
    def purge(self, request):
        data = validated_body(IdsSerializer, request.data)
        return _batch(services.purge_records(model=self.model, by=request.user, **data))


def _single(result) -> Response:
    """A one-record operation: 204 when done; 404/403, or 409 with the refusal's code."""
    if result.done:
        return Response(status=status.HTTP_204_NO_CONTENT)
    _pk, refusal = result.refused[0]
    if refusal.code == "not_in_scope":
        raise NotFound(refusal.message)
    if refusal.code == "forbidden":
        raise PermissionDenied(refusal.message)
    return Response(
        {"detail": refusal.message, "code": refusal.code}, status=status.HTTP_409_CONFLICT
    )


def filter_records(queryset, params, model, *, scope: access.Scope):
    """Apply API.md's list filters; a malformed value is a 400 naming the filter."""
    errors: dict[str, list[str]] = {}
    conditions = Q()
    for name, value in params.items():
        if "\x00" in value:  # PostgreSQL cannot compare text holding NUL; it is never meant
            errors[name] = [_("Remove the NUL character.")]

    def whole(name: str) -> int | None:
        raw = params.get(name)
        if raw in (None, ""):
            return None
        if not raw.isdigit() or int(raw) > MAX_ID:
            errors[name] = [_("Give a whole number.")]
            return None
        return int(raw)

    pool = whole("pool")
    if pool is not None:
        conditions &= Q(pool_id=pool)
    owner = params.get("owner")
    if owner == "me":
        conditions &= Q(owner_id=scope.user_id)
    elif owner == "none":
        conditions &= Q(owner__isnull=True)
    elif owner:
        owner_id = whole("owner")
        if owner_id is not None:
            conditions &= Q(owner_id=owner_id)
    if params.get("status"):
        statuses = params["status"].split(",")
        unknown = sorted(set(statuses) - set(model.Status.values))
        if unknown:
            errors["status"] = [
                _("Choose from: %(choices)s.") % {"choices": ", ".join(model.Status.values)}
            ]
        conditions &= Q(status__in=statuses)
    for name in ("source", "region", "industry"):
        if params.get(name):
            conditions &= Q(**{name: params[name]})
    for name, lookup in (
        ("created_after", "created_at__gte"),
        ("created_before", "created_at__lt"),
    ):
        if params.get(name):
            moment = _moment(params[name])
            if moment is None:
                errors[name] = [_("Give a date or an ISO 8601 time.")]
                continue
            try:
                # 1970–2099, as everywhere: year 1 or 9999 overflow on the way to UTC.
                moment = parse_moment(moment)
            except ValueError as error:
                errors[name] = [str(error)]
            else:
                conditions &= Q(**{lookup: moment})
    if params.get("q"):
        conditions &= _search(params["q"], access.contacts_visible_condition(scope, model))
    for name, lookup in (("score_min", "score__gte"), ("score_max", "score__lte")):
        raw = params.get(name)
        if raw in (None, ""):
            continue
        if not _has_score(model):
            errors[name] = [_("Only leads have a score.")]
            continue
        try:
            bound = int(raw)
        except ValueError:
            bound = None
        if bound is None or not -SCORE_LIMIT <= bound <= SCORE_LIMIT:
            errors[name] = [_("Give a whole number.")]
            continue
        conditions &= Q(**{lookup: bound})
    ordering = params.get("ordering")
    if ordering not in (None, "", *ORDERINGS):
        errors["ordering"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(ORDERINGS)}]
    elif ordering in ("score", "-score") and not _has_score(model):
        errors["ordering"] = [_("Only leads have a score.")]
    custom_filters = {key[7:]: value for key, value in params.items() if key.startswith("custom.")}
    if custom_filters:
        conditions &= _custom_condition(model, custom_filters, errors, scope=scope)
    if params.get("deleted") not in (None, "", "true", "false", "1", "0"):
        errors["deleted"] = [_("Give true or false.")]
    if errors:
        raise ValidationError(errors)
    return queryset.filter(conditions)


def _has_score(model) -> bool:
    return any(field.name == "score" for field in model._meta.concrete_fields)


class ScorePagination(KeysetPagination):
    """Keyset pages of a list ordered by score, then id (the cursor is the last row's
    score and id), so a page never repeats or skips a lead while scores stay put."""

    def __init__(self, *, descending: bool):
        self.descending = descending

    def paginate_queryset(self, queryset, request, view=None):
        self.limit = self._limit(request)
        after = self._decode_score(request.query_params.get("cursor"))
        if after is not None:
            score, pk = after
            if self.descending:
                queryset = queryset.filter(Q(score__lt=score) | Q(score=score, pk__lt=pk))
            else:
                queryset = queryset.filter(Q(score__gt=score) | Q(score=score, pk__gt=pk))
        ordering = ["-score", "-id"] if self.descending else ["score", "id"]
        rows = list(queryset.order_by(*ordering)[: self.limit + 1])
        self.next_cursor = None
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            last = rows[-1]
            raw = f"score|{last.score}|{last.pk}".encode()
            self.next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return rows

    @staticmethod
    def _decode_score(cursor: str | None) -> tuple[int, int] | None:
        if not cursor:
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            tag, score_text, pk_text = raw.split("|")
            score, pk = int(score_text), int(pk_text)
            valid = tag == "score" and abs(score) <= SCORE_LIMIT and 0 < pk <= MAX_ID
        except (ValueError, binascii.Error, UnicodeDecodeError):
            valid = False
        if not valid:
            raise serializers.ValidationError({"cursor": [_("This cursor is not valid.")]})
        return score, pk


def _moment(raw: str) -> datetime.datetime | None:
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = datetime.datetime.combine(day, datetime.time.min) if day else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        from django.utils import timezone

        moment = timezone.make_aware(moment)
    return moment


def _search(text: str, contacts_visible: Q) -> Q:
    from leadpool.core.normalize import normalize_company, phone_search_digits

    text = text.strip()
    condition = Q(name__icontains=text) | Q(company__icontains=text)
    # `icontains` on the normalised (lower-case, digits-only) values: the same matches as
    # `contains`, and the form the trigram indexes serve (core/postgres.search_indexes).
    contact = Q(email_normalized__icontains=text.lower())
    digits = phone_search_digits(text)
    if len(digits) >= 3 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 1:
        contact |= Q(phone_normalized__icontains=digits) | Q(
            other_phone_normalized__icontains=digits
        )
    # Phone and e-mail fragments only find records whose contacts the reader may see.
    condition |= contact & contacts_visible
    company = normalize_company(text)
    if company:
        condition |= Q(company_normalized__contains=company)
    return condition


def _custom_condition(model, filters: dict[str, str], errors: dict, *, scope) -> Q:
    import json

    from leadpool.fields.services import clean_value

    definitions = {
        field.key: field
        for field in CustomField.objects.filter(entity=model.entity, is_active=True)
    }
    condition = Q()
    for key, raw in filters.items():
        field = definitions.get(key)
        if field is None:
            errors[f"custom.{key}"] = [_("There is no custom field “%(key)s”.") % {"key": key}]
            continue
        if field.type == CustomField.Type.MULTI_CHOICE:
            if raw not in field.choices:
                errors[f"custom.{key}"] = [
                    _("Choose from: %(choices)s.") % {"choices": ", ".join(field.choices)}
                ]
                continue
            condition &= Q(**{f"custom__{key}__icontains": json.dumps(raw, ensure_ascii=False)})
            continue
        try:
            value = clean_value(field, raw)
        except ValidationError as error:
            errors[f"custom.{key}"] = list(error.messages)
            continue
        condition &= Q(**{f"custom__{key}": value})
        if field.type in access.CONTACT_FIELD_TYPES:
            # Only rows whose contacts the reader sees, as for `q`: a filter on a hidden
            # phone would tell a member whether a guessed number is on file.
            condition &= access.contacts_visible_condition(scope, model)
    return condition


# --- duplicates ------------------------------------------------------------------------


class DuplicatesView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR)
            for name in ("name", "phone", "email", "company")
        ],
        responses={200: DuplicateReportSerializer},
        description="Leads and customers in your scope matching any of the values, best "
        "first, with why they match; `elsewhere` says a phone or e-mail is on file outside "
        "your scope without saying where.",
    )
    def get(self, request):
        query = validated_body(DuplicateQuerySerializer, request.query_params.dict())
        if not any(value.strip() for value in query.values()):
            return errors_response(
                {"non_field_errors": [_("Give a name, phone, e-mail or company.")]}
            )
        return Response(find_duplicates(by=request.user, **query).as_dict())


# --- pools ----------------------------------------------------------------------------


class PoolViewSet(viewsets.GenericViewSet):
    serializer_class = PoolSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        pools = access.visible_pools(self.request.user)
        kind = self.request.query_params.get("kind")
        if kind:
            pools = pools.filter(kind=kind)
        return pools.prefetch_related(
            "admins", "members", "member_departments", "distribution_members"
        ).order_by("id")

    def _pool(self, pk) -> Pool:
        pool = self.get_queryset().filter(pk=pk).first()
        if pool is None:
            raise NotFound(_("No such pool."))
        return pool

    @staticmethod
    def _named_as_sent(error: ValidationError) -> ValidationError:
        """The service names rule errors by key; the client sent them under "rules"."""
        if not hasattr(error, "error_dict"):
            return error
        return ValidationError(
            {
                f"rules.{key}" if key in configuration.RULES else key: messages
                for key, messages in error.message_dict.items()
            }
        )

    @extend_schema(
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=Pool.Kind.values)],
        responses={200: PoolSerializer(many=True)},
    )
    def list(self, request):
        kind = request.query_params.get("kind")
        if kind and kind not in Pool.Kind.values:
            return errors_response({"kind": [_("Give lead or customer.")]})
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: PoolSerializer})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._pool(pk)).data)

    @extend_schema(
        request=PoolWriteSerializer,
        responses={201: PoolSerializer},
        description="System admins only.",
    )
    def create(self, request):
        data = dict(validated_body(PoolWriteSerializer, request.data))
        rules = data.pop("rules", {})
        missing = [field for field in ("name", "kind", "admins") if field not in data]
        if missing:
            return errors_response({field: [_("This field is required.")] for field in missing})
        try:
            pool = configuration.create_pool(by=request.user, **data, **rules)
        except ValidationError as error:
            raise self._named_as_sent(error) from None
        return Response(self.get_serializer(self._pool(pool.pk)).data, status=201)

    @extend_schema(
        request=PoolWriteSerializer,
        responses={200: PoolSerializer},
        description="The pool's admins or a system admin; admins change by transfer.",
    )
    def partial_update(self, request, pk=None):
        pool = self._pool(pk)
        data = dict(validated_body(PoolWriteSerializer, request.data))
        changes = {**{k: v for k, v in data.items() if k != "rules"}, **data.get("rules", {})}
        try:
            configuration.update_pool(pool=pool, by=request.user, changes=changes)
        except ValidationError as error:
            raise self._named_as_sent(error) from None
        return Response(self.get_serializer(self._pool(pk)).data)

    @extend_schema(
        request=TransferSerializer,
        responses={200: PoolSerializer},
        description="Hand the pool's administration to other users (转移线索池).",
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        pool = self._pool(pk)
        data = validated_body(TransferSerializer, request.data)
        services.transfer_pool(pool=pool, by=request.user, **data)
        # Not through _pool(): a pool admin who handed the pool away no longer sees it,
        # and the done transfer must not answer 404.
        pool = Pool.objects.prefetch_related(
            "admins", "members", "member_departments", "distribution_members"
        ).get(pk=pool.pk)
        return Response(self.get_serializer(pool).data)
