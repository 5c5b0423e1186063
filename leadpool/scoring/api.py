"""/api/v1/scoring-rules/: lead scoring rules, for system admins."""

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from leadpool.core.api import ID_PATTERN
from leadpool.scoring import services
from leadpool.scoring.access import get_rule_for, visible_rules
from leadpool.scoring.serializers import ScoringRuleSerializer, ScoringRuleWriteSerializer

RESCORED = "Every lead is rescored by the rules worker shortly after."


class ScoringRuleViewSet(viewsets.GenericViewSet):
    serializer_class = ScoringRuleSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return visible_rules(self.request.user)

    @extend_schema(responses={200: ScoringRuleSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: ScoringRuleSerializer})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(get_rule_for(request.user, pk)).data)

    @extend_schema(
        request=ScoringRuleWriteSerializer,
        responses={201: ScoringRuleSerializer},
        description=f"Adds a scoring rule: a lead whose `field` meets `operator` `value` gets "
        f"`points`. {RESCORED}",
    )
    def create(self, request):
        self.get_queryset()  # refuses non-admins before the body is read
        serializer = ScoringRuleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.save_rule(by=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ScoringRuleWriteSerializer,
        responses={200: ScoringRuleSerializer},
        description=f"Changes a scoring rule. {RESCORED}",
    )
    def partial_update(self, request, pk=None):
        rule = get_rule_for(request.user, pk)
        serializer = ScoringRuleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.save_rule(by=request.user, rule=rule, data=serializer.validated_data)
        return Response(self.get_serializer(rule).data)

    @extend_schema(
        request=None, responses={204: None}, description=f"Deletes a scoring rule. {RESCORED}"
    )
    def destroy(self, request, pk=None):
        services.delete_rule(by=request.user, rule=get_rule_for(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
