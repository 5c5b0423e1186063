"""/api/v1/customers/ and what hangs off customers: contacts, opportunities, orders, and
the custom-field mapping conversion uses."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from leadpool.activity.api import ActivityRoutes
from leadpool.core.api import ID_PATTERN
from leadpool.customers import services
from leadpool.customers.models import Contact, Customer, CustomFieldMapping, Opportunity, Order
from leadpool.customers.serializers import (
    ContactSerializer,
    ContactWriteSerializer,
    CustomerSerializer,
    MappingSerializer,
    MappingWriteSerializer,
    OpportunitySerializer,
    OpportunityWriteSerializer,
    OrderSerializer,
    OrderStatusSerializer,
    OrderWriteSerializer,
    contacts_as_seen,
)
from leadpool.history.api import HistoryRoutes
from leadpool.pools import access
from leadpool.pools.api import RecordViewSet, validated_body


@extend_schema_view(
    list=extend_schema(responses={200: CustomerSerializer(many=True)}),
    retrieve=extend_schema(responses={200: CustomerSerializer}),
    create=extend_schema(responses={201: CustomerSerializer}),
    partial_update=extend_schema(responses={200: CustomerSerializer}),
)
class CustomerViewSet(ActivityRoutes, HistoryRoutes, RecordViewSet):
    """/api/v1/customers/"""

    model = Customer
    serializer_class = CustomerSerializer

    def _rows(self, queryset):
        return super()._rows(queryset).prefetch_related("contacts")

    @extend_schema(methods=["GET"], responses={200: ContactSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=ContactWriteSerializer,
        responses={201: ContactSerializer},
        description="The first contact, or one marked primary, becomes the primary contact.",
    )
    @action(detail=True, methods=["get", "post"])
    def contacts(self, request, pk=None):
        if request.method == "POST":
            customer = access.get_record_for(request.user, Customer, pk, "edit")
            data = validated_body(ContactWriteSerializer, request.data)
            contact = services.add_contact(customer=customer, by=request.user, data=data)
            return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)
        customer = access.get_record_for(request.user, Customer, pk)
        visibility = access.contact_visibility(self.scope, customer)
        page = self.paginate_queryset(customer.contacts.all())
        return self.get_paginated_response(contacts_as_seen(visibility, page))

    @extend_schema(methods=["GET"], responses={200: OpportunitySerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=OpportunityWriteSerializer,
        responses={201: OpportunitySerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def opportunities(self, request, pk=None):
        if request.method == "POST":
            customer = access.get_record_for(request.user, Customer, pk, "edit")
            data = validated_body(OpportunityWriteSerializer, request.data)
            opportunity = services.create_opportunity(
                customer=customer, by=request.user, data=dict(data)
            )
            return Response(OpportunitySerializer(opportunity).data, status=status.HTTP_201_CREATED)
        customer = access.get_record_for(request.user, Customer, pk)
        page = self.paginate_queryset(customer.opportunities.all())
        return self.get_paginated_response(OpportunitySerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: OrderSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=OrderWriteSerializer,
        responses={201: OrderSerializer},
        description="The amount is the sum of the lines; a number is given when none is.",
    )
    @action(detail=True, methods=["get", "post"])
    def orders(self, request, pk=None):
        if request.method == "POST":
            customer = access.get_record_for(request.user, Customer, pk, "edit")
            data = validated_body(OrderWriteSerializer, request.data)
            order = services.create_order(customer=customer, by=request.user, data=dict(data))
            return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
        customer = access.get_record_for(request.user, Customer, pk)
        page = self.paginate_queryset(customer.orders.prefetch_related("lines"))
        return self.get_paginated_response(OrderSerializer(page, many=True).data)


class _CustomerPartViewSet(viewsets.GenericViewSet):
    """Contacts, opportunities and orders by id: visible when their customer is."""

    model: type
    lookup_value_regex = ID_PATTERN

    def _part(self, pk, action: access.Action = "view"):
        visible = access.visible_records(self.request.user, Customer).values("pk")
        part = self.model.objects.filter(pk=pk, customer__in=visible).first()
        if part is None:
            raise NotFound(_("No such record."))
        if action != "view":
            access.get_record_for(self.request.user, Customer, part.customer_id, action)
        return part


class ContactViewSet(_CustomerPartViewSet):
    model = Contact
    serializer_class = ContactSerializer

    @extend_schema(request=ContactWriteSerializer, responses={200: ContactSerializer})
    def partial_update(self, request, pk=None):
        contact = self._part(pk, "edit")
        data = validated_body(ContactWriteSerializer, request.data)
        contact = services.update_contact(contact=contact, by=request.user, changes=data)
        return Response(ContactSerializer(contact).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.remove_contact(contact=self._part(pk, "edit"), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OpportunityViewSet(_CustomerPartViewSet):
    model = Opportunity
    serializer_class = OpportunitySerializer

    @extend_schema(responses={200: OpportunitySerializer})
    def retrieve(self, request, pk=None):
        return Response(OpportunitySerializer(self._part(pk)).data)

    @extend_schema(
        request=OpportunityWriteSerializer,
        responses={200: OpportunitySerializer},
        description="Move it along; `won` or `lost` closes it, and `lost` needs a reason.",
    )
    def partial_update(self, request, pk=None):
        opportunity = self._part(pk, "edit")
        data = validated_body(OpportunityWriteSerializer, request.data)
        opportunity = services.update_opportunity(
            opportunity=opportunity, by=request.user, changes=dict(data)
        )
        return Response(OpportunitySerializer(opportunity).data)


class OrderViewSet(_CustomerPartViewSet):
    model = Order
    serializer_class = OrderSerializer

    @extend_schema(responses={200: OrderSerializer})
    def retrieve(self, request, pk=None):
        return Response(OrderSerializer(self._part(pk)).data)

    @extend_schema(request=OrderStatusSerializer, responses={200: OrderSerializer})
    def partial_update(self, request, pk=None):
        order = self._part(pk, "edit")
        data = validated_body(OrderStatusSerializer, request.data)
        order = services.update_order_status(order=order, by=request.user, status=data["status"])
        return Response(OrderSerializer(order).data)


class MappingViewSet(viewsets.GenericViewSet):
    """/api/v1/field-mappings/: which customer custom field each lead custom field fills
    on conversion. Everyone reads it; system admins change it."""

    serializer_class = MappingSerializer
    queryset = CustomFieldMapping.objects.all()
    lookup_value_regex = ID_PATTERN

    @extend_schema(responses={200: MappingSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(CustomFieldMapping.objects.all())
        return self.get_paginated_response(MappingSerializer(page, many=True).data)

    @extend_schema(
        request=MappingWriteSerializer,
        responses={201: MappingSerializer},
        description="Fields of incompatible types are refused (a number cannot fill yes/no).",
    )
    def create(self, request):
        data = validated_body(MappingWriteSerializer, request.data)
        mapping = services.save_mapping(by=request.user, **data)
        return Response(MappingSerializer(mapping).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse(description="")})
    def destroy(self, request, pk=None):
        mapping = CustomFieldMapping.objects.filter(pk=pk).first()
        if mapping is None:
            raise NotFound(_("No such mapping."))
        services.delete_mapping(by=request.user, mapping=mapping)
        return Response(status=status.HTTP_204_NO_CONTENT)
