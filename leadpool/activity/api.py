"""Follow-ups and calls under /leads/{id}/ and /customers/{id}/, and the caller's follow-up
due lists at /api/v1/followups/due."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from leadpool.activity import services
from leadpool.activity.followups import due_followups
from leadpool.activity.serializers import (
    CallSerializer,
    CallWriteSerializer,
    DueListSerializer,
    FollowUpSerializer,
    FollowUpWriteSerializer,
)
from leadpool.core.api import errors_response
from leadpool.pools import access
from leadpool.pools.rules import mask_phone


class ActivityRoutes:
    """Mixed into the record viewsets: GET lists (paginated), POST adds."""

    @extend_schema(methods=["GET"], responses={200: FollowUpSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=FollowUpWriteSerializer,
        responses={201: FollowUpSerializer},
        description="Adds a follow-up record: `new` becomes `following`, the reclaim clock "
        "restarts.",
    )
    @action(detail=True, methods=["get", "post"], url_path="followups")
    def followups(self, request, pk=None):
        if request.method == "POST":
            record = access.get_record_for(request.user, self.model, pk, "follow_up")
            serializer = FollowUpWriteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            followup = services.add_followup(
                record=record, by=request.user, **serializer.validated_data
            )
            return Response(FollowUpSerializer(followup).data, status=status.HTTP_201_CREATED)
        record = access.get_record_for(request.user, self.model, pk)
        page = self.paginate_queryset(_followups_of(record))
        return self.get_paginated_response(FollowUpSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: CallSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=CallWriteSerializer,
        responses={201: CallSerializer},
        description="Logs a call; an answered call counts as a follow-up.",
    )
    @action(detail=True, methods=["get", "post"], url_path="calls")
    def calls(self, request, pk=None):
        if request.method == "POST":
            record = access.get_record_for(request.user, self.model, pk, "follow_up")
            serializer = CallWriteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            call = services.log_call(record=record, by=request.user, **serializer.validated_data)
            return Response(CallSerializer(call).data, status=status.HTTP_201_CREATED)
        record = access.get_record_for(request.user, self.model, pk)
        visibility = access.contact_visibility(access.scope_of(request.user), record)
        page = self.paginate_queryset(_calls_of(record))
        rows = CallSerializer(page, many=True).data
        # A number dialled is the record's phone: hidden or masked alike until claimed.
        for row in rows:
            if visibility == "hidden":
                row["number"] = ""
            elif visibility == "masked":
                row["number"] = mask_phone(row["number"])
        return self.get_paginated_response(rows)


def _followups_of(record):
    # A customer's timeline includes the follow-ups of the leads converted into it.
    timeline = getattr(record, "timeline_followups", None)
    return timeline() if timeline else record.followups.all()


def _calls_of(record):
    timeline = getattr(record, "timeline_calls", None)
    return timeline() if timeline else record.calls.all()


class DueFollowUpsView(APIView):
    """GET /api/v1/followups/due?when=today|overdue: the caller's own records to follow up."""

    @extend_schema(
        parameters=[
            OpenApiParameter("when", OpenApiTypes.STR, enum=["today", "overdue"], required=True),
            OpenApiParameter("type", OpenApiTypes.STR, enum=["lead", "customer"]),
        ],
        responses={200: DueListSerializer},
        description="Your leads and customers whose next follow-up falls today (site time "
        "zone) or before now, soonest first; at most 500.",
    )
    def get(self, request):
        when, entity = request.query_params.get("when"), request.query_params.get("type")
        errors = {}
        if when not in ("today", "overdue"):
            errors["when"] = [_("Give today or overdue.")]
        if entity not in (None, "", "lead", "customer"):
            errors["type"] = [_("Give lead or customer.")]
        if errors:
            return errors_response(errors)
        due = due_followups(user=request.user, when=when, entity=entity or None)
        return Response(DueListSerializer(due).data)
