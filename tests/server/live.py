"""A real ``modelreg server`` subprocess on loopback, for tests that need sockets.

Each server runs in its own session (process group), so a test can kill the
supervisor alone and cleanup still reaches every worker it left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.server.asgi import free_port

STARTUP_TIMEOUT = 30.0


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    startup_seconds: float

    @property
    def api(self) -> str:
        return f"{self.url}/api/2.0/mlflow"

    def stop(self) -> list[dict[str, object]]:
        """SIGTERM, wait for the graceful exit, and return the JSON log lines."""
        self.process.send_signal(signal.SIGTERM)
        # uvicorn finishes in-flight requests and the lifespan, then re-raises SIGTERM.
        assert self.process.wait(timeout=30) in (0, -signal.SIGTERM)
        return self.log_lines()

    def log_lines(self) -> list[dict[str, object]]:
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def server_command(tmp_path: Path, port: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "modelreg.cli",
        "server",
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'registry.db'}",
        "--artifacts-destination",
        str(tmp_path / "artifacts"),
        *extra,
    ]


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"server did not start in {STARTUP_TIMEOUT} s"
        time.sleep(0.02)


@contextlib.contextmanager
def running_server(
    tmp_path: Path,
    *extra: str,
    port: int | None = None,
    preexec: Callable[[], None] | None = None,
    log_name: str = "server.log",
) -> Iterator[Server]:
    """Start ``modelreg server`` with ``extra`` options; kill its whole group on exit."""
    port = port or free_port()
    log = tmp_path / log_name
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            server_command(tmp_path, port, *extra),
            stdout=sink,
            stderr=sink,
            start_new_session=True,
            preexec_fn=preexec,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield Server(url, port, process, log, time.perf_counter() - started)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
