from rest_framework import serializers

from leadpool.accounts.models import User
from leadpool.core.api import IdField, StrictSerializer


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.ChoiceField(User.Role.choices)
    department = serializers.IntegerField(source="department_id", allow_null=True)
    is_active = serializers.BooleanField()


class UserWriteSerializer(StrictSerializer):
    username = serializers.CharField(required=False, max_length=150)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    role = serializers.ChoiceField(User.Role.choices, required=False)
    department = IdField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    password = serializers.CharField(required=False, write_only=True, max_length=128)


class DepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)


class DepartmentWriteSerializer(StrictSerializer):
    name = serializers.CharField(required=False, max_length=100)
    parent = IdField(required=False, allow_null=True)


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
