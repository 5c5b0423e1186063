from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from leadpool.activity.api import ActivityRoutes
from leadpool.customers.models import Customer
from leadpool.history.api import HistoryRoutes
from leadpool.pools.api import ERRORS, FORBIDDEN, NOT_FOUND, RecordViewSet
from leadpool.pools.rules import mask_email, mask_phone
from leadpool.pools.serializers import RecordSerializer


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    is_primary = serializers.BooleanField()
    notes = serializers.CharField()


class CustomerSerializer(RecordSerializer):
    """A customer (API.md): a record's fields, with its contacts and the lead it came from.
    Contacts' phones and e-mails are shown as the record's own are to this reader."""

    contacts = serializers.SerializerMethodField()
    lead = serializers.IntegerField(source="lead_id", allow_null=True)

    @extend_schema_field(ContactSerializer(many=True))
    def get_contacts(self, customer) -> list[dict]:
        visibility = self.get_contact_visibility(customer)
        contacts = ContactSerializer(customer.contacts.all(), many=True).data
        for contact in contacts:
            if visibility == "hidden":
                contact["phone"] = contact["email"] = ""
            elif visibility == "masked":
                contact["phone"] = mask_phone(contact["phone"]) if contact["phone"] else ""
                contact["email"] = mask_email(contact["email"]) if contact["email"] else ""
        return contacts


@extend_schema_view(
    list=extend_schema(responses={200: CustomerSerializer(many=True), 400: ERRORS}),
    retrieve=extend_schema(responses={200: CustomerSerializer, 404: NOT_FOUND}),
    create=extend_schema(responses={201: CustomerSerializer, 400: ERRORS}),
    partial_update=extend_schema(
        responses={200: CustomerSerializer, 400: ERRORS, 403: FORBIDDEN, 404: NOT_FOUND}
    ),
)
class CustomerViewSet(ActivityRoutes, HistoryRoutes, RecordViewSet):
    """/api/v1/customers/"""

    model = Customer
    serializer_class = CustomerSerializer

    def _rows(self, queryset):
        return super()._rows(queryset).prefetch_related("contacts")
