"""Request rates per person (``user``) and per address (``anon``), counted in one Redis round trip.

DRF's throttles keep each client's request times as a pickled list in the cache: a read and a
write per request (two round trips, the list unpickled and pickled again every time, and two
concurrent requests may both write, losing one). With the shared Redis cache production runs,
Marlin counts instead in fixed windows: the window's key is created with its expiry if absent,
incremented, and its time to live read, in one pipelined round trip; the increment is atomic, so
no request goes uncounted. A window allows ``rate`` requests; ``Retry-After`` is the time left in
it. Without a Redis cache (the embedded default, tests), DRF's own throttles count as before.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling


class _FixedWindow:
    """Mixed into DRF's rate throttles: the same rates, scopes and keys, counted in Redis."""

    key: str | None
    duration: int
    num_requests: int
    rate: str | None
    _seconds_left: float | None = None

    @property
    def cache(self) -> Any:
        """The cache itself (DRF names a proxy of it, which is no ``RedisCache`` to look at)."""
        return caches[DEFAULT_CACHE_ALIAS]

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None or not isinstance(self.cache, RedisCache):
            return super().allow_request(request, view)  # type: ignore[misc]
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        # A key of its own: DRF's throttles kept a pickled list under ``self.key``, which an
        # INCR would refuse for the minute after an upgrade.
        key = self.cache.make_and_validate_key(f"{self.key}:window")
        client = self.cache._cache.get_client(key, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, 0, ex=self.duration, nx=True)
        pipeline.incr(key)
        pipeline.pttl(key)
        _, count, milliseconds_left = pipeline.execute()
        if count <= self.num_requests:
            return True
        self._seconds_left = max(milliseconds_left, 0) / 1000
        return False

    def wait(self) -> float | None:
        if self._seconds_left is not None:
            return self._seconds_left
        return super().wait()  # type: ignore[misc]


class UserRateThrottle(_FixedWindow, throttling.UserRateThrottle):
    """``user``: per signed-in person (and per address before sign-in, as ``anon``)."""


class AnonRateThrottle(_FixedWindow, throttling.AnonRateThrottle):
    """``anon``: per client address, for requests of nobody signed in."""
