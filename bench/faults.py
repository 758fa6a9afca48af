"""``python -m bench.faults`` (``make faults``): a workday through the HTTP API while the run breaks
what Marlin stands on, then proof that nothing was lost and nothing happened twice.

- Marlin is served as README "Production" runs it (``bench.served``: gunicorn -w 4, a Celery
  worker -c 2, beat) against a fresh database (``FAULTS_DB``, ``marlin_faults``) and Redis.
- Contributors and reviewers (``bench.fault_clients``) work from another process as well-behaved
  clients: every write keeps its ``Idempotency-Key`` across attempts, a 503 is retried after
  ``Retry-After``, a request cut off with no answer is retried at once.
- Meanwhile, on a schedule: the Celery worker is SIGKILLed with its pool (and started again, as
  a supervisor would), PostgreSQL is restarted (fast: every connection dropped), Redis is stopped
  for a few seconds (everything in it lost) and started again, and a gunicorn worker is SIGKILLed
  mid-request. Nothing else of Marlin's is restarted: gunicorn's master, beat and (between its
  kills) the worker must reconnect by themselves.
- Afterwards the review queue is worked off and the checks run: every answer was 2xx, 4xx or
  503 (each counted; requests with no answer counted apart); every write had exactly one effect,
  found by the ``X-Request-ID`` its events carry, however many attempts it took; every submission
  was routed exactly once at each layer it reached; every approval accrued exactly once, to the
  cent; ``reconcile`` and ``verify_events`` pass; the long-lived processes are the ones started at
  the beginning and still serve.

The run prints a table of the faults and the outcomes, writes it as JSON and CSV to
``bench/results/faults-latest.{json,csv}`` (and a timestamped copy), and exits non-zero if any
check fails. ``--quick`` is the reduced run the test suite makes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from tqdm import tqdm

from bench.fault_clients import CUT_OFF, FaultLog, Write
from bench.served import PORT, Services, served
from bench.workday_clients import CLAIM, DECIDE, SUBMIT, Config
from marlin.kernel.safe_csv import csv_lines

FAULTS_DB = os.environ.get("FAULTS_DB", "marlin_faults")
PASSWORD = "fault-run-passphrase"
RATE = Decimal("280.00")
API_KILLS = 5  # gunicorn workers killed at most, to cut off at least one request
WORKER_RESTART_AFTER_S = 1.0  # a supervisor's restart delay (systemd's RestartSec=1)
EFFECT_OF = {CLAIM: "TaskClaimed", SUBMIT: "JudgmentSubmitted", DECIDE: "ReviewDecided"}
ANSWERED_WITH_AN_EFFECT = {(CLAIM, 201), (SUBMIT, 201), (DECIDE, 200)}


@dataclass(frozen=True)
class Plan:
    contributors: int
    reviewers: int
    tasks: int
    seconds: float
    redis_down_s: float
    schedule: tuple[tuple[float, str], ...]  # (seconds into the load, fault)


FULL = Plan(
    contributors=40, reviewers=12, tasks=5000, seconds=75, redis_down_s=6,
    schedule=((8, "worker_killed"), (20, "postgres_restarted"), (34, "redis_stopped"),
              (50, "api_worker_killed"), (60, "worker_killed")),
)  # fmt: skip
QUICK = Plan(
    contributors=8, reviewers=3, tasks=400, seconds=30, redis_down_s=4,
    schedule=((4, "worker_killed"), (9, "postgres_restarted"), (15, "redis_stopped"),
              (24, "api_worker_killed")),
)  # fmt: skip


class FaultRunFailed(AssertionError):
    """The run could not be made (a fault could not be injected, the server never came up)."""


@dataclass
class Injected:
    """One fault: when (seconds into the load), how long what it broke was gone, and how long
    after it came back the first write succeeded."""

    fault: str
    at_s: float
    down_s: float
    detail: str
    back_at: float = 0.0  # wall clock
    first_write_after_s: float | None = None


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Report:
    plan: dict[str, Any]
    faults: list[Injected]
    answers: dict[str, int]
    writes: dict[str, int]
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)


# --- the faults ----------------------------------------------------------------------------------


class Injector:
    """Breaks things on the plan's schedule, in a thread, while the clients work."""

    def __init__(self, services: Services, plan: Plan, db_url: str, broker_url: str) -> None:
        self.services = services
        self.cut_offs: Any = None  # the clients' count of requests with no answer (shared)
        self.plan = plan
        self.db = urlparse(db_url)
        self.broker = urlparse(broker_url)
        self.injected: list[Injected] = []
        self.errors: list[str] = []
        self.started = 0.0

    def run(self, load_started: float) -> None:
        self.started = load_started
        faults: dict[str, Callable[[], tuple[float, str]]] = {
            "worker_killed": self.kill_worker,
            "postgres_restarted": self.restart_postgres,
            "redis_stopped": self.stop_redis,
            "api_worker_killed": self.kill_api_worker,
        }
        for at, fault in self.plan.schedule:
            time.sleep(max(0.0, load_started + at - time.time()))
            began = time.time()
            try:
                down_s, detail = faults[fault]()
            except Exception as error:  # noqa: BLE001 - reported, and the run fails
                self.errors.append(f"{fault}: {error!r}")
                continue
            self.injected.append(Injected(fault, round(began - load_started, 1), round(down_s, 2), detail,
                                          back_at=began + down_s))  # fmt: skip
            print(f"   fault: {fault} at {began - load_started:.1f} s, down {down_s:.1f} s", file=sys.stderr)

    def kill_worker(self) -> tuple[float, str]:
        pid = self.services.pid("worker")
        log = self.services.logs / "worker.log"
        ready_before = log.read_bytes().count(b"ready.")
        began = time.monotonic()
        self.services.kill("worker")
        time.sleep(WORKER_RESTART_AFTER_S)
        self.services.start("worker")
        _wait(lambda: log.read_bytes().count(b"ready.") > ready_before, 90, "the restarted worker")
        return time.monotonic() - began, f"celery worker {pid} and its pool SIGKILLed; started again"

    def restart_postgres(self) -> tuple[float, str]:
        command = os.environ.get("FAULTS_PG_RESTART") or _pg_restart_command()
        began = time.monotonic()
        subprocess.run(shlex.split(command), check=True, capture_output=True, timeout=120)
        _wait(self._postgres_answers, 60, "PostgreSQL")
        return time.monotonic() - began, f"{command} (fast: every connection dropped)"

    def stop_redis(self) -> tuple[float, str]:
        host, port = self.broker.hostname or "127.0.0.1", self.broker.port or 6379
        stop = os.environ.get("FAULTS_REDIS_STOP") or f"redis-cli -h {host} -p {port} shutdown nosave"
        start = os.environ.get("FAULTS_REDIS_START") or (
            f'redis-server --daemonize yes --bind {host} --port {port} --save "" --appendonly no'
        )
        began = time.monotonic()
        subprocess.run(shlex.split(stop), check=False, capture_output=True, timeout=30)
        _wait(lambda: not self._redis_answers(), 30, "Redis to stop")
        time.sleep(self.plan.redis_down_s)
        subprocess.run(shlex.split(start), check=True, capture_output=True, timeout=30)
        _wait(self._redis_answers, 30, "Redis")
        return (
            time.monotonic() - began,
            f"redis shutdown nosave (queues and flags lost), {self.plan.redis_down_s:.0f} s down",
        )

    def kill_api_worker(self) -> tuple[float, str]:
        """SIGKILL a gunicorn worker while it answers a request (one holding an accepted
        connection on the API's port). A worker may have sent its answer already when the
        signal lands; then, as for a worker that dies twice, another is killed, until a client
        was really cut off (at most ``API_KILLS``)."""
        master = self.services.pid("gunicorn")
        killed: list[int] = []
        while len(killed) < API_KILLS:
            before = self.cut_offs.value
            victim = self._a_worker_mid_request(master)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            time.sleep(1.0)
            if self.cut_offs.value > before:
                break
        pids = ", ".join(map(str, killed))
        return (
            0.0,
            f"{len(killed)} gunicorn worker(s) ({pids}) SIGKILLed mid-request; the master starts others",
        )

    def _a_worker_mid_request(self, master: int) -> int:
        deadline = time.monotonic() + 5
        while not (busy := _mid_request(_children(master))):
            if time.monotonic() > deadline:
                raise FaultRunFailed(f"no gunicorn worker of {master} was answering a request")
            time.sleep(0.002)
        return busy[0]

    def _postgres_answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(
                host=self.db.hostname, port=self.db.port or 5432, user=self.db.username or "postgres",
                dbname=self.db.path.lstrip("/"), password=self.db.password, connect_timeout=2,
            ):  # fmt: skip
                return True
        except psycopg.OperationalError:
            return False

    def _redis_answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(host=self.broker.hostname, port=self.broker.port or 6379,
                                    socket_connect_timeout=1).ping())  # fmt: skip
        except redis.RedisError:
            return False


def _pg_restart_command() -> str:
    """The local cluster's restart, as ``.ci/run`` starts it: the newest version's ``main``."""
    versions = sorted(Path("/etc/postgresql").glob("*"), key=lambda p: [int(x) for x in p.name.split(".")])
    if not versions or not shutil.which("pg_ctlcluster"):
        raise FaultRunFailed("no local PostgreSQL cluster to restart: set FAULTS_PG_RESTART")
    return f"pg_ctlcluster --skip-systemctl-redirect {versions[-1].name} main restart -m fast"


def _mid_request(workers: list[int]) -> list[int]:
    """The workers holding an accepted connection on the API's port: each is answering a request."""
    accepted: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
                if state == "01" and local_port == PORT:  # 01: ESTABLISHED
                    accepted.add(f"socket:[{inode}]")
    busy = []
    for pid in workers:
        with suppress(OSError):
            fds = Path(f"/proc/{pid}/fd")
            if any(_link(fd) in accepted for fd in fds.iterdir()):
                busy.append(pid)
    return busy


def _link(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(pid)], check=False, capture_output=True, text=True
    ).stdout.split()
    return sorted(int(child) for child in found)


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise FaultRunFailed(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.1)


# --- the run -------------------------------------------------------------------------------------


def run(base_url: str, broker_url: str, plan: Plan) -> Report:
    from bench.harness import prepare

    began = time.monotonic()
    _require_local_services(broker_url)
    url = prepare(base_url, broker_url, FAULTS_DB)
    import redis

    redis.Redis.from_url(broker_url).flushdb()
    project, contributors, reviewers = _seed(plan)
    logs = Path(tempfile.mkdtemp(prefix="marlin-faults-"))
    try:
        with served(url, broker_url, logs) as services:
            long_lived = {name: services.pid(name) for name in ("gunicorn", "beat")}
            injector = Injector(services, plan, url, broker_url)
            log = _drive(project, contributors, reviewers, plan, injector)
            _reconnect()
            _settle(project, services)
            report = _judge(plan, project, log, injector, services, long_lived, logs)
    except BaseException:
        print(f"server logs kept in {logs}", file=sys.stderr)
        raise
    report.seconds = round(time.monotonic() - began, 1)
    if report.passed:
        shutil.rmtree(logs, ignore_errors=True)
    else:
        print(f"server logs kept in {logs}", file=sys.stderr)
    return report


def _require_local_services(broker_url: str) -> None:
    missing = [tool for tool in ("redis-cli", "redis-server", "pgrep") if not shutil.which(tool)]
    if missing and not (os.environ.get("FAULTS_REDIS_STOP") and os.environ.get("FAULTS_REDIS_START")):
        raise FaultRunFailed(f"the fault run needs {', '.join(missing)} on this machine")
    if not broker_url.startswith("redis://"):
        raise FaultRunFailed("the fault run stops and starts the Redis broker: give it a redis:// URL")


def _seed(plan: Plan) -> tuple[Any, list[Any], list[Any]]:
    from bench.benchmarks import _task_rows
    from people.commands import person_register
    from tasks.commands import project_create
    from tasks.importing import task_import

    project = project_create(actor_id=None, fields={"name": "Fault run", "required_skills": ["faults"]})
    task_import(actor_id=None, project_id=project.id, rows=_task_rows(plan.tasks, 2000, "fault"))

    def people(role: str, n: int, **fields: Any) -> list[Any]:
        return [
            person_register(
                actor_id=None, username=f"fault-{role}-{i}", password=PASSWORD, roles=[role],
                email=f"fault-{role}{i}@faults.example", name=f"Fault {role} {i}", skills=["faults"],
                **fields,
            )
            for i in range(n)
        ]  # fmt: skip

    return (
        project,
        people("contributor", plan.contributors),
        people("reviewer", plan.reviewers, reviewer_level=2),
    )


def _drive(
    project: Any, contributors: list[Any], reviewers: list[Any], plan: Plan, injector: Injector
) -> FaultLog:
    from bench import fault_clients

    config = Config(
        base_url=f"http://127.0.0.1:{PORT}/api/v1",
        project=str(project.id),
        criteria=tuple(project.criteria),
        contributors=tuple(p.username for p in contributors),
        reviewers=tuple(p.username for p in reviewers),
        password=PASSWORD,
        seconds=plan.seconds,
    )
    context = multiprocessing.get_context("spawn")
    writes, started, injector.cut_offs = context.Value("l", 0), context.Event(), context.Value("l", 0)
    receive, send = context.Pipe(duplex=False)
    driver = context.Process(
        target=fault_clients.main, args=(config, writes, started, send, injector.cut_offs), daemon=True
    )
    driver.start()
    if not started.wait(120):
        driver.kill()
        raise FaultRunFailed("the clients did not sign in")
    faults = threading.Thread(target=injector.run, args=(time.time(),), daemon=True)
    faults.start()
    with tqdm(total=int(plan.seconds), desc="fault run", unit="s", file=sys.stderr) as bar:
        for _ in range(int(plan.seconds)):
            time.sleep(1)
            bar.set_postfix(writes=writes.value, faults=len(injector.injected))
            bar.update(1)
    faults.join(180)
    if not receive.poll(plan.seconds + 180):
        driver.kill()
        raise FaultRunFailed("the clients did not finish")
    status, payload = receive.recv()
    driver.join(30)
    if status != "ok":
        raise FaultRunFailed(f"the clients failed: {payload}")
    return payload


def _reconnect() -> None:
    """This process's own connection died with PostgreSQL's restart: open a new one."""
    from django.db import connections

    connections.close_all()


def _settle(project: Any, services: Services, timeout: float = 240) -> None:
    """Work off the review queue (as the reviewers would, had they stayed): approve whatever is
    pending until no task is in review, so every submission has met its routing."""
    from bench.workday import _backlog
    from marlin.kernel.errors import DomainError
    from reviews.commands import review_decide
    from reviews.models import ReviewAssignment

    deadline = time.monotonic() + timeout
    with tqdm(desc="fault run: working off the review queue", unit="review", file=sys.stderr) as bar:
        while True:
            _wait(lambda: services.require_running() or _backlog() == 0, 120, "the reactors to catch up")
            pending = list(ReviewAssignment.objects.filter(task__project=project, status="pending"))
            if not pending and not project.tasks.filter(status="in_review").exists():
                return
            for assignment in pending:
                with suppress(DomainError):  # decided or taken back meanwhile: the next pass sees
                    review_decide(
                        reviewer_id=assignment.reviewer_id, assignment_id=assignment.id, decision="approve"
                    )
                bar.update(1)
            if time.monotonic() > deadline:
                raise FaultRunFailed(f"the review queue was not worked off in {timeout:.0f} s")
            time.sleep(0.2)


# --- the checks ----------------------------------------------------------------------------------


def _judge(  # noqa: PLR0917 - the run's parts, each once
    plan: Plan, project: Any, log: FaultLog, injector: Injector, services: Services,
    long_lived: dict[str, int], logs: Path,
) -> Report:  # fmt: skip
    _first_writes_after(injector.injected, log)
    report = Report(
        plan=asdict(plan), faults=injector.injected, answers=_answers(log), writes=_write_counts(log.writes)
    )
    report.checks = [
        Check("faults injected", not injector.errors and len(injector.injected) == len(plan.schedule),
              "; ".join(injector.errors) or f"{len(injector.injected)} of {len(plan.schedule)}"),
        Check("no answer but 2xx, 4xx and 503", report.answers["5xx other than 503"] == 0,
              f"{report.answers['5xx other than 503']} answered 5xx other than 503"),
        _check_cut_off(injector, report.answers),
        _check_effects(log.writes),
        _check_routing(project),
        _check_money(project),
        *_check_commands(),
        _check_processes(services, long_lived, injector, logs),
    ]  # fmt: skip
    return report


def _answers(log: FaultLog) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for _endpoint, status, _ms in log.requests:
        if status == CUT_OFF:
            counts["no answer (cut off)"] += 1
        elif status == 503:
            counts["503"] += 1
        elif status >= 500:
            counts["5xx other than 503"] += 1
        else:
            counts[f"{status // 100}xx"] += 1
    return {
        key: counts[key] for key in ("2xx", "4xx", "503", "5xx other than 503", "no answer (cut off)")
    } | {"requests": len(log.requests)}


def _write_counts(writes: list[Write]) -> dict[str, int]:
    return {
        "writes": len(writes),
        "retried after a 503": sum(any(a.status == 503 for a in w.attempts) for w in writes),
        "cut off, retried with the same key": sum(
            any(a.status == CUT_OFF for a in w.attempts) for w in writes
        ),
        "answered by a replay": sum(w.replayed for w in writes),
        "unresolved": sum(w.final == CUT_OFF or w.final >= 500 for w in writes),
    }


def _first_writes_after(injected: list[Injected], log: FaultLog) -> None:
    writes_ok = sorted(
        at for at, endpoint, status in log.answer_times if (endpoint, status) in ANSWERED_WITH_AN_EFFECT
    )
    for fault in injected:
        after = next((at for at in writes_ok if at >= fault.back_at), None)
        fault.first_write_after_s = None if after is None else round(after - fault.back_at, 2)


def _check_cut_off(injector: Injector, answers: dict[str, int]) -> Check:
    """The API worker was killed while answering: its client heard nothing (else the fault did
    not test what it is for)."""
    killed = sum(fault.fault == "api_worker_killed" for fault in injector.injected)
    cut_off = answers["no answer (cut off)"]
    return Check(
        "a killed API worker's requests cut off, and counted apart",
        cut_off >= killed,
        f"{cut_off} requests without an answer for {killed} API workers killed mid-request",
    )


def _check_effects(writes: list[Write]) -> Check:
    """Every write had exactly one effect if its final answer says it took effect, else none,
    whichever of its attempts made it: told by the request ids its events carry."""
    from marlin.eventstore.models import Event

    effects = Counter(
        Event.objects.filter(type__in=EFFECT_OF.values()).values_list("metadata__request_id", "type")
    )
    wrong: list[str] = []
    for write in writes:
        kind = EFFECT_OF[write.endpoint]
        made = [a.request_id for a in write.attempts if effects[(a.request_id, kind)]]
        twice = any(effects[(rid, kind)] > 1 for rid in made)
        expected = 1 if (write.endpoint, write.final) in ANSWERED_WITH_AN_EFFECT else 0
        if len(made) != expected or twice:
            statuses = [a.status for a in write.attempts]
            wrong.append(f"{write.endpoint} {statuses}: {len(made)} effects, expected {expected}")
    cut_off = sum(any(a.status == CUT_OFF for a in w.attempts) for w in writes)
    retried = sum(len(w.attempts) > 1 for w in writes)
    return Check(
        "every write had exactly one effect (none if refused)",
        not wrong,
        "; ".join(wrong[:5]) or f"{len(writes)} writes ({retried} retried, {cut_off} of them cut off)",
    )


def _check_routing(project: Any) -> Check:
    """Every submitted version was assigned exactly once at each layer it reached (an assignment
    that expired or was taken back is not counted), and nothing else was assigned."""
    from marlin.eventstore.models import Event
    from tasks.domain.events import task_stream

    streams = [task_stream(task_id) for task_id in project.tasks.values_list("id", flat=True)]
    kinds = ["JudgmentSubmitted", "TaskEnteredLayer", "ReviewAssigned", "ReviewExpired", "ReviewReassigned"]
    expected: set[tuple[str, int, int]] = set()
    active: Counter[tuple[str, int, int]] = Counter()
    assignment_key: dict[str, tuple[str, int, int]] = {}
    version: dict[str, int] = {}
    rows = Event.objects.filter(stream__in=streams, type__in=kinds).order_by("position")
    for stream, kind, data in rows.values_list("stream", "type", "data").iterator(2000):
        if kind == "JudgmentSubmitted":
            version[stream] = data["version"]
            expected.add((stream, data["version"], 1))
        elif kind == "TaskEnteredLayer":
            expected.add((stream, version[stream], data["layer"]))
        elif kind == "ReviewAssigned":
            key = (stream, data["submission_version"], data["layer"])
            assignment_key[data["assignment_id"]] = key
            active[key] += 1
        else:
            active[assignment_key[data["assignment_id"]]] -= 1
    wrong = [key for key in expected | set(active) if active[key] != (1 if key in expected else 0)]
    return Check(
        "every submission routed exactly once at each layer",
        not wrong,
        "; ".join(f"{s} v{v} layer {layer}: {active[(s, v, layer)]}" for s, v, layer in wrong[:5])
        or f"{sum(1 for k in expected if k[2] == 1)} submissions, {len(expected)} routings",
    )


def _check_money(project: Any) -> Check:
    from django.db.models import Sum

    from marlin.eventstore.models import Event
    from payments.models import PayoutEntry

    approved = Counter(
        Event.objects.filter(type="TaskApproved", data__project_id=str(project.id)).values_list(
            "data__task_id", flat=True
        )
    )
    accrued = Counter(
        str(task_id)
        for task_id in PayoutEntry.objects.filter(kind="accrual", task__project=project).values_list(
            "task_id", flat=True
        )
    )
    cents = PayoutEntry.objects.filter(kind="accrual", task__project=project).aggregate(
        total=Sum("amount_cents")
    )
    total = Decimal(cents["total"] or 0) / 100
    wrong = [task for task in set(approved) | set(accrued) if approved[task] != 1 or accrued[task] != 1]
    exact = total == len(approved) * RATE
    return Check(
        "every approval accrued exactly once, to the cent",
        not wrong and exact,
        f"{len(approved)} approvals, {sum(accrued.values())} accruals, {total:,.2f} accrued"
        + ("" if exact else f" (expected {len(approved) * RATE:,.2f})")
        + (f"; wrong: {wrong[:5]}" if wrong else ""),
    )


def _check_commands() -> list[Check]:
    from django.core.management import call_command

    checks = []
    for command, args in (("reconcile", []), ("verify_events", ["--no-progress"])):
        out = StringIO()
        try:
            call_command(command, *args, stdout=out, stderr=out)
        except (Exception, SystemExit) as error:  # noqa: BLE001 - a failed check, reported
            checks.append(Check(f"manage.py {command}", False, f"{error!r}: {out.getvalue()[-500:]}"))
        else:
            checks.append(Check(f"manage.py {command}", True, out.getvalue().strip().splitlines()[-1:][0]
                                if out.getvalue().strip() else "passed"))  # fmt: skip
    return checks


def _check_processes(services: Services, long_lived: dict[str, int], injector: Injector, logs: Path) -> Check:
    """Only what the run killed was started again: gunicorn's master and beat are the processes
    of the beginning, still running; the API answers; beat still sends after the last fault."""
    problems = [
        f"{name} {pid} is gone"
        for name, pid in long_lived.items()
        if services.processes[name].poll() is not None
    ]
    try:
        health = httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=10)
        if health.status_code != 200:
            problems.append(f"/healthz answers {health.status_code}: {health.text}")
    except httpx.HTTPError as error:
        problems.append(f"/healthz: {error!r}")
    last_fault = max((fault.back_at for fault in injector.injected), default=0.0)
    sent = _last_beat_send(logs / "beat.log")
    if sent is None or sent <= last_fault:
        problems.append("beat sent nothing after the last fault")
    restarts = sum(fault.fault == "worker_killed" for fault in injector.injected)
    return Check(
        "processes reconnected by themselves",
        not problems,
        "; ".join(problems)
        or f"gunicorn master and beat unrestarted; worker started again only after its {restarts} kills",
    )


BEAT_STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def _last_beat_send(log: Path) -> float | None:
    """The time of beat's last "Sending due task" line (its log's local time, this machine's)."""
    last = None
    for line in log.read_text(errors="replace").splitlines():
        stamp = BEAT_STAMP.match(line)
        if stamp and "Sending due task" in line:
            last = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return last


# --- the report ----------------------------------------------------------------------------------


def print_report(report: Report) -> None:
    print("\nFaults injected (seconds into the load)")
    print(f"{'fault':<20} {'at':>6} {'down':>7} {'first write after':>18}  what")
    for f in report.faults:
        after = "-" if f.first_write_after_s is None else f"{f.first_write_after_s:.1f} s"
        print(f"{f.fault:<20} {f.at_s:>5.1f}s {f.down_s:>6.1f}s {after:>18}  {f.detail}")
    print("\nAnswers (every attempt)")
    print("  " + ", ".join(f"{name}: {n}" for name, n in report.answers.items()))
    print("Writes")
    print("  " + ", ".join(f"{name}: {n}" for name, n in report.writes.items()))
    print("\nChecks")
    for check in report.checks:
        print(f"  {'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}")
    print(f"\n{'PASSED' if report.passed else 'FAILED'} in {report.seconds:.0f} s")


def write_report(report: Report, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = {**asdict(report), "passed": report.passed}
    rows = [{"section": "fault", "name": f.fault, "value": f.down_s,
             "detail": f"at {f.at_s} s; first write {f.first_write_after_s} s after; {f.detail}"}
            for f in report.faults]  # fmt: skip
    rows += [{"section": "answers", "name": k, "value": v, "detail": ""} for k, v in report.answers.items()]
    rows += [{"section": "writes", "name": k, "value": v, "detail": ""} for k, v in report.writes.items()]
    rows += [
        {"section": "check", "name": c.name, "value": int(c.passed), "detail": c.detail}
        for c in report.checks
    ]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    paths = []
    for name in (f"faults-{stamp}", "faults-latest"):
        json_path, csv_path = out / f"{name}.json", out / f"{name}.csv"
        json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
        table = [
            ["section", "name", "value", "detail"],
            *([r["section"], r["name"], r["value"], r["detail"]] for r in rows),
        ]
        csv_path.write_text("".join(csv_lines(table)))
        paths += [json_path, csv_path]
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the reduced run the test suite makes")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"), help="results folder")
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marlin")
    broker = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    report = run(base_url, broker, QUICK if args.quick else FULL)
    print_report(report)
    paths = write_report(report, Path(args.out))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
