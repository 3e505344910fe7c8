"""SIGTERM drains: requests in flight finish, new connections are refused, and the
drain is bounded by --graceful-timeout. A real server process each (marked slow)."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.server.live import running_server

UPLOAD = "/api/2.0/mlflow-artifacts/artifacts/drain/model.bin"
SIZE = 200_000


def _start_upload(port: int) -> socket.socket:
    """A PUT whose head and first half of the body are sent; the rest is up to the test."""
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"PUT {UPLOAD} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {SIZE}\r\n"
        "x-request-id: drain-1\r\n\r\n"
    )
    client.sendall(head.encode() + b"a" * (SIZE // 2))
    return client


@pytest.mark.slow
def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "1", "--graceful-timeout", "20") as server:
        client = _start_upload(server.port)
        time.sleep(0.3)  # the server has the head and is reading the body
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # Draining: the listener is closed, so nobody new gets in.
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/health", timeout=2)
        client.sendall(b"a" * (SIZE - SIZE // 2))
        response = client.recv(65536).decode("latin-1")
        client.close()
        assert response.startswith("HTTP/1.1 200"), response
        assert "x-request-id: drain-1" in response.lower()
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
        lines = server.log_lines()
    stored = tmp_path / "artifacts" / "drain" / "model.bin"
    assert stored.stat().st_size == SIZE
    access = [line for line in lines if line.get("logger") == "modelreg.access"]
    assert [(line["path"], line["status"], line["request_id"]) for line in access][-1] == (
        UPLOAD,
        200,
        "drain-1",
    )
    banner = next(line for line in lines if "backend_store" in line)
    assert banner["url"] == server.url
    assert banner["artifacts_destination"] == str(tmp_path / "artifacts")


@pytest.mark.slow
def test_the_drain_is_bounded_by_the_graceful_timeout(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "1", "--graceful-timeout", "1") as server:
        client = _start_upload(server.port)  # and never finished
        time.sleep(0.3)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=20)
        waited = time.monotonic() - signalled
        client.close()
        lines = server.log_lines()
    # Not the 30 s the stalled body would be allowed otherwise (--body-timeout).
    assert waited < 15
    assert any("graceful shutdown exceeded" in str(line.get("message")) for line in lines)
