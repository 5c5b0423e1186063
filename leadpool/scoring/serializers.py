"""API shapes of scoring rules. JSON types are checked here; the rules in services.py."""

from rest_framework import serializers

from leadpool.core.api import StrictSerializer


class ScoringRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    field = serializers.CharField()
    operator = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    points = serializers.IntegerField()
    is_active = serializers.BooleanField()
    position = serializers.IntegerField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ScoringRuleWriteSerializer(StrictSerializer):
    name = serializers.CharField(required=False, max_length=100)
    field = serializers.CharField(
        required=False,
        max_length=80,
        help_text="source, industry, region, email_domain, custom.<key>, followups, calls "
        "or days_since_followup",
    )
    operator = serializers.CharField(
        required=False,
        max_length=16,
        help_text="fields: equals, in, contains, empty; activity: equals, at_least, at_most",
    )
    value = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="a text (equals, contains), a list of texts (in), true/false (empty), "
        "or a whole number (activity)",
    )
    points = serializers.IntegerField(
        required=False, min_value=-10_000, max_value=10_000, help_text="negative takes away"
    )
    is_active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=100_000)
