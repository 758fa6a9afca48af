"""Delivering the log to the endpoints: in order, at least once, signed, retried, given up on.

Each endpoint follows the log with a cursor of its own (``WebhookCursor``): the next event for it
is the first one of its types after the cursor, and the cursor moves only when that event was
answered with a 2xx. So each endpoint gets its events in log order, a failing event holds back the
later ones until it succeeds or the endpoint is disabled, and nothing is lost while a receiver is
down: the log itself is the queue. One sender at a time holds an endpoint's lease; the POST happens
with no transaction open, and its outcome is recorded afterwards in one short transaction (the
attempt, the delivery's new state, the cursor, and the disabling event if the retry window is over).

A sender that dies after the receiver answered but before the outcome is recorded sends the event
again (same event id): delivery is at least once, and receivers deduplicate by ``Marlin-Event-Id``.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Q

from marlin.eventstore.models import Event
from marlin.eventstore.store import RecordedEvent, command_transaction, read_after
from marlin.kernel import clock
from marlin.kernel.errors import InvalidInput
from marlin.kernel.events import encode
from webhooks.commands import webhook_disable_failing
from webhooks.domain import retry_delay, signature_header, webhook_stream, window_is_over
from webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
)
from webhooks.sending import Outcome, post
from webhooks.targets import check_target

log = logging.getLogger(__name__)

MAX_EVENTS_PER_RUN = 100
LEASE_MARGIN = timedelta(seconds=60)


def deliver_endpoint(endpoint_id: UUID, *, max_events: int = MAX_EVENTS_PER_RUN) -> int:
    """Send what is due for one endpoint: due replays, then its next events in log order until one
    fails, is not due yet, or ``max_events`` were tried. Returns the attempts made; 0 at once when
    another sender holds the endpoint."""
    token = uuid.uuid4()
    if not _take_lease(endpoint_id, token):
        return 0
    attempts = 0
    try:
        for replay in _due_replays(endpoint_id, limit=max_events):
            if not _renew_lease(endpoint_id, token):
                return attempts
            _attempt(replay, in_order=False)
            attempts += 1
        while attempts < max_events:
            delivery = _next_in_order(endpoint_id)
            if delivery is None or not _renew_lease(endpoint_id, token):
                break
            attempts += 1
            if not _attempt(delivery, in_order=True).succeeded:
                break
    finally:
        _release_lease(endpoint_id, token)
    return attempts


def endpoints_with_work() -> list[UUID]:
    """Active endpoints with something due and no sender on them (for the periodic job)."""
    now = clock.now()
    busy = set(WebhookCursor.objects.filter(lease_until__gte=now).values_list("endpoint_id", flat=True))
    found = []
    for endpoint_id in WebhookEndpoint.objects.filter(active=True).values_list("id", flat=True):
        if endpoint_id not in busy and (_due_replays(endpoint_id, limit=1) or _has_due_event(endpoint_id)):
            found.append(endpoint_id)
    return found


def payload(recorded: RecordedEvent) -> bytes:
    """The body: ``{id, type, occurred_at, data}``, the data in the event type's current schema."""
    body = {
        "id": str(recorded.event_id),
        "type": recorded.type,
        "occurred_at": recorded.recorded_at.isoformat().replace("+00:00", "Z"),
        "data": encode(recorded.event),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


# --- what is due -----------------------------------------------------------------------------------


def _due_replays(endpoint_id: UUID, *, limit: int) -> list[WebhookDelivery]:
    due = WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id,
        replay_of__isnull=False,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=clock.now(),
    )
    return list(due.order_by("next_attempt_at", "created_at")[:limit])


def _next_event(endpoint: WebhookEndpoint, cursor: int) -> RecordedEvent | None:
    found = read_after(cursor, limit=1, types=endpoint.event_types)
    return found[0] if found else None


def _has_due_event(endpoint_id: UUID) -> bool:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return False
    recorded = _next_event(endpoint, _cursor_position(endpoint_id))
    if recorded is None:
        return False
    waiting = WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id, position=recorded.position, replay_of__isnull=True
    ).first()
    return waiting is None or (
        waiting.status == DeliveryStatus.PENDING
        and (waiting.next_attempt_at is None or waiting.next_attempt_at <= clock.now())
    )


def _next_in_order(endpoint_id: UUID) -> WebhookDelivery | None:
    """The delivery of the endpoint's next event, if it is due now."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return None
    recorded = _next_event(endpoint, _cursor_position(endpoint_id))
    if recorded is None:
        return None
    now = clock.now()
    delivery, _ = WebhookDelivery.objects.get_or_create(
        endpoint_id=endpoint_id,
        position=recorded.position,
        replay_of=None,
        defaults={
            "event_id": recorded.event_id,
            "event_type": recorded.type,
            "created_at": now,
            "next_attempt_at": now,
        },
    )
    if delivery.status != DeliveryStatus.PENDING or (
        delivery.next_attempt_at is not None and delivery.next_attempt_at > now
    ):
        return None
    return delivery


# --- one attempt -----------------------------------------------------------------------------------


def _attempt(delivery: WebhookDelivery, *, in_order: bool) -> Outcome:
    """POST the delivery's event (no transaction open), then record what happened."""
    endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).first()
    secret = WebhookSecret.objects.filter(pk=delivery.endpoint_id).values_list("secret", flat=True).first()
    if endpoint is None or secret is None:
        return Outcome(None, "the endpoint was deleted", 0)  # nothing to record against
    recorded = RecordedEvent.from_row(Event.objects.get(position=delivery.position))
    body = payload(recorded)
    attempted_at = clock.now()
    headers = {
        "Marlin-Event-Id": str(recorded.event_id),
        "Marlin-Signature": signature_header(secret, int(attempted_at.timestamp()), body),
    }
    try:
        target = check_target(endpoint.url)  # again: the name may resolve elsewhere by now
    except InvalidInput as refusal:
        outcome = Outcome(None, f"{refusal.code}: {refusal.message}"[:300], 0)
    else:
        timeout = settings.MARLIN_WEBHOOK_TIMEOUT_SECONDS
        outcome = post(target, endpoint.url, body=body, headers=headers, timeout=timeout)
    _record(delivery.pk, outcome, attempted_at=attempted_at, in_order=in_order)
    log.info(
        "webhook %s #%s to %s: %s",
        recorded.type,
        delivery.position,
        endpoint.id,
        outcome.status_code or outcome.error,
    )
    return outcome


def _record(delivery_id: UUID, outcome: Outcome, *, attempted_at: datetime, in_order: bool) -> None:
    """Record one attempt. An acknowledgement moves the cursor once: a second recording of the
    same delivery (a sender whose lease ran out) finds it delivered and moves nothing."""
    with command_transaction() as uow:
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        number = delivery.attempts.count() + 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            attempted_at=attempted_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            succeeded=outcome.succeeded,
        )
        if delivery.status != DeliveryStatus.PENDING:
            return
        if outcome.succeeded:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = attempted_at
            delivery.next_attempt_at = None
            if in_order:
                WebhookCursor.objects.filter(pk=delivery.endpoint_id, position__lt=delivery.position).update(
                    position=delivery.position
                )
        else:
            delivery.failing_since = delivery.failing_since or attempted_at
            delivery.failures += 1
            window = timedelta(hours=settings.MARLIN_WEBHOOK_RETRY_HOURS)
            if window_is_over(delivery.failing_since, attempted_at, window=window):
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                if in_order:
                    webhook_disable_failing(
                        uow,
                        endpoint_id=delivery.endpoint_id,
                        event_id=delivery.event_id,
                        failing_since=delivery.failing_since,
                    )
            else:
                delivery.next_attempt_at = attempted_at + retry_delay(
                    delivery.failures,
                    base=settings.MARLIN_WEBHOOK_BACKOFF_SECONDS,
                    cap=settings.MARLIN_WEBHOOK_BACKOFF_MAX_SECONDS,
                )
        delivery.save()


# --- cursor and lease ------------------------------------------------------------------------------


def _cursor_position(endpoint_id: UUID) -> int:
    return WebhookCursor.objects.filter(pk=endpoint_id).values_list("position", flat=True).first() or 0


def _ensure_cursor(endpoint_id: UUID) -> None:
    """An endpoint's cursor starts at its registration: it gets the events recorded after it."""
    if WebhookCursor.objects.filter(pk=endpoint_id).exists():
        return
    registered_at = (
        Event.objects.filter(stream=webhook_stream(endpoint_id), version=1)
        .values_list("position", flat=True)
        .first()
    )
    if registered_at is not None:
        WebhookCursor.objects.bulk_create(
            [WebhookCursor(endpoint_id=endpoint_id, position=registered_at)], ignore_conflicts=True
        )


def _lease_length() -> timedelta:
    # Connecting, writing and reading may each take the whole timeout.
    return timedelta(seconds=3 * settings.MARLIN_WEBHOOK_TIMEOUT_SECONDS) + LEASE_MARGIN


def _take_lease(endpoint_id: UUID, token: UUID) -> bool:
    _ensure_cursor(endpoint_id)
    now = clock.now()
    taken = (
        WebhookCursor.objects.filter(pk=endpoint_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + _lease_length(), lease_token=token)
    )
    return taken == 1


def _renew_lease(endpoint_id: UUID, token: UUID) -> bool:
    renewed = WebhookCursor.objects.filter(pk=endpoint_id, lease_token=token).update(
        lease_until=clock.now() + _lease_length()
    )
    return renewed == 1


def _release_lease(endpoint_id: UUID, token: UUID) -> None:
    WebhookCursor.objects.filter(pk=endpoint_id, lease_token=token).update(lease_until=None, lease_token=None)
