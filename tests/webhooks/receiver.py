"""A real HTTP receiver for webhook tests: a ThreadingHTTPServer on 127.0.0.1 whose behaviour the
test switches (down, answering 500, too slow, answering 200) and which records every request."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    event_id: str
    signature: str
    body: bytes
    answered: int | None  # None: the receiver was too slow and Marlin had gone

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def acknowledged(self) -> bool:
        return self.answered is not None and 200 <= self.answered < 300


class Receiver:
    """Down until ``up()``; then answers with ``status``, after ``delay`` seconds."""

    def __init__(self) -> None:
        with socket.socket() as probe:  # a free port, closed again: nothing listens (down)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/marlin"
        self.status = 200
        self.delay = 0.0
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def up(self, *, status: int = 200, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        if self._server is not None:
            return
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, delay = receiver.status, receiver.delay
                # Too slow: Marlin stops waiting first, so whatever comes after is never heard.
                answered = None if delay else status
                receiver.record(
                    Received(
                        self.headers.get("Marlin-Event-Id", ""),
                        self.headers.get("Marlin-Signature", ""),
                        body,
                        answered,
                    )
                )
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.end_headers()
                except OSError:
                    pass  # the sender hung up after its timeout

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def acknowledged_ids(self) -> list[str]:
        return [r.event_id for r in self.received if r.acknowledged]
