from __future__ import annotations

from rest_framework import serializers

from marlin.api.serializers import ModelOutput, StrictInput
from webhooks.domain import MAX_EVENT_TYPES, MAX_URL_LENGTH
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

EVENTS_HELP = "event types to receive, e.g. TaskApproved (docs/events.md lists them)"


class WebhookCreateInput(StrictInput):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, help_text="http or https; public addresses only")
    events = serializers.ListField(
        child=serializers.CharField(max_length=80),
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        help_text=EVENTS_HELP,
    )
    description = serializers.CharField(max_length=500, allow_blank=True, default="")


class WebhookUpdateInput(StrictInput):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, required=False)
    events = serializers.ListField(
        child=serializers.CharField(max_length=80),
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        required=False,
        help_text=EVENTS_HELP,
    )
    description = serializers.CharField(max_length=500, allow_blank=True, required=False)
    active = serializers.BooleanField(
        required=False, help_text="false stops deliveries; true resumes them where they stopped"
    )


class WebhookOutput(ModelOutput):
    events = serializers.ListField(child=serializers.CharField(), source="event_types", read_only=True)
    disabled_reason = serializers.CharField(
        read_only=True, help_text='"ops", "failing" (a day of failed retries) or "" while active'
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "active", "description", "disabled_reason", "created_at"]


class WebhookCreatedOutput(WebhookOutput):
    secret = serializers.SerializerMethodField(help_text="signs every delivery; shown this once")

    class Meta(WebhookOutput.Meta):
        fields = [*WebhookOutput.Meta.fields, "secret"]

    def get_secret(self, endpoint: WebhookEndpoint) -> str:
        return self.context["secret"]


class AttemptOutput(ModelOutput):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "duration_ms", "status_code", "error", "succeeded"]


class DeliveryOutput(ModelOutput):
    attempts = AttemptOutput(many=True, read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    replay_of = serializers.UUIDField(source="replay_of_id", allow_null=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "position",
            "status",
            "replay_of",
            "created_at",
            "next_attempt_at",
            "failing_since",
            "delivered_at",
            "attempts",
        ]
