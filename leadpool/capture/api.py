"""/api/v1/forms/ (web forms, for system admins and the admins of each form's pool) and
/api/v1/followups/due (the caller's follow-up due lists)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from leadpool.capture import services
from leadpool.capture.access import get_form_for, visible_forms
from leadpool.capture.followups import due_followups
from leadpool.capture.serializers import (
    DueListSerializer,
    LeadFormSerializer,
    LeadFormWriteSerializer,
)
from leadpool.core.api import ID_PATTERN, errors_response


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


class DueFollowUpsView(APIView):
    """GET /api/v1/followups/due?when=today|overdue: the caller's own records to follow up."""

    @extend_schema(
        parameters=[
            OpenApiParameter("when", OpenApiTypes.STR, enum=["today", "overdue"], required=True),
            OpenApiParameter("type", OpenApiTypes.STR, enum=["lead", "customer"]),
        ],
        responses={200: DueListSerializer},
        description="Your leads and customers whose next follow-up falls today (site time "
        "zone) or before now, soonest first; at most 500.",
    )
    def get(self, request):
        when, entity = request.query_params.get("when"), request.query_params.get("type")
        errors = {}
        if when not in ("today", "overdue"):
            errors["when"] = [_("Give today or overdue.")]
        if entity not in (None, "", "lead", "customer"):
            errors["type"] = [_("Give lead or customer.")]
        if errors:
            return errors_response(errors)
        due = due_followups(user=request.user, when=when, entity=entity or None)
        return Response(DueListSerializer(due).data)
