from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def local_targets(settings: Any) -> Any:
    """Deliveries to the test's own receiver on 127.0.0.1, with short timeouts and backoff."""
    settings.MARLIN_WEBHOOK_ALLOW_PRIVATE = True
    settings.MARLIN_WEBHOOK_TIMEOUT_SECONDS = 0.3
    settings.MARLIN_WEBHOOK_BACKOFF_SECONDS = 1.0
    settings.MARLIN_WEBHOOK_BACKOFF_MAX_SECONDS = 60.0
    settings.MARLIN_WEBHOOK_RETRY_HOURS = 24.0
    return settings
