"""A real HTTP receiver on loopback that records every request (and answers as told)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Statuses to answer, in order; after they run out, ``default``.
    script: list[int] = field(default_factory=list)
    default: int = 200
    # Decides the status from the body when set (before ``script`` and ``default``).
    decide: Callable[[bytes], int | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        assert len(self.requests) >= count, f"got {len(self.requests)} of {count} requests"
        return list(self.requests)


@contextmanager
def receiver(default: int = 200, script: list[int] | None = None) -> Iterator[Receiver]:
    state = Receiver(url="", script=list(script or []), default=default)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            decided = state.decide(body) if state.decide else None
            with state.lock:
                if decided is not None:
                    status = decided
                else:
                    status = state.script.pop(0) if state.script else state.default
            with state.arrived:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                state.arrived.notify_all()
            payload = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
