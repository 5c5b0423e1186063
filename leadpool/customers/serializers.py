from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadpool.core.api import IdField, StrictSerializer
from leadpool.customers.models import CURRENCIES, Opportunity, Order
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
        return contacts_as_seen(self.get_contact_visibility(customer), customer.contacts.all())


def contacts_as_seen(visibility: str, contacts) -> list[dict]:
    """Contacts with phone and e-mail hidden or masked as the customer's own are."""
    rows = ContactSerializer(contacts, many=True).data
    for row in rows:
        if visibility == "hidden":
            row["phone"] = row["email"] = ""
        elif visibility == "masked":
            row["phone"] = mask_phone(row["phone"]) if row["phone"] else ""
            row["email"] = mask_email(row["email"]) if row["email"] else ""
    return rows


class ContactWriteSerializer(StrictSerializer):
    name = serializers.CharField(required=False, max_length=200)
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    is_primary = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class OpportunitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    name = serializers.CharField()
    stage = serializers.ChoiceField(Opportunity.Stage.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    expected_close_date = serializers.DateField(allow_null=True)
    probability = serializers.IntegerField()
    lost_reason = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    lead = serializers.IntegerField(source="lead_id", allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class OpportunityWriteSerializer(StrictSerializer):
    """Types only; the service checks values (amounts, currency, dates, reasons)."""

    name = serializers.CharField(required=False, max_length=200)
    stage = serializers.ChoiceField(Opportunity.Stage.choices, required=False)
    amount = serializers.CharField(required=False, max_length=40)
    currency = serializers.CharField(required=False, max_length=3, help_text=", ".join(CURRENCIES))
    expected_close_date = serializers.CharField(required=False, allow_null=True, max_length=10)
    probability = serializers.IntegerField(required=False, min_value=0, max_value=100)
    lost_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class OrderLineSerializer(serializers.Serializer):
    product_name = serializers.CharField(max_length=200)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)


class OrderLineWriteSerializer(StrictSerializer):
    product_name = serializers.CharField(allow_blank=True, max_length=200)
    quantity = serializers.CharField(max_length=40)
    unit_price = serializers.CharField(max_length=40)


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    number = serializers.CharField()
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.ChoiceField(Order.Status.choices)
    lines = OrderLineSerializer(many=True, source="lines.all")
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    lead = serializers.IntegerField(source="lead_id", allow_null=True)
    created_at = serializers.DateTimeField()


class OrderWriteSerializer(StrictSerializer):
    number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    date = serializers.CharField(required=False, max_length=10)
    currency = serializers.CharField(required=False, max_length=3, help_text=", ".join(CURRENCIES))
    status = serializers.ChoiceField(Order.Status.choices, required=False)
    lines = OrderLineWriteSerializer(many=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        value["lines"] = [dict(line) for line in value.get("lines", [])]
        return value


class OrderStatusSerializer(StrictSerializer):
    status = serializers.ChoiceField(Order.Status.choices)


class ConvertSerializer(StrictSerializer):
    customer = serializers.DictField(
        required=False, help_text="Fields that override what the mapping fills in."
    )
    existing_customer = IdField(
        required=False, allow_null=True, help_text="Link the lead to this customer instead."
    )
    allow_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Create a new customer even though a matching one is on file.",
    )
    order = OrderWriteSerializer(required=False)
    opportunity = OpportunityWriteSerializer(required=False)


class MappingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_field = serializers.IntegerField(source="lead_field_id")
    customer_field = serializers.IntegerField(source="customer_field_id")


class MappingWriteSerializer(StrictSerializer):
    lead_field = IdField()
    customer_field = IdField()
