from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from leadpool.activity.api import ActivityRoutes
from leadpool.core.results import Refused
from leadpool.customers.models import Customer
from leadpool.customers.serializers import (
    ContactSerializer,
    ConvertSerializer,
    CustomerSerializer,
    OpportunitySerializer,
    OrderSerializer,
)
from leadpool.history.api import HistoryRoutes
from leadpool.leads.models import Lead
from leadpool.leads.services import convert_lead
from leadpool.pools import access
from leadpool.pools.api import RecordViewSet, RefusedSerializer


class ConversionSerializer(serializers.Serializer):
    customer = CustomerSerializer()
    contact = ContactSerializer()
    created_customer = serializers.BooleanField()
    order = OrderSerializer(required=False)
    opportunity = OpportunitySerializer(required=False)


class LeadViewSet(ActivityRoutes, HistoryRoutes, RecordViewSet):
    """/api/v1/leads/"""

    model = Lead

    @extend_schema(
        request=ConvertSerializer,
        responses={
            201: ConversionSerializer,
            409: OpenApiResponse(RefusedSerializer, "Refused: not_owned, converted or deleted."),
        },
        description="Convert an assigned lead (转成单客户) into a customer and its primary "
        "contact, through the field mapping, or link it to `existing_customer`; optionally "
        "with an order or an opportunity. All or nothing. A customer already on file is "
        "refused (400, with `duplicates`) unless linked or `allow_duplicate` is true.",
    )
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        try:
            # Out of scope is 404 before the body is judged, as everywhere.
            access.fetch_for_action(self.scope, Lead, int(pk), "view")
            serializer = ConvertSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            conversion = convert_lead(lead_id=int(pk), by=request.user, **serializer.validated_data)
        except Refused as refused:
            code, message = refused.refusal.code, refused.refusal.message
            if code == "not_in_scope":
                raise NotFound(message) from None
            if code == "forbidden":
                raise PermissionDenied(message) from None
            return Response({"detail": message, "code": code}, status=status.HTTP_409_CONFLICT)
        customer = (
            Customer.objects.prefetch_related("contacts", "collaborators")
            .select_related("owner", "pool")
            .get(pk=conversion.customer.pk)
        )
        body = {
            "customer": CustomerSerializer(customer, context={"scope": self.scope}).data,
            "contact": ContactSerializer(conversion.contact).data,
            "created_customer": conversion.created_customer,
        }
        if conversion.order is not None:
            body["order"] = OrderSerializer(conversion.order).data
        if conversion.opportunity is not None:
            body["opportunity"] = OpportunitySerializer(conversion.opportunity).data
        return Response(body, status=status.HTTP_201_CREATED)
