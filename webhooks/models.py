"""Webhook tables: the endpoints (a projection of their streams) and the delivery state.

``WebhookEndpoint`` is written only by ``webhooks.projections`` and rebuilt from the log. The rest
is operational state, like a reactor's checkpoint, not a projection: the secret (a credential,
never in the log), how far each endpoint has acknowledged the log (``WebhookCursor``), and every
delivery and attempt. None of it refers to the endpoint row by a foreign key, so a rebuild of the
projection leaves the delivery history alone, and a deleted endpoint's history stays readable to
the admin.
"""

from __future__ import annotations

import uuid

from django.db import models


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True)
    url = models.CharField(max_length=2000)
    event_types = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True, default="")
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookSecret(models.Model):
    """The key an endpoint's deliveries are signed with. Signing needs the key itself, so it is
    kept as issued; it is shown once, at registration, and never logged or put in an event."""

    endpoint_id = models.UUIDField(primary_key=True)
    secret = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"secret of {self.endpoint_id}"


class WebhookCursor(models.Model):
    """How far one endpoint has acknowledged the log, and who is delivering to it now.

    ``position`` only moves when an event was answered with a 2xx (or when the cursor starts, at
    the endpoint's registration), so a failing event holds back every later one. A sender takes
    the lease (``lease_until``, ``lease_token``) with a conditional UPDATE instead of a row lock,
    because no lock may be held while it waits on the receiver.
    """

    endpoint_id = models.UUIDField(primary_key=True)
    position = models.BigIntegerField()
    lease_until = models.DateTimeField(null=True)
    lease_token = models.UUIDField(null=True)

    def __str__(self) -> str:
        return f"{self.endpoint_id} at {self.position}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # due at next_attempt_at
    DELIVERED = "delivered"  # answered with a 2xx
    FAILED = "failed"  # given up after the retry window (the endpoint was disabled)


class WebhookDelivery(models.Model):
    """One event for one endpoint: the in-order delivery, or a replay that ops asked for."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    endpoint_id = models.UUIDField()
    position = models.BigIntegerField(help_text="The event's position in the log.")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=80)
    replay_of = models.ForeignKey("self", null=True, on_delete=models.SET_NULL, related_name="replays")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True)
    failing_since = models.DateTimeField(null=True, help_text="First failure of this retry window.")
    failures = models.PositiveIntegerField(default=0, help_text="Failed attempts in this retry window.")
    delivered_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-position"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint_id", "position"],
                condition=models.Q(replay_of__isnull=True),
                name="webhook_delivery_once_in_order",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint_id", "-created_at"], name="webhook_delivery_by_endpoint"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} to {self.endpoint_id}: {self.status}"


class WebhookAttempt(models.Model):
    """One POST: what came back (status code) or what went wrong (error), and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True)
    error = models.CharField(max_length=300, blank=True, default="")
    succeeded = models.BooleanField()

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
