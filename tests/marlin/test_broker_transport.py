"""A worker survives Redis going away while it holds unacknowledged messages (kombu's close race)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from kombu import Connection
from kombu.transport import redis as kombu_redis

from marlin import broker_transport

pytestmark = pytest.mark.postgres_only  # the pass that has Redis


def _close_after_the_transport_was_detached(broker_url: str, transport: type) -> None:
    """What Celery does after a lost broker: the channel closed again once kombu detached it."""
    connection = Connection(broker_url, transport=transport)
    queue = connection.SimpleQueue("marlin-broker-transport-test")
    try:
        queue.put({"event": 1})
        queue.get(timeout=2)  # delivered and not acknowledged, as under acks_late
        channel: Any = queue.channel
        assert channel.qos._delivered, "the message must be held unacknowledged"
        channel._disconnect_pools()
        connection._do_close_transport()
        connection.maybe_close_channel(channel)
    finally:
        connection.release()


def test_kombus_own_transport_crashes_closing_a_detached_channel(broker_url: str) -> None:
    """The failure this module exists for; if kombu fixes it, this test says the shim can go."""
    with pytest.raises(AttributeError):
        _close_after_the_transport_was_detached(broker_url, kombu_redis.Transport)


def test_marlins_transport_closes_a_detached_channel_as_a_lost_connection(broker_url: str) -> None:
    _close_after_the_transport_was_detached(broker_url, broker_transport.Transport)


def test_marlins_transport_still_carries_messages(broker_url: str) -> None:
    with Connection(broker_url, transport=broker_transport.Transport) as connection:
        queue = connection.SimpleQueue("marlin-broker-transport-test")
        queue.put({"event": 2})
        message = queue.get(timeout=2)
        message.ack()
        assert message.payload == {"event": 2}
        queue.close()


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("redis://127.0.0.1:6379/0", "marlin.broker_transport:Transport"),
        ("rediss://cache.example:6380/0", "marlin.broker_transport:Transport"),
        ("amqp://guest@rabbit//", None),
        (None, None),
    ],
)
def test_redis_brokers_use_marlins_transport_and_others_keep_the_default(
    url: str | None, transport: str | None
) -> None:
    assert broker_transport.transport_for(url) == transport


def test_a_process_configured_with_a_redis_broker_connects_through_marlins_transport(
    broker_url: str,
) -> None:
    """As the worker and beat start: settings from the environment, then the Celery app."""
    probe = (
        "import django; django.setup(); from marlin.celery import app; "
        "connection = app.connection_for_write(); print(type(connection.transport).__module__)"
    )
    environment = {**os.environ, "CELERY_BROKER_URL": broker_url, "DJANGO_SETTINGS_MODULE": "marlin.settings"}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "marlin.broker_transport"
