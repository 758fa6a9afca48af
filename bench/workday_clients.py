"""The workday's people: contributors and reviewers as REST clients, in a process of their own.

This module runs in the driver process the workday spawns, apart from the server's processes and
from the harness: it imports no Django, only httpx, and talks to gunicorn over real sockets with
real tokens (each person signs in with ``POST auth/token/``). Every request's endpoint, status and
time go back to the harness, which judges them.

The mix, per person, as fast as the server answers (no think time):
- a contributor claims in the workday's project and submits a judgment; every fifth round, and
  whenever nothing is open, they look for their tasks a reviewer sent back and revise them;
- a reviewer lists their pending reviews and decides each: mostly approve; on a first version at
  layer 1, 8% request changes and 4% reject (reasons and feedback as the contract requires).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

CLAIM = "POST tasks/claim/"
SUBMIT = "POST tasks/{id}/submissions/"
RETURNED = "GET tasks/?status=changes_requested"
PENDING = "GET reviews/?status=pending"
DECIDE = "POST reviews/{id}/decision/"
ENDPOINTS = (CLAIM, SUBMIT, RETURNED, PENDING, DECIDE)
# The answers that are a write taking effect (claims 201, submissions 201, decisions 200).
WRITES = {(CLAIM, 201), (SUBMIT, 201), (DECIDE, 200)}

RATIONALE = "A handles the empty list and runs in O(n log n); B mutates its input and fails on duplicates."
FEEDBACK = "B is scored too high on correctness; justify the strength with a failing input."


@dataclass(frozen=True)
class Config:
    base_url: str  # http://127.0.0.1:PORT/api/v1
    project: str
    criteria: tuple[str, ...]
    contributors: tuple[str, ...]
    reviewers: tuple[str, ...]
    password: str
    seconds: float
    seed: int = 12


@dataclass
class Log:
    """Requests as (endpoint, status, milliseconds); status 0 is no answer at all."""

    requests: list[tuple[str, int, float]] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0


class Person:
    """One signed-in client. Requests are timed from send to the whole body read."""

    def __init__(self, config: Config, token: str, log: Log, lock: threading.Lock, writes: Any) -> None:
        self.config = config
        self.http = httpx.Client(
            base_url=config.base_url, timeout=60, headers={"Authorization": f"Token {token}"}
        )
        self.log = log
        self.lock = lock
        self.writes = writes
        self.deadline = 0.0

    def call(self, method: str, endpoint: str, path: str, body: Any = None) -> httpx.Response | None:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {}
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError:
            self._record(endpoint, 0, started)
            return None
        self._record(endpoint, response.status_code, started)
        return response

    def _record(self, endpoint: str, status: int, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.log.requests.append((endpoint, status, elapsed))
        if (endpoint, status) in WRITES:
            with self.writes.get_lock():
                self.writes.value += 1

    def working(self) -> bool:
        return time.monotonic() < self.deadline


class Contributor(Person):
    def judgment(self, rng: random.Random) -> dict[str, Any]:
        return {
            "preference": rng.choice("AB"),
            "strength": rng.randint(1, 3),
            "scores": {c: {"a": rng.randint(3, 5), "b": rng.randint(1, 4)} for c in self.config.criteria},
            "rationale": RATIONALE,
            "time_spent_minutes": rng.randint(10, 60),
        }

    def submit(self, task: str, rng: random.Random) -> None:
        self.call("POST", SUBMIT, f"tasks/{task}/submissions/", self.judgment(rng))

    def revise_returned(self, rng: random.Random) -> None:
        response = self.call("GET", RETURNED, "tasks/?status=changes_requested")
        if response is None or response.status_code != 200:
            return
        for task in response.json()["results"]:
            if not self.working():
                return
            self.submit(task["id"], rng)

    def work(self, rng: random.Random) -> None:
        rounds = 0
        while self.working():
            rounds += 1
            if rounds % 5 == 0:
                self.revise_returned(rng)
            response = self.call("POST", CLAIM, "tasks/claim/", {"project": self.config.project})
            if response is None:
                time.sleep(0.2)
            elif response.status_code == 201:
                if self.working():
                    self.submit(response.json()["id"], rng)
            elif response.status_code == 409 and response.json().get("code") == "claim_held":
                self.submit(response.json()["details"]["task"], rng)  # a claim left by a timeout
            elif response.status_code == 204:
                self.revise_returned(rng)
                time.sleep(0.5)
            else:
                time.sleep(0.2)


class Reviewer(Person):
    def decision(self, review: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        roll = rng.random()
        if review["layer"] == 1 and review["submission_version"] == 1 and roll < 0.12:
            kind = "request_changes" if roll < 0.08 else "reject"
            return {"decision": kind, "feedback": FEEDBACK, "reasons": ["inconsistent_scores"]}
        return {"decision": "approve", "feedback": ""}

    def work(self, rng: random.Random) -> None:
        while self.working():
            response = self.call("GET", PENDING, "reviews/?status=pending")
            reviews = (
                response.json()["results"] if response is not None and response.status_code == 200 else []
            )
            if not reviews:
                time.sleep(0.25)
                continue
            for review in reviews:
                if not self.working():
                    return
                path = f"reviews/{review['id']}/decision/"
                answer = self.call("POST", DECIDE, path, self.decision(review, rng))
                if answer is not None and answer.status_code == 409 and "max_revisions" in answer.text:
                    self.call("POST", DECIDE, path, {"decision": "approve", "feedback": ""})


def sign_in(config: Config, username: str) -> str:
    """A real token, as a client gets one (not part of the measured window)."""
    response = httpx.post(
        f"{config.base_url}/auth/token/",
        json={"username": username, "password": config.password},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["token"]


def drive(
    config: Config,
    writes: Any,
    started: Any,
    *,
    kinds: tuple[type[Contributor], type[Reviewer]] = (Contributor, Reviewer),
    log: Log | None = None,
) -> Log:
    """Sign everyone in, then let them work for ``config.seconds``; returns every request.
    ``kinds``: the contributor and reviewer classes (the fault run's retry as clients should)."""
    log = log if log is not None else Log()
    lock = threading.Lock()
    contributor, reviewer = kinds
    people: list[Person] = [
        contributor(config, sign_in(config, name), log, lock, writes) for name in config.contributors
    ]
    people += [reviewer(config, sign_in(config, name), log, lock, writes) for name in config.reviewers]
    log.started = time.time()
    deadline = time.monotonic() + config.seconds
    for person in people:
        person.deadline = deadline
    started.set()
    threads = [
        threading.Thread(target=person.work, args=(random.Random(config.seed * 1000 + i),), daemon=True)
        for i, person in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.finished = time.time()
    for person in people:
        person.http.close()
    return log


def main(config: Config, writes: Any, started: Any, answers: Any) -> None:
    """The driver process's entry point: the log goes back through ``answers`` (a pipe)."""
    try:
        answers.send(("ok", drive(config, writes, started)))
    except BaseException as error:  # noqa: BLE001 - the harness must hear of it, whatever it is
        import traceback

        answers.send(("error", f"{error!r}\n{traceback.format_exc()}"))
