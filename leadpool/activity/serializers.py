from rest_framework import serializers

from leadpool.activity.models import CallRecord, FollowUp
from leadpool.core.api import StrictSerializer


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(FollowUp.Kind.choices)
    content = serializers.CharField()
    next_step = serializers.CharField()
    next_followup_at = serializers.DateTimeField(allow_null=True)
    author = serializers.IntegerField(source="author_id")
    created_at = serializers.DateTimeField()


class FollowUpWriteSerializer(StrictSerializer):
    kind = serializers.ChoiceField(FollowUp.Kind.choices, default=FollowUp.Kind.CALL)
    content = serializers.CharField(max_length=10_000)
    next_step = serializers.CharField(
        required=False, allow_blank=True, max_length=10_000, default=""
    )
    next_followup_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    direction = serializers.ChoiceField(CallRecord.Direction.choices)
    started_at = serializers.DateTimeField()
    duration_seconds = serializers.IntegerField()
    outcome = serializers.ChoiceField(CallRecord.Outcome.choices)
    recording_url = serializers.CharField()
    notes = serializers.CharField()
    author = serializers.IntegerField(source="author_id")
    created_at = serializers.DateTimeField()


class CallWriteSerializer(StrictSerializer):
    number = serializers.CharField(max_length=40)
    direction = serializers.ChoiceField(
        CallRecord.Direction.choices, default=CallRecord.Direction.OUTBOUND
    )
    started_at = serializers.DateTimeField()
    duration_seconds = serializers.IntegerField(min_value=0, max_value=86_400, default=0)
    outcome = serializers.ChoiceField(
        CallRecord.Outcome.choices, default=CallRecord.Outcome.ANSWERED
    )
    recording_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default=""
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")


class DueRecordSerializer(serializers.Serializer):
    type = serializers.CharField(source="entity", help_text="lead or customer")
    id = serializers.IntegerField()
    display = serializers.CharField(source="display_name")
    status = serializers.CharField()
    pool = serializers.IntegerField(source="pool_id", allow_null=True)
    next_followup_at = serializers.DateTimeField()


class DueListSerializer(serializers.Serializer):
    results = DueRecordSerializer(source="records", many=True)
    truncated = serializers.BooleanField(help_text="More are due than the list shows (500).")
