"""Marlin served as README "Production" runs it: ``gunicorn marlin.wsgi -w 4`` with deploy/'s
access log, ``celery -A marlin worker -c 2`` and exactly one ``celery -A marlin beat``, against a
given database and Redis, on 127.0.0.1:``BENCH_PORT``. Logs go to files in a folder the caller
names; every process started here is stopped (its process group killed if it will not stop)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8741"))


class ServerFailed(RuntimeError):
    """The port was taken, or a process exited or never became ready."""


def service_env(url: str, broker_url: str) -> dict[str, str]:
    """Production's settings, pointed at the bench database and broker. Two departures: every
    client comes from one address and the driver never pauses, so the throttles are raised (a
    limit would measure itself); and passwords hash fast (only sign-in, outside the window)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": broker_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "LOG_LEVEL": "INFO",
        "MARLIN_THROTTLE_USER": "1000000/minute",
        "MARLIN_THROTTLE_ANON": "1000000/minute",
        "MARLIN_FAST_PASSWORD_HASHING": "1",
        "PYTHONUNBUFFERED": "1",
    }


# README "Production", word for word; the options after them are where, how to log, which schedule.
PRODUCTION = {
    "gunicorn": "gunicorn marlin.wsgi -w 4",
    "worker": "celery -A marlin worker -c 2",
    "beat": "celery -A marlin beat",
}


def commands(logs: Path) -> dict[str, list[str]]:
    """The production commands from the virtualenv, on the bench's port, with deploy/'s logging."""
    bin_dir = Path(sys.executable).parent
    options = {
        "gunicorn": ["-b", f"127.0.0.1:{PORT}", "--access-logfile", "-",
                     "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'],
        "worker": ["--loglevel", "INFO", f"--hostname=workday-{uuid.uuid4().hex[:6]}@%h"],
        "beat": ["--loglevel", "INFO", "-s", str(logs / "celerybeat-schedule")],
    }  # fmt: skip
    commands = {}
    for name, line in PRODUCTION.items():
        program, *arguments = line.split()
        commands[name] = [str(bin_dir / program), *arguments, *options[name]]
    return commands


@dataclass
class Services:
    """The running processes by name, and how to start them: a fault run kills one and, as a
    process supervisor would, starts it again."""

    commands: dict[str, list[str]]
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as out:
            self.processes[name] = subprocess.Popen(
                self.commands[name], cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
            )

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started (the process group it leads)."""
        process = self.processes[name]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def require_running(self) -> None:
        """Raise if a process exited that nobody killed: a crash the run must name, not wait out."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise ServerFailed(f"{name} exited by itself (status {process.returncode}):\n{tail}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # with its workers: the group it leads
                process.wait(10)


@contextmanager
def served(url: str, broker_url: str, logs: Path) -> Iterator[Services]:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            raise ServerFailed(f"port {PORT} is taken (a server left running?): set BENCH_PORT")
    services = Services(commands(logs), service_env(url, broker_url), logs)
    try:
        for name in services.commands:
            services.start(name)
        _wait_ready(services.processes, logs)
        yield services
    finally:
        services.stop()


def _wait_ready(processes: dict[str, subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                raise ServerFailed(f"{name} exited:\n{(logs / f'{name}.log').read_text()[-3000:]}")
        healthy = False
        with suppress(httpx.HTTPError):
            healthy = httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=5).status_code == 200
        if healthy and b"ready." in (logs / "worker.log").read_bytes():
            return
        if time.monotonic() > deadline:
            raise ServerFailed(f"the workday's server did not come up; logs in {logs}")
        time.sleep(0.2)
