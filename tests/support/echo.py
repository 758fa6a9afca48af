"""A test-only domain: ``Pinged`` events, a projection counting them, and a reactor that answers
each ping with one ``Echoed`` event on a fresh stream (so a double reaction would show)."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F

from marlin import projections, reactors
from marlin.eventstore.store import RecordedEvent, command_transaction
from marlin.kernel import clock
from marlin.kernel.errors import Conflict
from marlin.kernel.events import DomainEvent
from tests.support.models import PingTally


@dataclass(frozen=True)
class Pinged(DomainEvent):
    name: str
    ping_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class Echoed(DomainEvent):
    ping_id: uuid.UUID


tally = projections.register(projections.Projector("support-tally", tables=[PingTally]))


@tally.on(Pinged)
def _count(event: Pinged, recorded: RecordedEvent) -> None:
    updated = PingTally.objects.filter(name=event.name).update(count=F("count") + 1, last_at=event.at)
    if not updated:
        PingTally.objects.create(name=event.name, count=1, last_at=event.at)


echo = reactors.register(reactors.Reactor("support-echo", partitions=2))

# Names whose echo crashes (a bug, not a refusal): tests put names here to poison a partition.
CRASH_ON: set[str] = set()
# Names whose echo first locks the tally row of the name they map to (waiting for it if held).
LOCKS_TALLY: dict[str, str] = {}


class EchoCrashed(RuntimeError):
    """The echo handler's bug, as a test asked for it."""


@echo.on(Pinged)
def _echo(event: Pinged, recorded: RecordedEvent) -> None:
    delay = float(os.environ.get("MARLIN_TEST_ECHO_DELAY", "0"))
    if delay:
        time.sleep(delay)
    if event.name in CRASH_ON:
        raise EchoCrashed(f"echo of {event.name!r} crashed")
    if event.name in LOCKS_TALLY:
        PingTally.objects.select_for_update().filter(name=LOCKS_TALLY[event.name]).first()
    with command_transaction() as uow:
        if event.name == "refused early":
            raise Conflict("this ping is refused before anything is written")
        if event.name == "refused after a write":
            PingTally.objects.filter(name=event.name).update(count=F("count") + 100)
            raise Conflict("this ping is refused after its tally was changed")
        uow.append(f"echo-{uuid.uuid4()}", 0, [Echoed(ping_id=event.ping_id)])
        if event.name == "refused":
            raise Conflict("this ping is refused after its echo was appended")


def ping(name: str, *, stream: str | None = None, expected_version: int = 0) -> uuid.UUID:
    """A command: one ping on a stream of its own (or the given one)."""
    ping_id = uuid.uuid4()
    with command_transaction() as uow:
        uow.append(stream or f"ping-{ping_id}", expected_version, [Pinged(name, ping_id, clock.now())])
    return ping_id
