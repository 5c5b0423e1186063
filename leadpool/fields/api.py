"""Custom field definitions: everyone reads them (forms need them), admins change them."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from leadpool.core.api import ID_PATTERN, errors_response
from leadpool.fields.models import CustomField
from leadpool.fields.serializers import CustomFieldSerializer, CustomFieldWriteSerializer
from leadpool.fields.services import save_field


class CustomFieldViewSet(viewsets.GenericViewSet):
    serializer_class = CustomFieldSerializer
    queryset = CustomField.objects.all()
    lookup_value_regex = ID_PATTERN

    def _field(self, pk) -> CustomField:
        field = CustomField.objects.filter(pk=pk).first()
        if field is None:
            raise NotFound(_("No such field."))
        return field

    @extend_schema(
        parameters=[
            OpenApiParameter("entity", OpenApiTypes.STR, enum=CustomField.Entity.values),
            OpenApiParameter("active", OpenApiTypes.BOOL, description="false: include retired"),
        ],
        responses={200: CustomFieldSerializer(many=True)},
    )
    def list(self, request):
        fields = CustomField.objects.all()
        entity = request.query_params.get("entity")
        if entity:
            if entity not in CustomField.Entity.values:
                return errors_response({"entity": [_("Give lead or customer.")]})
            fields = fields.filter(entity=entity)
        if request.query_params.get("active") not in ("false", "0"):
            fields = fields.filter(is_active=True)
        page = self.paginate_queryset(fields)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: CustomFieldSerializer})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._field(pk)).data)

    @extend_schema(request=CustomFieldWriteSerializer, responses={201: CustomFieldSerializer})
    def create(self, request):
        serializer = CustomFieldWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        field = save_field(by=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(field).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomFieldWriteSerializer, responses={200: CustomFieldSerializer})
    def partial_update(self, request, pk=None):
        serializer = CustomFieldWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        field = save_field(by=request.user, field=self._field(pk), data=serializer.validated_data)
        return Response(self.get_serializer(field).data)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Retires the field: stored values stay, forms no longer ask for it.",
    )
    def destroy(self, request, pk=None):
        save_field(by=request.user, field=self._field(pk), data={"is_active": False})
        return Response(status=status.HTTP_204_NO_CONTENT)
