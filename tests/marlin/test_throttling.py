"""Request rates counted in the shared Redis cache: one round trip a request, no request uncounted."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from marlin.api.throttling import UserRateThrottle
from tests.factories import client_for, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]


@pytest.fixture
def redis_cache(settings, broker_url: str) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker_url}
    }
    cache.clear()


def _person(pk: int) -> Any:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=pk), META={}, headers={})


def test_the_request_over_the_rate_is_429_with_the_time_left_in_its_window(redis_cache, monkeypatch) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "2/minute"})
    client = client_for(make_user())

    responses = [client.get("/api/v1/me/") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[2].json()["error"]["code"] == "throttled"
    assert 0 < int(responses[2]["Retry-After"]) <= 60


def test_concurrent_requests_are_each_counted(redis_cache, monkeypatch) -> None:
    # DRF's list of request times is read and written back: two requests at once may both pass
    # on the same count. An increment cannot lose one.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "20/minute"})
    start = threading.Barrier(8)
    allowed: list[bool] = []
    lock = threading.Lock()

    def ask(times: int) -> None:
        start.wait()
        for _ in range(times):
            answer = UserRateThrottle().allow_request(_person(4242), view=None)
            with lock:
                allowed.append(answer)

    threads = [threading.Thread(target=ask, args=(5,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == 40
    assert allowed.count(True) == 20


def test_a_new_window_allows_requests_again_and_people_are_counted_apart(redis_cache, monkeypatch) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/second"})
    ask = [UserRateThrottle().allow_request(_person(7), view=None) for _ in range(3)]
    other = UserRateThrottle().allow_request(_person(8), view=None)
    refused = UserRateThrottle()
    assert refused.allow_request(_person(7), view=None) is False
    assert 0 < refused.wait() <= 1

    time.sleep(1.1)

    assert ask == [True, True, False]
    assert other is True
    assert UserRateThrottle().allow_request(_person(7), view=None) is True


def test_a_request_rate_left_by_drfs_own_throttle_does_not_break_counting(redis_cache, monkeypatch) -> None:
    # Before the upgrade DRF kept a pickled list of request times under the throttle's key.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    cache.set("throttle_user_9", [time.time()], 60)

    answers = [UserRateThrottle().allow_request(_person(9), view=None) for _ in range(3)]

    assert answers == [True, True, False]
