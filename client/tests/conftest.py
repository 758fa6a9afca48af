"""The client's tests: a fake network (httpx.MockTransport), a private config directory, no
sleeping (the waits are recorded instead), and no Django."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from marlin_client.client import MarlinClient
from marlin_client.retry import RetryPolicy

URL = "http://marlin.test"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv("MARLIN_CONFIG_DIR", str(directory))
    monkeypatch.delenv("MARLIN_URL", raising=False)
    return directory


class Recorder:
    """Answers requests from a script of responses (or a function) and keeps every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        request.read()
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def keys(self) -> list[str | None]:
        return [request.headers.get("Idempotency-Key") for request in self.requests]


def error(status: int, code: str, **extra: Any) -> httpx.Response:
    headers = {"Retry-After": str(extra.pop("retry_after"))} if "retry_after" in extra else {}
    body = {"error": {"status": status, "code": code, "message": f"{code} happened", "fields": {}, **extra}}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Iterator[Callable[..., MarlinClient]]:
    made: list[MarlinClient] = []

    def make(recorder: Recorder, *, token: str | None = "t0ken", **policy: Any) -> MarlinClient:
        retry = RetryPolicy(random=lambda: 0.0, **policy)
        client = MarlinClient(
            URL, token, transport=httpx.MockTransport(recorder), retry=retry, sleep=sleeps.append
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)
