"""The ownership history under each record, and the caller's notifications."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from leadpool.core.models import MAX_ID
from leadpool.history.models import AuditEntry, Notification
from leadpool.history.serializers import (
    AuditEntrySerializer,
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


class AuditViewSet(viewsets.GenericViewSet):
    """GET /api/v1/audit/: the audit log, newest first, for system admins only."""

    serializer_class = AuditEntrySerializer

    def get_queryset(self):
        return AuditEntry.objects.all()

    @extend_schema(
        parameters=[
            OpenApiParameter("action", OpenApiTypes.STR, enum=AuditEntry.Action.values),
            OpenApiParameter("actor", OpenApiTypes.INT),
        ]
    )
    def list(self, request):
        if not access.scope_of(request.user).is_admin:
            raise PermissionDenied(_("Only system admins may read the audit log."))
        entries = AuditEntry.objects.all()
        params = request.query_params
        if params.get("action"):
            if params["action"] not in AuditEntry.Action.values:
                raise ValidationError({"action": [_("Choose one of: %(choices)s.") % {
                    "choices": ", ".join(AuditEntry.Action.values)}]})  # fmt: skip
            entries = entries.filter(action=params["action"])
        if params.get("actor"):
            if not params["actor"].isdigit() or int(params["actor"]) > MAX_ID:
                raise ValidationError({"actor": [_("Give a user id.")]})
            entries = entries.filter(actor_id=int(params["actor"]))
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
