"""/api/v1/forms/: web forms, for system admins and the admins of each form's pool."""

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from leadpool.capture import services
from leadpool.capture.access import get_form_for, visible_forms
from leadpool.capture.serializers import LeadFormSerializer, LeadFormWriteSerializer
from leadpool.core.api import ID_PATTERN


class LeadFormViewSet(viewsets.GenericViewSet):
    serializer_class = LeadFormSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return visible_forms(self.request.user).select_related("pool")

    @extend_schema(responses={200: LeadFormSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: LeadFormSerializer})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(get_form_for(request.user, pk)).data)

    @extend_schema(
        request=LeadFormWriteSerializer,
        responses={201: LeadFormSerializer},
        description="Creates a web form on a lead pool (its admins or a system admin). The "
        "answer's `url` is the public page and `embed_html` the snippets for a website.",
    )
    def create(self, request):
        serializer = LeadFormWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = services.save_form(by=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(form).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LeadFormWriteSerializer, responses={200: LeadFormSerializer})
    def partial_update(self, request, pk=None):
        form = get_form_for(request.user, pk)
        serializer = LeadFormWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = services.save_form(by=request.user, form=form, data=serializer.validated_data)
        return Response(self.get_serializer(form).data)

    @extend_schema(request=None, responses={204: None}, description="Deletes the form; its "
                   "leads stay, and its address answers 404 from then on.")  # fmt: skip
    def destroy(self, request, pk=None):
        services.delete_form(by=request.user, form=get_form_for(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
