"""Serializer building blocks shared by every app's API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not know (a typo is a 400, not a no-op)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """Validate ``data`` with ``serializer_class`` (400 on failure) and return the clean values."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ErrorBody(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="stable and machine-readable, e.g. request_too_large")
    message = serializers.CharField()
    fields = serializers.DictField(help_text="each offending input field and its messages")
    request_id = serializers.CharField(allow_null=True)
    details = serializers.DictField(
        required=False,
        help_text="machine-readable context, only when the refusal has some: e.g. the task a "
        "claim_held refers to, the skills a missing_skill lacks, the rule a refused reassignment broke",
    )


class ErrorOutput(serializers.Serializer):
    """The one shape of every error (``marlin.api.errors``), for the OpenAPI schema."""

    error = ErrorBody()
