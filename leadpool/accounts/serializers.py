from django.conf import settings
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from leadpool.accounts.models import User
from leadpool.core.api import IdField, StrictSerializer
from leadpool.history.models import Notification


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.ChoiceField(User.Role.choices)
    department = serializers.IntegerField(source="department_id", allow_null=True)
    is_active = serializers.BooleanField()


LANGUAGE_CHOICES = [("", gettext_lazy("The site's language")), *settings.LANGUAGES]


class PreferencesSerializer(UserSerializer):
    """The signed-in user as /users/me/ shows them: who they are, and their preferences."""

    language = serializers.ChoiceField(
        LANGUAGE_CHOICES,
        help_text="The language of what LeadPool sends you (e-mails); blank: the site's.",
    )
    email_notifications = serializers.ListField(
        child=serializers.ChoiceField(Notification.Kind.choices),
        help_text="The notification types you also get by e-mail, in a digest.",
    )


MANAGED_BY_ADMINS = gettext_lazy("Only a system admin changes this, on the user's record.")


class PreferencesWriteSerializer(StrictSerializer):
    """What a user may change about themselves here; everything else is refused by name.
    The values are judged by accounts.services.save_preferences, as on the web page."""

    refused_fields = {
        **{
            field: MANAGED_BY_ADMINS
            for field in ("username", "display_name", "email", "role", "department", "is_active")
        },
        "password": gettext_lazy("Change your password on the password page."),
        "id": gettext_lazy("This field is read-only."),
    }

    language = serializers.ChoiceField(
        LANGUAGE_CHOICES,
        required=False,
        allow_blank=True,
        help_text="One of the site's languages, or blank for the site's own.",
    )
    email_notifications = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=100,
        help_text="Notification types to get by e-mail too: "
        + ", ".join(Notification.Kind.values)
        + ".",
    )


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
