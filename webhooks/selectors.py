"""Reads of webhook endpoints and their deliveries (ops only)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from marlin.kernel.errors import InvalidInput, NotFound
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def endpoints_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("created_at", "id")


def endpoint_get(endpoint_id: UUID) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


def deliveries_list(endpoint_id: UUID, *, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, each with every attempt."""
    endpoint_get(endpoint_id)
    query = WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
    if status:
        if status not in DeliveryStatus.values:
            raise InvalidInput(fields={"status": [f"must be one of {list(DeliveryStatus.values)}"]})
        query = query.filter(status=status)
    return query.order_by("-created_at", "-position", "id").prefetch_related("attempts")
