"""Serializer building blocks shared by every app's API."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from rest_framework import serializers


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not know (a typo is a 400, not a no-op)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


# A model's output serializer whose fields are worked out from the model once per class.
#
# DRF's ``ModelSerializer`` introspects the model and builds every field again each time it is
# instantiated: on every response and for every nested object (a twentieth of the API's CPU under
# the workday). Here the fields are built once and each instance gets fresh copies (DRF binds
# fields to their serializer), as DRF already does for declared fields. For serializers whose
# fields depend on neither the instance nor the context, as none of Marlin's do.
# (A comment, not a docstring: the schema would show a docstring as every subclass's description.)
class ModelOutput(serializers.ModelSerializer):
    _fields_built: ClassVar[dict[str, serializers.Field] | None] = None

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            cls._fields_built = built
        return copy.deepcopy(built)


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
