"""Imports over the API: /api/v1/imports/ (API.md "Import and export").

POST /imports/ takes the file (multipart) and answers 201 with the queued job; a worker
runs it, and GET /imports/{id} shows its progress. /imports/preview reads a file and
answers what it holds and how its columns would be mapped, importing nothing.
"""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

from leadpool.core.api import ID_PATTERN
from leadpool.transfer import imports
from leadpool.transfer.api import FILE_RESPONSES, file_response
from leadpool.transfer.exports import FORMATS
from leadpool.transfer.models import ImportJob


class FileTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class ImportJobSerializer(serializers.ModelSerializer):
    by = serializers.PrimaryKeyRelatedField(source="user", read_only=True)
    error_file = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "status", "entity", "dry_run", "pool", "owner", "by", "dedupe", "match_on",
            "file_name", "format", "encoding", "delimiter", "sheet", "headers", "mapping",
            "total", "processed", "created", "updated", "skipped", "failed_rows", "error",
            "error_file", "undone_count", "undo_kept",
            "created_at", "started_at", "finished_at", "undone_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_error_file(self, job) -> str | None:
        """Where to download the rows that did not go in, when there are any."""
        if not (job.failed_rows or job.skipped):
            return None
        return reverse("import-errors", args=[job.pk], request=self.context.get("request"))


class StartImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    entity = serializers.ChoiceField(choices=sorted(imports.MODELS))
    pool = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    owner = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    mapping = serializers.CharField(
        required=False, allow_blank=True, help_text='JSON: {"column header": "field" or null}'
    )
    dedupe = serializers.ChoiceField(choices=ImportJob.Dedupe.values, default="skip")
    match_on = serializers.CharField(
        required=False, default="phone,email", help_text="phone, email, or phone,email"
    )
    dry_run = serializers.BooleanField(required=False, default=False)
    sheet = serializers.CharField(required=False, allow_blank=True, max_length=255)


class PreviewSerializer(serializers.Serializer):
    file = serializers.FileField()
    entity = serializers.ChoiceField(choices=sorted(imports.MODELS))
    mapping = serializers.CharField(required=False, allow_blank=True)
    sheet = serializers.CharField(required=False, allow_blank=True, max_length=255)


def _mapping(raw: str | None):
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ValidationError({"mapping": [_("The mapping is not valid JSON.")]}) from None


def _check_size(request) -> None:
    """Refuse an upload larger than the cap from its Content-Length, before reading it."""
    limit = settings.LEADPOOL_IMPORT_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + 64 * 1024:  # room for the form's other parts
        raise FileTooLarge(
            _("The file is larger than %(size)s MB, the most one import takes.")
            % {"size": f"{limit // 1024**2:,}"}
        )


class ImportViewSet(viewsets.GenericViewSet):
    """Import jobs: start one, watch it, download its errors, undo it."""

    serializer_class = ImportJobSerializer
    lookup_value_regex = ID_PATTERN
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return imports.visible_jobs(self.request.user)

    def list(self, request):
        """Your imports, newest first (all of them for system admins; a pool's for its admins)."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        """One import and its progress (`processed` of `total`), live while it runs."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request={"multipart/form-data": StartImportSerializer})
    def create(self, request):
        """Start an import: the file, into a pool (admins of it) or to an owner (yourself
        by default). 201 with the queued job; bad files and mappings are 400 at once."""
        _check_size(request)
        body = StartImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data["file"]
        job = imports.start_import(
            by=request.user,
            source=upload,
            file_name=upload.name,
            entity=data["entity"],
            pool=data.get("pool"),
            owner=data.get("owner"),
            mapping=_mapping(data.get("mapping")),
            dedupe=data["dedupe"],
            match_on=[key.strip() for key in data["match_on"].split(",") if key.strip()],
            dry_run=data["dry_run"],
            sheet=data.get("sheet") or None,
        )
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": PreviewSerializer},
        responses=inline_serializer(
            "ImportPreview",
            {
                "format": serializers.CharField(),
                "encoding": serializers.CharField(allow_null=True),
                "delimiter": serializers.CharField(allow_null=True),
                "sheets": serializers.ListField(child=serializers.CharField()),
                "sheet": serializers.CharField(allow_null=True),
                "header_row": serializers.IntegerField(),
                "headers": serializers.ListField(child=serializers.CharField()),
                "mapping": serializers.DictField(child=serializers.CharField(allow_null=True)),
                "unmapped": serializers.ListField(child=serializers.CharField()),
                "duplicate_headers": serializers.ListField(child=serializers.CharField()),
                "name_parts": serializers.ListField(child=serializers.CharField(), allow_null=True),
                "fields": serializers.ListField(child=serializers.CharField()),
                "rows": serializers.ListField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
            },
        ),
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """Read a file: encoding, delimiter, sheets, headers, the suggested mapping (with
        your `mapping` applied) and the first rows. Nothing is imported or kept."""
        _check_size(request)
        body = PreviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data["file"]
        result = imports.preview_import(
            by=request.user,
            source=upload,
            entity=data["entity"],
            sheet=data.get("sheet") or None,
            mapping=_mapping(data.get("mapping")),
        )
        return Response(result)

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=[*FORMATS])],
        responses=FILE_RESPONSES,
    )
    @action(detail=True, methods=["get"], url_name="errors")
    def errors(self, request, pk=None):
        """The rows that did not go in (invalid, or skipped as duplicates): their row
        numbers, the reasons and the original cells, as CSV or XLSX."""
        job = self.get_object()
        return file_response(imports.error_file(job, request.query_params.get("format") or "csv"))

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        """Move the records this import created to the recycle bin, except those changed
        since (they are counted in `undo_kept`). Updates to records on file stay."""
        job = imports.undo_import(job=self.get_object(), by=request.user)
        return Response(self.get_serializer(job).data)

    def perform_content_negotiation(self, request, force=False):
        # `format` names the error file's format, not a DRF renderer; answers are JSON.
        return (JSONRenderer(), JSONRenderer.media_type)
