"""The ownership history under each record, and the caller's notifications."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from leadpool.history.models import Notification
from leadpool.history.serializers import (
    EventSerializer,
    NotificationSerializer,
    ReadResultSerializer,
    ReadSerializer,
)
from leadpool.history.services import mark_read
from leadpool.pools import access


class HistoryRoutes:
    """Mixed into the record viewsets: GET /{id}/history/, read-only."""

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history")
    def history(self, request, pk=None):
        record = access.get_record_for(request.user, self.model, pk)
        page = self.paginate_queryset(record.history.all())
        return self.get_paginated_response(EventSerializer(page, many=True).data)


class NotificationViewSet(viewsets.GenericViewSet):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL)],
        responses={200: NotificationSerializer(many=True)},
    )
    def list(self, request):
        notifications = self.get_queryset()
        if request.query_params.get("unread") in ("true", "1"):
            notifications = notifications.filter(read_at__isnull=True)
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=ReadSerializer, responses={200: ReadResultSerializer})
    @action(detail=False, methods=["post"])
    def read(self, request):
        serializer = ReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            {"read": mark_read(user=request.user, ids=serializer.validated_data["ids"])}
        )
