"""Coalescing reactor wake-ups: one flag per partition in the broker's Redis says "a wake-up is
queued for it, or its pump is running", so a burst of commits sends one message, not one each.

A sender raises the flag before sending and sends only if it was down. The pump that message
starts keeps it raised while it works (it reads the events of commits meanwhile), then lowers it
and peeks once more: a commit before the lowering is read by that pump, a commit after it sends a
new message. A flag whose message or pump was lost expires (and beat pumps every partition
meanwhile), so the worst a lost message or a killed worker costs is a short delay.

Without a Redis broker (another transport, or Redis unreachable) nothing coalesces: every wake-up
is sent, which is only more messages.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings

log = logging.getLogger(__name__)

FLAG_SECONDS = 30
_clients: dict[str, Any] = {}


def raise_flag(reactor_name: str, partition: int) -> bool:
    """Mark a wake-up queued for the partition. False when one is queued or pumping already (no
    need to send); True when the caller should send (also when the flag cannot be read)."""
    client = _client()
    if client is None:
        return True
    try:
        return bool(client.set(_key(reactor_name, partition), 1, nx=True, ex=FLAG_SECONDS))
    except redis.RedisError:
        return True


def lower_flag(reactor_name: str, partition: int) -> None:
    """The partition's pump is done: commits from now on must wake it again."""
    client = _client()
    if client is None:
        return
    try:
        client.delete(_key(reactor_name, partition))
    except redis.RedisError:
        log.info("wake flag of %s[%s] not lowered; it expires by itself", reactor_name, partition)


def _key(reactor_name: str, partition: int) -> str:
    return f"marlin:wake:{reactor_name}:{partition}"


def _client() -> Any:
    url = settings.CELERY_BROKER_URL
    if not url or not url.startswith(("redis://", "rediss://")):
        return None
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return client
