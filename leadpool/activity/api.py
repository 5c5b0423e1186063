"""Follow-ups and calls under /leads/{id}/ and /customers/{id}/."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from leadpool.activity import services
from leadpool.activity.serializers import (
    CallSerializer,
    CallWriteSerializer,
    FollowUpSerializer,
    FollowUpWriteSerializer,
)
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
