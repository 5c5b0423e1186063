from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from leadpool.activity.api import ActivityRoutes
from leadpool.core.schema import DetailSerializer
from leadpool.history.api import HistoryRoutes
from leadpool.leads.models import Lead
from leadpool.pools.api import RecordViewSet


class LeadViewSet(ActivityRoutes, HistoryRoutes, RecordViewSet):
    """/api/v1/leads/"""

    model = Lead

    @extend_schema(
        request=None,
        responses={501: OpenApiResponse(DetailSerializer, "Not built yet.")},
        description="Convert an assigned lead into a customer. Not available yet: "
        "answers 501 until conversion lands.",
    )
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        return Response(
            {"detail": "Lead conversion is not available yet."},
            status=status.HTTP_501_NOT_IMPLEMENTED,
        )
