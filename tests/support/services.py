"""Real services for tests: Redis reachability (fail under CI=true, skip otherwise), a private
Redis server, and real Celery worker processes against the test database."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection

from marlin.celery import app

ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """A service the test needs is missing: fail under CI, skip on a developer's machine."""
    if in_ci():
        pytest.fail(f"required service missing under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def redis_reachable(url: str, timeout: float = 1.0) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout):
            return True
    except OSError:
        return False


def flush_redis(url: str) -> None:
    redis.Redis.from_url(url).flushdb()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, which the test can stop and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: redis_reachable(self.url), timeout=10, what="private redis to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def database_url() -> str:
    """The URL of the test database the current test runs against (for worker processes)."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    """A real ``celery -A marlin worker`` process group, logging to a file."""

    def __init__(
        self, broker_url: str, *, concurrency: int = 2, beat: bool = False, env: dict[str, str] | None = None
    ) -> None:
        self.log_path = Path(tempfile.mkstemp(prefix="marlin-worker-", suffix=".log")[1])
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marlin",
            "worker",
            "--loglevel=INFO",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
        ]
        if beat:
            command += ["--beat", f"--schedule={self.log_path}.beat"]
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "TEST_BROKER_URL": broker_url,
            "CELERY_BROKER_URL": broker_url,
            "CONN_MAX_AGE": "0",
            **(env or {}),
        }
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until(self._ready, timeout=60, what="celery worker to be ready")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{self.output()}")
        return b"ready." in self.log_path.read_bytes()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker dies mid-work, as in a crash."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@contextmanager
def broker_for_this_process(url: str) -> Iterator[None]:
    """Point this process's wake-ups at ``url`` for the block."""
    previous = (settings.CELERY_BROKER_URL, app.conf.broker_url)
    settings.CELERY_BROKER_URL = url
    app.conf.broker_url = url
    _forget_connections(app)
    try:
        yield
    finally:
        settings.CELERY_BROKER_URL, app.conf.broker_url = previous
        _forget_connections(app)


def _forget_connections(app: Any) -> None:
    """Drop pooled broker connections so the next publish connects to the current URL."""
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
