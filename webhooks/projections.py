"""The endpoints projection: one row per registered, not deleted endpoint."""

from __future__ import annotations

from typing import Any

from marlin import projections
from webhooks.domain import (
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointEnabled,
    WebhookEndpointRegistered,
    WebhookEndpointUpdated,
)
from webhooks.models import WebhookEndpoint

endpoints = projections.register(projections.Projector("webhooks", tables=[WebhookEndpoint], in_memory=True))
rows = projections.rows


@endpoints.on(WebhookEndpointRegistered)
def _registered(event: WebhookEndpointRegistered, recorded: Any) -> None:
    rows(WebhookEndpoint).insert(
        id=event.endpoint_id,
        url=event.url,
        event_types=list(event.event_types),
        description=event.description,
        active=True,
        created_at=recorded.recorded_at,
    )


@endpoints.on(WebhookEndpointUpdated)
def _updated(event: WebhookEndpointUpdated, recorded: Any) -> None:
    rows(WebhookEndpoint).update({"pk": event.endpoint_id}, **event.changes)


@endpoints.on(WebhookEndpointDisabled)
def _disabled(event: WebhookEndpointDisabled, recorded: Any) -> None:
    rows(WebhookEndpoint).update({"pk": event.endpoint_id}, active=False, disabled_reason=event.reason)


@endpoints.on(WebhookEndpointEnabled)
def _enabled(event: WebhookEndpointEnabled, recorded: Any) -> None:
    rows(WebhookEndpoint).update({"pk": event.endpoint_id}, active=True, disabled_reason="")


@endpoints.on(WebhookEndpointDeleted)
def _deleted(event: WebhookEndpointDeleted, recorded: Any) -> None:
    rows(WebhookEndpoint).delete(pk=event.endpoint_id)
