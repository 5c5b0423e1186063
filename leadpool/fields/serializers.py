from rest_framework import serializers

from leadpool.core.api import StrictSerializer
from leadpool.fields.models import CustomField


class CustomFieldSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    entity = serializers.ChoiceField(CustomField.Entity.choices)
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(CustomField.Type.choices)
    is_required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField())
    order = serializers.IntegerField()
    is_active = serializers.BooleanField()


class CustomFieldWriteSerializer(StrictSerializer):
    entity = serializers.ChoiceField(CustomField.Entity.choices, required=False)
    key = serializers.CharField(required=False, max_length=50)
    label = serializers.CharField(required=False, max_length=100)
    type = serializers.ChoiceField(CustomField.Type.choices, required=False)
    is_required = serializers.BooleanField(required=False)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=500
    )
    order = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    is_active = serializers.BooleanField(required=False)
