from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadpool.core.api import IdField, StrictSerializer
from leadpool.history.models import AuditEntry, Event, Notification
from leadpool.history.services import notification_text


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.ChoiceField(Event.Action.choices)
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    from_owner = serializers.IntegerField(source="from_owner_id", allow_null=True)
    to_owner = serializers.IntegerField(source="to_owner_id", allow_null=True)
    from_pool = serializers.IntegerField(source="from_pool_id", allow_null=True)
    to_pool = serializers.IntegerField(source="to_pool_id", allow_null=True)
    reason = serializers.CharField()
    rule = serializers.CharField()
    details = serializers.DictField()
    at = serializers.DateTimeField()


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(Notification.Kind.choices)
    text = serializers.SerializerMethodField()
    lead = serializers.IntegerField(source="lead_id", allow_null=True)
    customer = serializers.IntegerField(source="customer_id", allow_null=True)
    pool = serializers.IntegerField(source="pool_id", allow_null=True)
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField())
    def get_text(self, notification) -> str:
        return notification_text(notification)


class ReadSerializer(StrictSerializer):
    ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=1000)


class ReadResultSerializer(serializers.Serializer):
    read = serializers.IntegerField()


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.ChoiceField(AuditEntry.Action.choices)
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    username = serializers.CharField()
    target = serializers.CharField()
    details = serializers.DictField()
    address = serializers.IPAddressField(allow_null=True)
    at = serializers.DateTimeField()
