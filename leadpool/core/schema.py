"""The OpenAPI schema's error responses, added to every operation in one place.

Every operation may answer 400 (`{"errors"}`), 401, 403 and 429 (`{"detail"}`); those
with an id in the path also 404, those that take a body also 413 (too large) and 415
(not JSON). Views only describe their successes and any other status, so the published
schema tells the truth about errors without repeating it.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; `non_field_errors` for the request as a whole.",
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        standard = {
            "400": OpenApiResponse(ErrorsSerializer, "Bad input."),
            "403": OpenApiResponse(DetailSerializer, "You may not do this."),
            "429": OpenApiResponse(DetailSerializer, "Too many requests; see Retry-After."),
        }
        if self.get_auth():
            standard["401"] = OpenApiResponse(DetailSerializer, "Not signed in.")
        if self.method in ("POST", "PUT", "PATCH"):
            standard["413"] = OpenApiResponse(DetailSerializer, "The request body is too large.")
            standard["415"] = OpenApiResponse(DetailSerializer, "Send JSON.")
        if "{" in self.path:
            standard["404"] = OpenApiResponse(
                DetailSerializer, "No such record, or outside your scope."
            )
        for code, response in standard.items():
            current = responses.get(code)
            if current is None or "content" not in current:
                description = (current or {}).get("description") or response.description
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response.response, description), code, direction=direction
                )
        return responses
