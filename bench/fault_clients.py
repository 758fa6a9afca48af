"""The fault run's people: the workday's contributors and reviewers, as clients that ride out an
outage the way the README tells a client to.

Each write carries an ``Idempotency-Key`` kept across its attempts, and each attempt an
``X-Request-ID`` of its own (the events a write appends carry the id of the attempt that made
them, which is how the run finds out afterwards which attempt took effect). An attempt answered
503 is tried again after ``Retry-After``; one cut off with no answer at all (its API worker was
killed) is tried again at once, as is one answered 409 ``idempotency_key_in_flight``; any other
answer is final. Every attempt is logged, and every write with its attempts.

Like ``bench.workday_clients`` this runs in a process of its own and imports no Django.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench import workday_clients
from bench.workday_clients import Config

CUT_OFF = 0  # the status logged for an attempt that got no answer at all
RETRY_AFTER_CAP_S = 5.0  # Marlin says 5; never wait longer than that between attempts
CUT_OFF_PAUSE_S = 0.2
GIVE_UP_AFTER_S = 90.0  # a write still unanswered after this is reported unresolved


@dataclass
class Attempt:
    request_id: str
    status: int
    code: str = ""


@dataclass
class Write:
    """One write as its client meant it: every attempt, and the answer it settled on."""

    endpoint: str
    key: str
    attempts: list[Attempt] = field(default_factory=list)
    replayed: bool = False

    @property
    def final(self) -> int:
        return self.attempts[-1].status if self.attempts else CUT_OFF


@dataclass
class FaultLog(workday_clients.Log):
    writes: list[Write] = field(default_factory=list)
    answer_times: list[tuple[float, str, int]] = field(default_factory=list)  # (wall clock, endpoint, status)


class Steady(workday_clients.Person):
    """A person whose calls retry as a well-behaved client does (see the module's docstring)."""

    log: FaultLog

    def call(self, method: str, endpoint: str, path: str, body: Any = None) -> httpx.Response | None:
        key = str(uuid.uuid4()) if method == "POST" else None
        write = Write(endpoint, key) if key else None
        response: httpx.Response | None = None
        give_up = time.monotonic() + GIVE_UP_AFTER_S
        while True:
            response, attempt = self._attempt(method, endpoint, path, body, key)
            if write is not None:
                write.attempts.append(attempt)
            pause = _pause_before_retrying(attempt, response)
            if pause is None or time.monotonic() + pause > give_up:
                break
            time.sleep(pause)
        if write is not None:
            write.replayed = response is not None and response.headers.get("Idempotent-Replayed") == "true"
            with self.lock:
                self.log.writes.append(write)
        return response if response is not None and response.status_code < 500 else None

    def _attempt(
        self, method: str, endpoint: str, path: str, body: Any, key: str | None
    ) -> tuple[httpx.Response | None, Attempt]:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id, **({"Idempotency-Key": key} if key else {})}
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError:
            self._record(endpoint, CUT_OFF, started)
            return None, Attempt(request_id, CUT_OFF)
        self._record(endpoint, response.status_code, started)
        return response, Attempt(request_id, response.status_code, _code_of(response))

    cut_offs: Any = None  # a shared counter the fault run watches (multiprocessing.Value)

    def _record(self, endpoint: str, status: int, started: float) -> None:
        super()._record(endpoint, status, started)
        with self.lock:
            self.log.answer_times.append((time.time(), endpoint, status))
        if status == CUT_OFF and self.cut_offs is not None:
            with self.cut_offs.get_lock():
                self.cut_offs.value += 1


def _code_of(response: httpx.Response) -> str:
    if response.status_code < 400:
        return ""
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _pause_before_retrying(attempt: Attempt, response: httpx.Response | None) -> float | None:
    """How long to wait before the next attempt, or None when this answer is final."""
    if attempt.status == CUT_OFF:
        return CUT_OFF_PAUSE_S
    if attempt.status == 503:
        assert response is not None
        try:
            return min(float(response.headers.get("Retry-After", "1")), RETRY_AFTER_CAP_S)
        except ValueError:
            return 1.0
    if attempt.status == 409 and attempt.code == "idempotency_key_in_flight":
        return CUT_OFF_PAUSE_S
    return None


class SteadyContributor(Steady, workday_clients.Contributor):
    pass


class SteadyReviewer(Steady, workday_clients.Reviewer):
    pass


def drive(config: Config, writes: Any, started: Any, cut_offs: Any = None) -> FaultLog:
    """The workday's people, retrying as clients should; ``cut_offs`` counts unanswered requests."""
    log = FaultLog()
    Steady.cut_offs = cut_offs  # one driver per process: every person counts into it
    workday_clients.drive(config, writes, started, kinds=(SteadyContributor, SteadyReviewer), log=log)
    return log


def main(config: Config, writes: Any, started: Any, answers: Any, cut_offs: Any = None) -> None:
    """The driver process's entry point: the log goes back through ``answers`` (a pipe)."""
    try:
        answers.send(("ok", drive(config, writes, started, cut_offs)))
    except BaseException as error:  # noqa: BLE001 - the harness must hear of it, whatever it is
        import traceback

        answers.send(("error", f"{error!r}\n{traceback.format_exc()}"))
