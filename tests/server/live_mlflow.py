"""A live ``mlflow server`` 3.17.2 (from the mlflow virtualenv) for comparison tests.

It listens on 127.0.0.1 and a free port, keeps its SQLite database and artifacts in
the folder it is given, and is stopped (SIGTERM, then SIGKILL) when the context ends.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.mlflow_env import require_mlflow_python
from tests.server.asgi import free_port

START_TIMEOUT_S = 180


@contextmanager
def mlflow_server(home: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run ``mlflow server`` with its store under ``home``; yields its base URL."""
    python = require_mlflow_python()
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(python),
                "-m",
                "mlflow",
                "server",
                "--backend-store-uri",
                f"sqlite:///{home / 'mlflow.db'}",
                "--artifacts-destination",
                str(home / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=home,
            env={**os.environ, **(env or {})},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                assert process.poll() is None, log_path.read_text()[-4000:]
                assert time.monotonic() < deadline, "mlflow server did not start in time"
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
