"""Exports over the API: /api/v1/{leads,customers}/export and …/calls/export.

Thin: parse the query, call one export service, send the file. CSV streams as it is
written; XLSX (a zip, written whole) goes to an unnamed temporary file first, which
the operating system removes when the response closes it.
"""

import tempfile

from django.core.exceptions import ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from leadpool.core.models import MAX_ID
from leadpool.customers.models import Customer
from leadpool.leads.models import Lead
from leadpool.pools import access
from leadpool.pools.api import LIST_FILTERS, filter_records
from leadpool.transfer import exports

# Query parameters that are not list filters.
OWN_PARAMETERS = ("format", "fields", "ids")

FORMAT = OpenApiParameter("format", OpenApiTypes.STR, enum=list(exports.FORMATS), default="csv")
IDS = OpenApiParameter(
    "ids", OpenApiTypes.STR, description="Comma-separated record ids (others are left out)."
)
FIELDS = OpenApiParameter(
    "fields",
    OpenApiTypes.STR,
    description="Comma-separated columns in order, e.g. `name,phone,custom.level`; "
    "default: the usual fields and every custom field.",
)
EXPORT_FILTERS = [p for p in LIST_FILTERS if p.name != "deleted"]
FILE_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY, "The CSV (UTF-8 with BOM) when format=csv."
    ),
    (200, exports.CONTENT_TYPES["xlsx"]): OpenApiResponse(
        OpenApiTypes.BINARY, "The workbook when format=xlsx."
    ),
}


def parse_ids(raw: str | None) -> list[int] | None:
    if raw is None or not raw.strip():
        return None
    ids = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= MAX_ID:
            raise ValidationError({"ids": [_("Give record ids separated by commas.")]})
        ids.append(int(part))
    if len(ids) > exports.export_cap():
        raise ValidationError(
            {
                "ids": [
                    _("Give at most %(cap)d ids: that is the most one export may hold.")
                    % {"cap": exports.export_cap()}
                ]
            }
        )
    return ids


def parse_fields(raw: str | None) -> list[str] | None:
    if raw is None or not raw.strip():
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def _client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def file_response(export: exports.ExportFile):
    if export.format == "csv":
        response = StreamingHttpResponse(export.csv_chunks(), content_type=export.content_type)
    else:
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        export.write_xlsx(handle)
        handle.seek(0)
        response = FileResponse(handle, content_type=export.content_type)
    response["Content-Disposition"] = export.content_disposition()
    response["Cache-Control"] = "no-store"
    return response


class ExportView(APIView):
    """GET …/export: the filtered list or the chosen ids, as a file."""

    model: type
    calls = False

    def perform_content_negotiation(self, request, force=False):
        # `format` here names the file's format, not a DRF renderer; errors are JSON.
        return (JSONRenderer(), JSONRenderer.media_type)

    def get(self, request):
        params = request.query_params
        format = params.get("format") or "csv"
        if params.get("deleted") not in (None, "", "false", "0"):
            raise ValidationError({"deleted": [_("Exports cover live records only.")]})
        ids = parse_ids(params.get("ids"))
        filters = {k: v for k, v in params.items() if k not in OWN_PARAMETERS}
        scope = access.scope_of(request.user)
        records = filter_records(
            self.model.objects.all(),
            {k: v for k, v in filters.items() if k != "deleted"},
            self.model,
            scope=scope,
        )
        options = {
            "by": request.user,
            "model": self.model,
            "records": records,
            "ids": ids,
            "format": format,
            "filters": filters,
            "address": _client_address(request),
        }
        if self.calls:
            export = exports.export_calls(**options)
        else:
            export = exports.export_records(**options, fields=parse_fields(params.get("fields")))
        return file_response(export)


def described(*, entity: str, calls: bool = False):
    """The OpenAPI description of one export endpoint: its parameters and file types."""
    what = f"the call records of {entity}s" if calls else f"{entity}s"
    own = [FORMAT, IDS] if calls else [FORMAT, FIELDS, IDS]
    return extend_schema(
        operation_id=f"{entity}s_{'calls_' if calls else ''}export",
        parameters=[*own, *EXPORT_FILTERS],
        responses=FILE_RESPONSES,
        description=f"Export {what} you may see: the filtered list, or `ids`. Contact "
        "details as you see them (masked or hidden per the pool); cells a spreadsheet "
        "would run as formulas start with an apostrophe. 400 past the export cap "
        "(LEADPOOL_EXPORT_CAP, default 2,000 rows), saying the cap.",
    )


class LeadExportView(ExportView):
    model = Lead

    @described(entity="lead")
    def get(self, request):
        return super().get(request)


class LeadCallsExportView(ExportView):
    model = Lead
    calls = True

    @described(entity="lead", calls=True)
    def get(self, request):
        return super().get(request)


class CustomerExportView(ExportView):
    model = Customer

    @described(entity="customer")
    def get(self, request):
        return super().get(request)
