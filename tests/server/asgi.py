"""Test helpers: an ``httpx.Client`` bound to an ASGI app in-process, and a free port."""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import anyio

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient and warns once, at import, when it
    # falls back to httpx; modelreg's client is built on httpx, so that is what we want.
    warnings.simplefilter("ignore", UserWarning)  # StarletteDeprecationWarning
    from starlette.testclient import TestClient

BASE_URL = "http://localhost"
# A body chunk for raw_request that stands for "the client went away" (http.disconnect).
DISCONNECT = b"<disconnect>"


def asgi_client(app: Any, **kwargs: Any) -> TestClient:
    return TestClient(app, base_url=BASE_URL, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    chunks: list[bytes] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(
    app: Any,
    method: str,
    target: str,
    body: bytes | Iterable[bytes] = b"",
    headers: dict[str, str] | None = None,
    on_receive: Callable[[int], None] | None = None,
) -> RawResponse:
    """Call the ASGI app the way uvicorn does, with ``target`` sent exactly as written.

    HTTP clients normalise ``..`` segments and re-encode paths before sending; an
    attacker's raw request does not, so tests of path handling build the scope here:
    the path is percent-decoded once (as uvicorn does), ``raw_path`` is the bytes given.
    ``body`` may be an iterable of chunks, handed over one ``receive()`` at a time;
    ``on_receive(n)`` is called before the n-th chunk is handed over, and a
    :data:`DISCONNECT` chunk is the client going away.
    """
    raw_path, _, query = target.partition("?")
    chunks = [body] if isinstance(body, bytes) else body
    all_headers = {"host": "localhost", **(headers or {})}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in all_headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("localhost", 80),
    }
    response = RawResponse(status=0, headers={})

    async def call() -> None:
        source = iter(chunks)
        count = 0
        done = False

        async def receive() -> dict[str, Any]:
            nonlocal count, done
            if done:
                await anyio.sleep_forever()
            count += 1
            if on_receive is not None:
                on_receive(count)
            chunk = next(source, None)
            if chunk is DISCONNECT:
                done = True
                return {"type": "http.disconnect"}
            if chunk is None:
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response.status = message["status"]
                response.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                response.chunks.append(message.get("body", b""))

        await app(scope, receive, send)

    anyio.run(call)
    return response


__all__ = [
    "BASE_URL",
    "DISCONNECT",
    "RawResponse",
    "TestClient",
    "asgi_client",
    "free_port",
    "raw_request",
]
