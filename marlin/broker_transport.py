"""Kombu's Redis transport, with one crash on a lost broker turned back into a lost connection.

When Redis goes away while a worker holds unacknowledged messages, Celery closes the broken
connection and kombu's ``Connection._close`` detaches the transport (``transport.client = None``)
even when closing a channel failed part-way. Celery's recovery then closes that channel again;
the channel tries to restore its unacknowledged messages through a new pool, reads the detached
``client`` and raises ``AttributeError``, which Celery treats as unrecoverable: the worker exits
and nothing routes or pays until someone restarts it (seen in the fault run, kombu 5.7.0).

Here the channel answers with the redis ``ConnectionError`` it would have met anyway. Kombu
ignores connection errors while closing, so Celery carries on reconnecting as it does for any
other broker outage. Nothing is lost by skipping that restore: the connection is gone, Redis
re-delivers unacknowledged messages after the visibility timeout, and a restarted Redis that
lost them is covered by the periodic pump reading the event log.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

REDIS_SCHEMES = ("redis", "rediss")


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection is already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


def transport_for(broker_url: str | None) -> str | None:
    """The transport Celery should use for ``broker_url``: this one for Redis, else the default."""
    if broker_url and urlsplit(broker_url).scheme in REDIS_SCHEMES:
        return f"{__name__}:Transport"
    return None
