"""Test helpers: an ``httpx.Client`` bound to an ASGI app in-process, and a free port."""

from __future__ import annotations

import socket
import warnings
from typing import Any

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient and warns once, at import, when it
    # falls back to httpx; modelreg's client is built on httpx, so that is what we want.
    warnings.simplefilter("ignore", UserWarning)  # StarletteDeprecationWarning
    from starlette.testclient import TestClient

BASE_URL = "http://testserver"


def asgi_client(app: Any, **kwargs: Any) -> TestClient:
    return TestClient(app, base_url=BASE_URL, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


__all__ = ["BASE_URL", "TestClient", "asgi_client", "free_port"]
