"""Deliveries to a real HTTP receiver on 127.0.0.1: down, failing, too slow, then well again.

The clock is pinned and moved by hand, so retries fall due without waiting; the HTTP is real.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings

from marlin import projections
from marlin.eventstore.models import Event
from marlin.kernel import clock
from tasks.commands import project_create, project_pause, project_resume
from tests.factories import make_project, make_user
from tests.support import services
from tests.webhooks.receiver import Receiver
from webhooks import commands, deliveries
from webhooks.domain import signature_header
from webhooks.jobs import deliver_webhooks_job
from webhooks.models import DeliveryStatus, WebhookCursor, WebhookDelivery, WebhookEndpoint
from webhooks.sending import Outcome

pytestmark = pytest.mark.django_db
TYPES = ["ProjectCreated", "ProjectPaused", "ProjectResumed"]
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Clock:
    """The pinned time of the test, moved forward by hand."""

    def __init__(self) -> None:
        self.now = START

    def advance(self, **delta: float) -> Iterator[None]:
        self.now += timedelta(**delta)
        return clock.pinned_at(self.now)

    def at(self) -> Any:
        return clock.pinned_at(self.now)


def deliver_until_idle(endpoint_id: Any) -> int:
    total = 0
    while attempts := deliveries.deliver_endpoint(endpoint_id):
        total += attempts
        if WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING).exists():
            break  # a failure waits for its retry time
    return total


def matching_events(after: int) -> list[Event]:
    return list(Event.objects.filter(position__gt=after, type__in=TYPES).order_by("position"))


def test_a_receiver_down_then_failing_then_slow_then_well_gets_every_event_once_in_log_order(
    local_targets: Any, receiver: Receiver
) -> None:
    time = Clock()
    with time.at():
        registered = commands.webhook_register(actor_id=None, url=receiver.url, events=TYPES)
        endpoint_id = registered.endpoint.id
        registered_at = Event.objects.get(type="WebhookEndpointRegistered").position
        first = make_project(name="First")
        make_user("contributor")  # not subscribed: never sent
        project_pause(actor_id=None, project_id=first.id)

        # Down: nothing listens. The first event is tried and fails; the later one waits.
        assert deliveries.deliver_endpoint(endpoint_id) == 1
        assert deliveries.deliver_endpoint(endpoint_id) == 0  # not due again yet
    with time.advance(minutes=5):
        assert deliveries.deliver_endpoint(endpoint_id) == 1
        project_resume(actor_id=None, project_id=first.id)  # events keep coming meanwhile

    receiver.up(status=500)
    with time.advance(minutes=5):
        assert deliveries.deliver_endpoint(endpoint_id) == 1
        project_create(actor_id=None, fields={"name": "Second", "instructions": "x"})

    receiver.up(status=200, delay=1.0)  # answers only after the 0.3 s timeout
    with time.advance(minutes=5):
        assert deliveries.deliver_endpoint(endpoint_id) == 1

    receiver.up(status=200)
    with time.advance(minutes=5):
        deliver_until_idle(endpoint_id)
        second = make_project(name="Third")
        project_pause(actor_id=None, project_id=second.id)
        deliver_until_idle(endpoint_id)

    expected = [str(event.event_id) for event in matching_events(registered_at)]
    assert len(expected) == 6
    # Every matching event, in log order, none missing, each acknowledged exactly once.
    assert receiver.acknowledged_ids() == expected
    # Before the receiver was well, every try was the first event again, with the same id.
    tries_before = [r for r in receiver.received if not r.acknowledged]
    assert [r.answered for r in tries_before] == [500, None]
    assert {r.event_id for r in tries_before} == {expected[0]}
    for request in receiver.received:
        assert request.payload["id"] == request.event_id
        timestamp = int(request.signature.split(",")[0].removeprefix("t="))
        assert request.signature == signature_header(registered.secret, timestamp, request.body)
    first_delivery = WebhookDelivery.objects.get(endpoint_id=endpoint_id, event_id=expected[0])
    attempts = list(first_delivery.attempts.order_by("number"))
    assert [a.status_code for a in attempts] == [None, None, 500, None, 200]
    assert "ConnectError" in attempts[0].error
    assert attempts[3].error == "no answer within 0.3 s"
    assert 250 <= attempts[3].duration_ms < 1000
    assert first_delivery.status == DeliveryStatus.DELIVERED
    assert WebhookEndpoint.objects.get(pk=endpoint_id).active


def test_the_body_is_the_event_with_its_stable_id(local_targets: Any, receiver: Receiver) -> None:
    receiver.up()
    registered = commands.webhook_register(actor_id=None, url=receiver.url, events=["ProjectCreated"])
    project = make_project(name="Body")

    deliver_until_idle(registered.endpoint.id)

    event = Event.objects.get(type="ProjectCreated")
    [request] = receiver.received
    assert request.payload == {
        "id": str(event.event_id),
        "type": "ProjectCreated",
        "occurred_at": event.recorded_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    assert request.payload["data"]["project_id"] == str(project.id)


def test_a_day_of_failures_disables_the_endpoint_with_an_event_until_ops_enable_it(
    local_targets: Any, receiver: Receiver
) -> None:
    local_targets.CELERY_BROKER_URL = ""  # the sweep delivers in-process, as in the embedded mode
    local_targets.MARLIN_WEBHOOK_BACKOFF_SECONDS = 10.0
    local_targets.MARLIN_WEBHOOK_BACKOFF_MAX_SECONDS = 3600.0  # the defaults: a few dozen tries a day
    time = Clock()
    with time.at():
        registered = commands.webhook_register(actor_id=None, url=receiver.url, events=TYPES)
        endpoint_id = registered.endpoint.id
        project = make_project(name="Never heard")
        project_pause(actor_id=None, project_id=project.id)
        failing = Event.objects.get(type="ProjectCreated")
        deliveries.deliver_endpoint(endpoint_id)
    tries = 1
    while WebhookEndpoint.objects.get(pk=endpoint_id).active:
        delivery = WebhookDelivery.objects.get(endpoint_id=endpoint_id)
        time.now = delivery.next_attempt_at
        with time.at():
            assert deliveries.deliver_endpoint(endpoint_id) == 1
        tries += 1
        assert tries < 60

    assert time.now - START >= timedelta(hours=24)
    assert time.now - START < timedelta(hours=25)
    disabled = Event.objects.get(type="WebhookEndpointDisabled")
    assert disabled.data == {
        "endpoint_id": str(endpoint_id),
        "reason": "failing",
        "event_id": str(failing.event_id),
        "failing_since": START.isoformat(),
    }
    delivery = WebhookDelivery.objects.get(endpoint_id=endpoint_id)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts.count() == tries
    assert WebhookEndpoint.objects.get(pk=endpoint_id).disabled_reason == "failing"
    with time.advance(hours=1):
        assert deliveries.deliver_endpoint(endpoint_id) == 0  # disabled: nothing is tried
        assert deliver_webhooks_job() == 0

    # Ops enable it again: the event that failed is tried first, then the rest, in order.
    receiver.up()
    with time.advance(hours=1):
        commands.webhook_update(actor_id=None, endpoint_id=endpoint_id, fields={"active": True})
        assert deliver_webhooks_job() == 2  # the in-process sweep, as the embedded mode runs it
    assert receiver.acknowledged_ids() == [str(e.event_id) for e in matching_events(0)]
    assert Event.objects.filter(type="WebhookEndpointEnabled").count() == 1
    assert projections.compare_with_rebuild() == {}


def test_replay_sends_the_event_again_with_its_id_outside_the_order(
    local_targets: Any, receiver: Receiver
) -> None:
    receiver.up()
    registered = commands.webhook_register(actor_id=None, url=receiver.url, events=["ProjectCreated"])
    make_project(name="Again")
    deliver_until_idle(registered.endpoint.id)
    original = WebhookDelivery.objects.get()

    replay = commands.webhook_delivery_replay(
        actor_id=None, endpoint_id=registered.endpoint.id, delivery_id=original.id
    )
    deliver_until_idle(registered.endpoint.id)

    replay.refresh_from_db()
    assert replay.status == DeliveryStatus.DELIVERED
    assert replay.replay_of_id == original.id
    assert receiver.acknowledged_ids() == [str(original.event_id)] * 2
    assert Event.objects.filter(type="WebhookReplayRequested").count() == 1


def test_a_target_that_became_private_is_refused_at_send_time(local_targets: Any, receiver: Receiver) -> None:
    receiver.up()
    registered = commands.webhook_register(actor_id=None, url=receiver.url, events=["ProjectCreated"])
    make_project(name="Rebound")
    local_targets.MARLIN_WEBHOOK_ALLOW_PRIVATE = False  # as if the name now resolved to 127.0.0.1

    deliveries.deliver_endpoint(registered.endpoint.id)

    assert receiver.received == []
    attempt = WebhookDelivery.objects.get().attempts.get()
    assert attempt.error.startswith("webhook_target_private:")


@pytest.mark.worker
@pytest.mark.postgres_only
def test_a_celery_worker_with_beat_delivers_with_nobody_asking(start_worker: Any, receiver: Receiver) -> None:
    start_worker(
        concurrency=2,
        beat=True,
        env={"MARLIN_WEBHOOK_ALLOW_PRIVATE": "1", "MARLIN_WEBHOOK_SWEEP_SECONDS": "0.5"},
    )
    receiver.up()
    with override_settings(MARLIN_WEBHOOK_ALLOW_PRIVATE=True):
        commands.webhook_register(actor_id=None, url=receiver.url, events=TYPES)
    project = make_project(name="Watched by a worker")
    project_pause(actor_id=None, project_id=project.id)
    project_resume(actor_id=None, project_id=project.id)

    services.wait_until(lambda: len(receiver.acknowledged_ids()) >= 3, timeout=60, what="3 deliveries")

    assert receiver.acknowledged_ids() == [str(e.event_id) for e in matching_events(0)]


def test_one_sender_at_a_time_and_an_acknowledgement_moves_the_cursor_once(
    local_targets: Any, receiver: Receiver
) -> None:
    receiver.up()
    time = Clock()
    with time.at():
        registered = commands.webhook_register(actor_id=None, url=receiver.url, events=["ProjectCreated"])
        endpoint_id = registered.endpoint.id
        make_project(name="Contended")
        assert deliveries._take_lease(endpoint_id, uuid.uuid4())  # another sender is on it

        assert deliveries.deliver_endpoint(endpoint_id) == 0
        assert deliveries.endpoints_with_work() == []
        assert receiver.received == []
    with time.advance(minutes=5):  # that sender died: its lease runs out
        assert deliveries.endpoints_with_work() == [endpoint_id]
        assert deliveries.deliver_endpoint(endpoint_id) == 1
        delivery = WebhookDelivery.objects.get()
        cursor = WebhookCursor.objects.get(pk=endpoint_id).position
        # A late sender records a second 2xx for the same delivery: an attempt, nothing more.
        deliveries._record(delivery.pk, Outcome(200, "", 5), attempted_at=time.now, in_order=True)

    assert WebhookCursor.objects.get(pk=endpoint_id).position == cursor == delivery.position
    assert WebhookDelivery.objects.get().attempts.count() == 2
    assert receiver.acknowledged_ids() == [str(delivery.event_id)]
    assert deliveries.deliver_endpoint(endpoint_id) == 0  # nothing left to send
