"""Webhook commands: register, change, delete an endpoint; replay a delivery; give up on one.

The target's host is resolved (and refused when it is internal) before the command transaction
opens, so no transaction waits on DNS. The secret is issued here and kept outside the log.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from marlin.eventstore.store import UnitOfWork, command_transaction, load_aggregate
from marlin.kernel import clock
from marlin.kernel.errors import NotFound
from marlin.kernel.events import event_types
from webhooks.domain import (
    EndpointSettings,
    EndpointState,
    WebhookEndpointEnabled,
    clean_event_types,
    decide_delete,
    decide_disable_failing,
    decide_register,
    decide_replay,
    decide_update,
    evolve,
    webhook_stream,
)
from webhooks.models import (
    DeliveryStatus,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
)
from webhooks.targets import check_target

SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class RegisteredEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def webhook_register(
    *, actor_id: int | None, url: str, events: list[str], description: str = ""
) -> RegisteredEndpoint:
    """Register an endpoint for some event types; it gets the matching events recorded from now on."""
    check_target(url)
    endpoint_settings = EndpointSettings(url, clean_event_types(events, event_types()), description)
    endpoint_id = uuid.uuid4()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with command_transaction(actor_id=actor_id) as uow:
        new = decide_register(EndpointState(), endpoint_id=endpoint_id, settings=endpoint_settings)
        uow.append(webhook_stream(endpoint_id), 0, new)
        WebhookSecret.objects.create(endpoint_id=endpoint_id, secret=secret)
    return RegisteredEndpoint(WebhookEndpoint.objects.get(pk=endpoint_id), secret)


def webhook_update(*, actor_id: int | None, endpoint_id: UUID, fields: Mapping[str, Any]) -> WebhookEndpoint:
    """Change the URL, event types or description, or turn the endpoint off or on (``active``).

    Turned on again, the endpoint resumes where it stopped, with a new retry window for the event
    that failed.
    """
    changes: dict[str, Any] = {}
    if "url" in fields:
        check_target(fields["url"])
        changes["url"] = fields["url"]
    if "events" in fields:
        changes["event_types"] = clean_event_types(fields["events"], event_types())
    if "description" in fields:
        changes["description"] = fields["description"]
    with command_transaction(actor_id=actor_id) as uow:
        state, version = _endpoint(endpoint_id)
        new = decide_update(state, changes=changes, active=fields.get("active"))
        if new:
            uow.append(webhook_stream(endpoint_id), version, new)
        if any(isinstance(event, WebhookEndpointEnabled) for event in new):
            _restart_retry_window(endpoint_id)
    return WebhookEndpoint.objects.get(pk=endpoint_id)


def webhook_delete(*, actor_id: int | None, endpoint_id: UUID) -> None:
    """Stop deliveries for good and forget the secret; the delivery history stays."""
    with command_transaction(actor_id=actor_id) as uow:
        state, version = _endpoint(endpoint_id)
        uow.append(webhook_stream(endpoint_id), version, decide_delete(state))
        WebhookSecret.objects.filter(pk=endpoint_id).delete()
        WebhookCursor.objects.filter(pk=endpoint_id).delete()


def webhook_delivery_replay(*, actor_id: int | None, endpoint_id: UUID, delivery_id: UUID) -> WebhookDelivery:
    """Send a delivery's event once more, soon and outside the endpoint's log order; the new
    delivery keeps the event's id, so a receiver that already has it can tell."""
    original = WebhookDelivery.objects.filter(pk=delivery_id, endpoint_id=endpoint_id).first()
    if original is None:
        raise NotFound("no such delivery for this endpoint")
    replay_id = uuid.uuid4()
    with command_transaction(actor_id=actor_id) as uow:
        state, version = _endpoint(endpoint_id)
        new = decide_replay(state, delivery_id=replay_id, event_id=original.event_id)
        uow.append(webhook_stream(endpoint_id), version, new)
        now = clock.now()
        return WebhookDelivery.objects.create(
            id=replay_id,
            endpoint_id=endpoint_id,
            position=original.position,
            event_id=original.event_id,
            event_type=original.event_type,
            replay_of=original.replay_of or original,
            created_at=now,
            next_attempt_at=now,
        )


def webhook_disable_failing(
    uow: UnitOfWork, *, endpoint_id: UUID, event_id: UUID, failing_since: datetime
) -> None:
    """Within the transaction that records the last failed attempt: disable the endpoint."""
    state, version = _endpoint(endpoint_id)
    new = decide_disable_failing(state, event_id=event_id, failing_since=failing_since)
    if new:
        uow.append(webhook_stream(endpoint_id), version, new)


def _endpoint(endpoint_id: UUID) -> tuple[EndpointState, int]:
    return load_aggregate(webhook_stream(endpoint_id), evolve, EndpointState())


def _restart_retry_window(endpoint_id: UUID) -> None:
    WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id,
        replay_of__isnull=True,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
    ).update(status=DeliveryStatus.PENDING, failing_since=None, failures=0, next_attempt_at=clock.now())
