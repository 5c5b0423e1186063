"""POST /api/v1/rules/run: the automatic pool rules on demand, for system admins."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from leadpool.core.api import StrictSerializer
from leadpool.core.times import parse_moment
from leadpool.pools.automation import RULES, resolve_pools, run_rules


class RulesRunSerializer(StrictSerializer):
    as_of = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=64,
        help_text="ISO 8601 time to run the rules as of (default: now; no offset: site time).",
    )
    dry_run = serializers.BooleanField(required=False, default=False)
    pool = serializers.CharField(
        required=False, allow_null=True, max_length=100, help_text="Only this pool: id or name."
    )

    def validate_as_of(self, value):
        if value is None:
            return None
        try:
            return parse_moment(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_pool(self, value):
        if value is None:
            return None
        try:
            return resolve_pools(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class RuleCountsSerializer(serializers.Serializer):
    def get_fields(self):
        return {rule: serializers.IntegerField() for rule in RULES}


class PoolReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null: records in no pool")
    name = serializers.CharField(allow_blank=True)
    kind = serializers.CharField(allow_blank=True)
    counts = RuleCountsSerializer()


class PurgedSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    customer = serializers.IntegerField()


class RulesReportSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    dry_run = serializers.BooleanField()
    complete = serializers.BooleanField()
    pools = PoolReportSerializer(many=True)
    recycle_bin_purged = PurgedSerializer()


class RulesRunView(APIView):
    @extend_schema(
        request=RulesRunSerializer,
        responses={
            200: RulesReportSerializer,
            400: OpenApiResponse(description='Bad input: `{"errors": {field: [messages]}}`'),
            403: OpenApiResponse(description='Not a system admin: `{"detail"}`'),
        },
        description="Run the automatic pool rules (reclaim, reclaim warnings, retention, "
        "follow-up reminders, recycle-bin purge) as of a time, for every pool or one, and "
        "say per pool and rule how many records were (with `dry_run`: would be) acted on.",
    )
    def post(self, request):
        if not request.user.is_system_admin:
            raise PermissionDenied()
        serializer = RulesRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = run_rules(as_of=data.get("as_of"), dry_run=data["dry_run"], pool=data.get("pool"))
        body = report.as_dict()
        return Response(body)
