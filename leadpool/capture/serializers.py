"""API shapes of web forms. JSON types are checked here; the rules in services.py."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadpool.capture.embed import embed_snippets, public_url
from leadpool.capture.models import LeadForm
from leadpool.core.api import IdField, StrictSerializer
from leadpool.fields.models import CustomField
from leadpool.fields.services import active_fields


class FormFieldSerializer(StrictSerializer):
    key = serializers.CharField(max_length=60, help_text="name, company, phone, email, region, "
                                "industry, notes, or custom.<key>")  # fmt: skip
    required = serializers.BooleanField(default=False)


class EmbedSerializer(serializers.Serializer):
    iframe = serializers.CharField()
    form = serializers.CharField()


class LeadFormSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pool = serializers.IntegerField(source="pool_id")
    name = serializers.CharField()
    token = serializers.CharField()
    fields = FormFieldSerializer(many=True)
    thank_you_message = serializers.CharField()
    redirect_url = serializers.CharField()
    allowed_origins = serializers.ListField(child=serializers.CharField())
    on_duplicate = serializers.ChoiceField(LeadForm.OnDuplicate.choices)
    is_active = serializers.BooleanField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The public page of the form.")
    embed_html = serializers.SerializerMethodField(
        help_text="Snippets to paste into a website: an iframe, or a plain HTML form."
    )

    def _base_url(self) -> str:
        request = self.context["request"]
        return f"{request.scheme}://{request.get_host()}"

    def get_url(self, form) -> str:
        return public_url(form, self._base_url())

    @extend_schema_field(EmbedSerializer)
    def get_embed_html(self, form) -> dict:
        # The custom fields once per response, not once per form of a list.
        if "lead_custom_fields" not in self.context:
            self.context["lead_custom_fields"] = active_fields(CustomField.Entity.LEAD)
        return embed_snippets(form, self._base_url(), custom=self.context["lead_custom_fields"])


class LeadFormWriteSerializer(StrictSerializer):
    pool = IdField(required=False)
    name = serializers.CharField(required=False, max_length=100)
    fields = FormFieldSerializer(many=True, required=False, max_length=50)
    thank_you_message = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    redirect_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    allowed_origins = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=20
    )
    on_duplicate = serializers.ChoiceField(LeadForm.OnDuplicate.choices, required=False)
    is_active = serializers.BooleanField(required=False)
