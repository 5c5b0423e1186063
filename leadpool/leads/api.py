from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from leadpool.activity.api import ActivityRoutes
from leadpool.core.schema import DetailSerializer
from leadpool.history.api import HistoryRoutes
from leadpool.leads.models import Lead
from leadpool.pools import access
from leadpool.pools.api import FORBIDDEN, NOT_FOUND, RecordViewSet


class LeadViewSet(ActivityRoutes, HistoryRoutes, RecordViewSet):
    """/api/v1/leads/"""

    model = Lead

    @extend_schema(
        request=None,
        responses={
            501: OpenApiResponse(DetailSerializer, "Not built yet."),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description="Convert an assigned lead into a customer. Not available yet: "
        "answers 501 until conversion lands.",
    )
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        # Out of scope is 404 here as everywhere, even before conversion exists.
        access.get_record_for(request.user, self.model, pk, "convert")
        return Response(
            {"detail": "Lead conversion is not available yet."},
            status=status.HTTP_501_NOT_IMPLEMENTED,
        )
